/**
 * The drawing of one health chart (recharts), in its own module: the charts load it when first
 * shown, so recharts stays out of the app's first bundle.
 */
import type { ReactElement } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartPoint } from './health';

function timeText(t: number): string {
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** A sample with no neighbour on either side draws no line: it gets a dot, or it would not show. */
function lonely(points: readonly ChartPoint[], field: string, i: number): boolean {
  const has = (j: number): boolean => typeof points[j]?.[field] === 'number';
  return has(i) && !has(i - 1) && !has(i + 1);
}

export default function HealthPlot(p: {
  points: readonly ChartPoint[];
  field: string;
  title: string;
  format: (v: number) => string;
  max?: number | undefined;
}): ReactElement {
  return (
    <ResponsiveContainer width="100%" height={150}>
      <LineChart data={p.points as ChartPoint[]} margin={{ top: 10, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
        <XAxis
          dataKey="t"
          type="number"
          scale="time"
          domain={['dataMin', 'dataMax']}
          tickFormatter={(v: number) => timeText(v)}
          tick={{ fontSize: 11 }}
          minTickGap={40}
        />
        <YAxis
          width={68}
          tick={{ fontSize: 11 }}
          domain={[0, p.max ?? 'auto']}
          tickFormatter={(v: number) => p.format(v)}
        />
        <Tooltip
          labelFormatter={(v) => new Date(Number(v)).toLocaleTimeString()}
          formatter={(v) => (typeof v === 'number' ? p.format(v) : String(v))}
        />
        <Line
          type="monotone"
          dataKey={p.field}
          name={p.title}
          stroke="var(--accent)"
          strokeWidth={1.6}
          dot={(d: { cx?: number; cy?: number; index?: number }) =>
            d.index !== undefined &&
            d.cx !== undefined &&
            d.cy !== undefined &&
            lonely(p.points, p.field, d.index) ? (
              <circle key={d.index} cx={d.cx} cy={d.cy} r={2.5} fill="var(--accent)" />
            ) : (
              <g key={d.index} />
            )
          }
          isAnimationActive={false}
          connectNulls={false}
        />
      </LineChart>
    </ResponsiveContainer>
  );
}
