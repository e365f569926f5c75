/**
 * One small line chart of a health series (recharts): the history read once, with the live
 * samples the feed brings appended. The container carries the number of points it draws.
 */
import { useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartPoint } from './health';
import type { Range } from './healthStore';
import { useSeries } from './HealthParts';

export interface HealthChartProps {
  testId: string;
  title: string;
  points: readonly ChartPoint[];
  field: string;
  /** How a value is written (axis ticks and the tooltip). */
  format: (v: number) => string;
  /** A fixed top of the scale (100 for percentages), else the data's. */
  max?: number;
  range: Range;
  error?: string | null;
}

function timeText(t: number): string {
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export function HealthChart(p: HealthChartProps): ReactElement {
  const { t } = useTranslation();
  const drawn = p.points.filter((x) => typeof x[p.field] === 'number').length;
  return (
    <figure className="health-chart" data-testid={p.testId} data-points={drawn}>
      <figcaption className="health-chart-title">{p.title}</figcaption>
      {drawn === 0 ? (
        <p className="muted small health-chart-empty">{p.error ?? t('health.chart.noData')}</p>
      ) : (
        <div className="health-chart-plot">
          <ResponsiveContainer width="100%" height={150}>
            <LineChart data={p.points as ChartPoint[]} margin={{ top: 6, right: 8, bottom: 0, left: 0 }}>
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
                width={56}
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
                dot={false}
                isAnimationActive={false}
                connectNulls={false}
              />
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}

/** The 1 h / 24 h toggle of a group of charts. */
export function RangeToggle({
  range,
  onRange,
  testId,
}: {
  range: Range;
  onRange: (r: Range) => void;
  testId: string;
}): ReactElement {
  const { t } = useTranslation();
  return (
    <div className="range-toggle" role="group" aria-label={t('health.chart.range')} data-testid={testId}>
      {(['1h', '24h'] as const).map((r) => (
        <button
          key={r}
          type="button"
          className={`button button-small${r === range ? ' button-primary' : ''}`}
          aria-pressed={r === range}
          data-testid={`${testId}-${r}`}
          onClick={() => onRange(r)}
        >
          {t(`health.chart.${r}`)}
        </button>
      ))}
    </div>
  );
}

/** One chart of a group: its test id's end, title, field and how values are written. */
export interface ChartSpec {
  id: string;
  title: string;
  field: string;
  format: (v: number) => string;
  max?: number;
}

/**
 * A host's series (or one container's, by name) as a row of charts with the 1 h / 24 h toggle:
 * test ids `<prefix>-range`, `<prefix>-chart-<id>`.
 */
export function ChartGroup({
  host,
  container,
  heading,
  prefix,
  charts,
}: {
  host: string;
  container?: string;
  heading: string;
  prefix: string;
  charts: readonly ChartSpec[];
}): ReactElement {
  const [range, setRange] = useState<Range>('1h');
  const { points, error } = useSeries(host, range, container);
  return (
    <div className="health-charts-block">
      <div className="health-subhead">
        <h4>{heading}</h4>
        <RangeToggle range={range} onRange={setRange} testId={`${prefix}-range`} />
      </div>
      <div className="health-charts">
        {charts.map((c) => (
          <HealthChart
            key={c.id}
            testId={`${prefix}-chart-${c.id}`}
            {...c}
            points={points}
            range={range}
            error={error}
          />
        ))}
      </div>
    </div>
  );
}
