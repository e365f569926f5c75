/**
 * The view drawn: spend by day (anomalies amber, today live), by stage (a donut), by model (a table
 * with share bars). Each chart has its title, a summary for screen readers and its table.
 */
import { lazy } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { CostStage, CostView } from '../../../../shared/contract';
import { formatNumber } from '../../kit/format';
import { TableHead } from '../../kit/TableHead';
import { useLng } from '../../kit/useLocale';
import { ChartFigure, InUsdNote, MoneyText, ShareBar, ToneTag, useCostFormat } from './CostParts';
import type { DayTexts } from './CostPlots';
import { STAGE_COLOURS } from './CostPlots';
import { chartCurrency, dayPoints, formatDay, formatMoney, modelRows, peakDay, stageRows } from './costs';
import type { DayPoint } from './costs';

const DayPlot = lazy(() => import('./CostPlots').then((m) => ({ default: m.DayPlot })));
const StagePlot = lazy(() => import('./CostPlots').then((m) => ({ default: m.StagePlot })));

const DAY_HEIGHT = 240;
const STAGE_HEIGHT = 200;

/** "3.4× the 7-day median ($0.71)" for an anomaly day. */
function useAnomalyText(): (p: DayPoint) => string {
  const { t } = useTranslation();
  const lng = useLng();
  return (p) =>
    p.ratio !== null && p.median7Usd !== null
      ? t('costs.byDay.anomaly', {
          ratio: formatNumber(p.ratio, lng, 1),
          median: formatMoney(p.median7Usd, 'USD', lng),
        })
      : t('costs.byDay.anomalyPlain');
}

export function DayChart({ view }: { view: CostView }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const f = useCostFormat();
  const anomalyText = useAnomalyText();
  const currency = chartCurrency(view.byDay, f.currency);
  const points = dayPoints(view.byDay, currency);
  const anomalies = points.filter((p) => p.anomaly);
  const live = points.find((p) => p.live);
  const peak = peakDay(view.byDay);
  const money = (v: string): string => formatMoney(v, currency, lng);
  const texts: DayTexts = {
    tick: (d) => String(Number(d.slice(8))),
    dayTitle: (d) => formatDay(d, lng, true),
    money,
    axis: (v) => formatMoney(String(v), currency, lng, { digits: v !== 0 && Math.abs(v) < 10 ? 2 : 0 }),
    calls: (n) => t('costs.byDay.calls', { n: f.count(n) }),
    anomaly: anomalyText,
    live: t('costs.byDay.liveTip'),
    noRate: t('costs.byDay.noRateTip'),
    unpriced: (n) => t('costs.byDay.unpricedTip', { n: f.count(n) }),
  };
  const summary = [
    t('costs.byDay.summary', {
      from: formatDay(view.from, lng, true),
      to: formatDay(view.to, lng, true),
      days: points.length,
    }),
    peak
      ? t('costs.byDay.summaryPeak', {
          day: formatDay(peak.day, lng),
          money: money(currency === 'KZT' && peak.cost.kzt !== null ? peak.cost.kzt : peak.cost.usd),
        })
      : t('costs.byDay.summaryNothing'),
    anomalies.length > 0
      ? t('costs.byDay.summaryAnomalies', {
          list: anomalies.map((p) => `${formatDay(p.day, lng)} (${anomalyText(p)})`).join('; '),
        })
      : t('costs.byDay.summaryNoAnomaly'),
    live ? t('costs.byDay.summaryLive', { day: formatDay(live.day, lng) }) : '',
  ]
    .filter(Boolean)
    .join(' ');

  return (
    <ChartFigure
      testId="cost-by-day"
      className="cost-chart-wide"
      title={t('costs.byDay.title')}
      summary={summary}
      height={DAY_HEIGHT}
      data={{
        'data-days': points.length,
        'data-anomalies': anomalies.map((p) => p.day).join(','),
        'data-live': live?.day ?? '',
        'data-currency': currency,
      }}
      plot={<DayPlot points={points} height={DAY_HEIGHT} texts={texts} />}
      table={
        <table className="table cost-table" data-testid="cost-by-day-table">
          <caption className="visually-hidden">{t('costs.byDay.title')}</caption>
          <TableHead
            columns={[
              t('costs.col.day'),
              { label: t('costs.col.calls'), className: 'num' },
              { label: t('costs.col.cost'), className: 'num' },
              t('costs.col.note'),
            ]}
          />
          <tbody>
            {view.byDay.map((d, i) => {
              const p = points[i];
              return (
                <tr key={d.day} className={d.anomaly ? 'cost-row-anomaly' : undefined} data-day={d.day}>
                  <th scope="row">{formatDay(d.day, lng, true)}</th>
                  <td className="num">{f.count(d.calls)}</td>
                  <td className="num">
                    <MoneyText money={d.cost} />
                  </td>
                  <td>
                    {d.anomaly && p ? <ToneTag tone="warning" text={anomalyText(p)} /> : null}
                    {d.live ? <span className="tag tag-info">{t('costs.byDay.live')}</span> : null}
                    {d.unpricedCalls > 0 ? (
                      <span className="muted small">
                        {' '}
                        {t('costs.byDay.unpricedTip', { n: f.count(d.unpricedCalls) })}
                      </span>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      }
    >
      <ul className="cost-legend" aria-hidden="true">
        <li>
          <span className="cost-swatch cost-swatch-day" />
          {t('costs.byDay.legendDay')}
        </li>
        <li>
          <span className="cost-swatch cost-swatch-anomaly" />
          {t('costs.byDay.legendAnomaly')}
        </li>
        <li>
          <span className="cost-swatch cost-swatch-live" />
          {t('costs.byDay.legendLive')}
        </li>
      </ul>
      {currency !== f.currency ? (
        <p className="muted small" data-testid="cost-by-day-in-usd">
          {t('costs.byDay.inUsd')}
        </p>
      ) : null}
    </ChartFigure>
  );
}

export function StageChart({ view }: { view: CostView }): ReactElement {
  const { t } = useTranslation();
  const f = useCostFormat();
  const rows = stageRows(view);
  const cur = chartCurrency(rows, f.currency);
  const name = (s: CostStage): string => t(`costs.stage.${s}`);
  const summary =
    rows.length === 0
      ? t('costs.byStage.empty')
      : t('costs.byStage.summary', {
          list: rows
            .map((r) => `${name(r.stage)} ${f.money(r.cost, cur).text} (${f.pct(r.share)})`)
            .join(', '),
        });
  return (
    <ChartFigure
      testId="cost-by-stage"
      title={t('costs.byStage.title')}
      summary={summary}
      height={STAGE_HEIGHT}
      data={{ 'data-stages': rows.map((r) => r.stage).join(',') }}
      plot={
        rows.length === 0 ? null : (
          <StagePlot
            height={STAGE_HEIGHT}
            rows={rows.map((r) => ({
              stage: r.stage,
              value: (r.share ?? 0) * 100,
              label: `${name(r.stage)}: ${f.money(r.cost, cur).text} (${f.pct(r.share)})`,
            }))}
          />
        )
      }
      table={
        <table className="table cost-table">
          <caption className="visually-hidden">{t('costs.byStage.title')}</caption>
          <TableHead
            columns={[
              t('costs.col.stage'),
              { label: t('costs.col.calls'), className: 'num' },
              { label: t('costs.col.tokensIn'), className: 'num' },
              { label: t('costs.col.tokensOut'), className: 'num' },
              { label: t('costs.col.cost'), className: 'num' },
              { label: t('costs.col.share'), className: 'num' },
            ]}
          />
          <tbody>
            {rows.map((r) => (
              <tr key={r.stage}>
                <th scope="row">{name(r.stage)}</th>
                <td className="num">{f.count(r.calls)}</td>
                <td className="num">{f.count(r.inputTokens)}</td>
                <td className="num">{f.count(r.outputTokens)}</td>
                <td className="num">
                  <MoneyText money={r.cost} currency={cur} />
                </td>
                <td className="num">{f.pct(r.share)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      <ul className="cost-stage-legend">
        {rows.map((r) => (
          <li key={r.stage} data-stage={r.stage}>
            <span className="cost-swatch" style={{ background: STAGE_COLOURS[r.stage] }} aria-hidden="true" />
            <span className="cost-stage-name">{name(r.stage)}</span>
            <span className="cost-stage-money">
              <MoneyText money={r.cost} currency={cur} />
            </span>
            <span className="muted cost-stage-share">{f.pct(r.share)}</span>
          </li>
        ))}
      </ul>
      <InUsdNote shown={cur} />
    </ChartFigure>
  );
}

export function ModelTable({ view }: { view: CostView }): ReactElement {
  const { t } = useTranslation();
  const f = useCostFormat();
  const rows = modelRows(view);
  const cur = chartCurrency(rows, f.currency);
  return (
    <section
      className="card table-card cost-models"
      data-testid="cost-by-model"
      aria-labelledby="cost-models-title"
    >
      <h2 id="cost-models-title" className="cost-card-title">
        {t('costs.byModel.title')}
      </h2>
      {rows.length === 0 ? (
        <p className="muted table-empty">{t('costs.byModel.empty')}</p>
      ) : (
        <table className="table cost-table">
          <TableHead
            columns={[
              t('costs.col.model'),
              { label: t('costs.col.calls'), className: 'num' },
              { label: t('costs.col.tokensIn'), className: 'num' },
              { label: t('costs.col.tokensOut'), className: 'num' },
              { label: t('costs.col.cost'), className: 'num' },
              t('costs.col.share'),
            ]}
          />
          <tbody>
            {rows.map((r) => {
              const allUnpriced = r.unpricedCalls > 0 && r.unpricedCalls === r.calls;
              return (
                <tr
                  key={`${r.provider}/${r.model}`}
                  data-model={r.model}
                  data-unpriced={r.unpricedCalls || undefined}
                >
                  <th scope="row">
                    <span className="mono">{r.model}</span>
                    <span className="muted small cost-provider"> {r.provider}</span>
                  </th>
                  <td className="num">{f.count(r.calls)}</td>
                  <td className="num">{f.count(r.inputTokens)}</td>
                  <td className="num">{f.count(r.outputTokens)}</td>
                  <td className="num">
                    {allUnpriced ? (
                      <ToneTag tone="warning" text={t('costs.byModel.unpriced')} />
                    ) : (
                      <>
                        <MoneyText money={r.cost} currency={cur} />
                        {r.unpricedCalls > 0 ? (
                          <span className="muted small cost-unpriced-note">
                            {t('costs.byModel.partlyUnpriced', { n: f.count(r.unpricedCalls) })}
                          </span>
                        ) : null}
                      </>
                    )}
                  </td>
                  <td className="cost-share-cell">
                    <ShareBar share={r.share} label={t('costs.byModel.shareOf', { model: r.model })} />
                    <span className="small">{f.pct(r.share)}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <InUsdNote shown={cur} />
    </section>
  );
}
