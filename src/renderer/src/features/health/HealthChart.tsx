/**
 * One small line chart of a health series (recharts): the history read once, with the live
 * samples the feed brings appended. The container carries the number of points it draws.
 */
import { lazy, Suspense, useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { ChartPoint } from './health';
import type { Range } from './healthStore';
import { useSeries } from './HealthParts';

/** The plot, with recharts, loaded when a chart is first shown (the app's bundle stays small). */
const HealthPlot = lazy(() => import('./HealthPlot'));

export interface HealthChartProps {
  testId: string;
  title: string;
  points: readonly ChartPoint[];
  field: string;
  /** How a value is written (axis ticks and the tooltip). */
  format: (v: number) => string;
  /** A fixed top of the scale (100 for percentages), else the data's. */
  max?: number;
  error?: string | null;
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
          <Suspense fallback={<span className="spinner" aria-hidden="true" />}>
            <HealthPlot points={p.points} field={p.field} title={p.title} format={p.format} max={p.max} />
          </Suspense>
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
          <HealthChart key={c.id} testId={`${prefix}-chart-${c.id}`} {...c} points={points} error={error} />
        ))}
      </div>
    </div>
  );
}
