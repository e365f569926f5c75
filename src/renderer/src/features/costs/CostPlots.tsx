/**
 * The Costs screen's drawings (recharts), in their own module: the screen loads it when it first
 * shows a chart, so recharts stays out of the app's first bundle. Each draws inside the fixed-height
 * box its ChartFigure gives it; `initialDimension` is the size used until that box is measured (and
 * where it cannot be, as in a test's DOM), so the bars are drawn all the same.
 */
import type { ReactElement } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  LabelList,
  Pie,
  PieChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { CostStage } from '../../../../shared/contract';
import type { DayPoint } from './costs';

/** The stages' colours: blues, violets and greys — never green, amber or red, which mean a state. */
export const STAGE_COLOURS: Readonly<Record<CostStage, string>> = {
  classifier: '#7ea0e0',
  faq: '#2f5fd0',
  complex: '#6a45b8',
  answer: '#1d7f93',
  embedding: '#9aa7b8',
  knowledge: '#47607f',
  other: '#c9d0da',
};

export interface DayTexts {
  /** A day on the axis ("5"), and in full in the tooltip. */
  tick(day: string): string;
  dayTitle(day: string): string;
  money(value: string): string;
  axis(value: number): string;
  calls(n: number): string;
  anomaly(p: DayPoint): string;
  live: string;
  noRate: string;
  unpriced(n: number): string;
}

function DayTip({ point, texts }: { point: DayPoint; texts: DayTexts }): ReactElement {
  return (
    <div className="cost-tip" data-anomaly={point.anomaly || undefined}>
      <p className="cost-tip-title">{texts.dayTitle(point.day)}</p>
      <p className="cost-tip-value">{texts.money(point.money)}</p>
      <p className="muted">{texts.calls(point.calls)}</p>
      {point.anomaly ? <p className="cost-tip-anomaly">{texts.anomaly(point)}</p> : null}
      {point.live ? <p className="cost-tip-live">{texts.live}</p> : null}
      {point.noRate ? <p className="muted">{texts.noRate}</p> : null}
      {point.unpricedCalls > 0 ? (
        <p className="cost-tip-anomaly">{texts.unpriced(point.unpricedCalls)}</p>
      ) : null}
    </div>
  );
}

const INITIAL = { width: 720, height: 240 };

/** Spend by day: anomaly days amber with a "!" over them, today's live bar lighter and dashed. */
export function DayPlot({
  points,
  height,
  texts,
}: {
  points: readonly DayPoint[];
  height: number;
  texts: DayTexts;
}): ReactElement {
  const data = points.map((p) => ({ ...p, mark: p.anomaly ? '!' : '' }));
  return (
    <ResponsiveContainer width="100%" height={height} initialDimension={{ ...INITIAL, height }}>
      <BarChart data={data} margin={{ top: 18, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
        <XAxis
          dataKey="day"
          tickFormatter={(d: string) => texts.tick(d)}
          tick={{ fontSize: 11 }}
          minTickGap={6}
          interval="preserveStartEnd"
        />
        <YAxis width={76} tick={{ fontSize: 11 }} tickFormatter={(v: number) => texts.axis(v)} />
        <Tooltip
          cursor={{ fill: 'rgba(47, 95, 208, 0.08)' }}
          content={({ active, payload }) => {
            const p = active ? (payload?.[0]?.payload as DayPoint | undefined) : undefined;
            return p ? <DayTip point={p} texts={texts} /> : null;
          }}
        />
        <Bar dataKey="value" isAnimationActive={false} radius={[3, 3, 0, 0]}>
          {data.map((p) => (
            <Cell
              key={p.day}
              className={p.anomaly ? 'cost-bar-anomaly' : p.live ? 'cost-bar-live' : 'cost-bar-day'}
              fill={p.anomaly ? 'var(--warning-bar)' : 'var(--accent)'}
              fillOpacity={p.live ? 0.45 : 1}
              stroke={p.live ? 'var(--accent)' : undefined}
              strokeDasharray={p.live ? '3 2' : undefined}
            />
          ))}
          <LabelList dataKey="mark" position="top" fill="var(--warning)" fontWeight={700} fontSize={12} />
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}

/** The spend by stage as a donut. */
export function StagePlot({
  rows,
  height,
}: {
  /** Each stage's share to draw, and what its tooltip says. */
  rows: readonly { stage: CostStage; value: number; label: string }[];
  height: number;
}): ReactElement {
  return (
    <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 260, height }}>
      <PieChart>
        <Pie
          data={rows.map((r) => ({ ...r, name: r.stage }))}
          dataKey="value"
          nameKey="name"
          innerRadius="55%"
          outerRadius="90%"
          paddingAngle={1}
          isAnimationActive={false}
        >
          {rows.map((r) => (
            <Cell key={r.stage} fill={STAGE_COLOURS[r.stage]} />
          ))}
        </Pie>
        <Tooltip
          content={({ active, payload }) => {
            const p = active ? (payload?.[0]?.payload as { label: string } | undefined) : undefined;
            return p ? <div className="cost-tip">{p.label}</div> : null;
          }}
        />
      </PieChart>
    </ResponsiveContainer>
  );
}
