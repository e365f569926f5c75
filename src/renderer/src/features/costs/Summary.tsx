/**
 * The view in numbers: spend, projection, calls, tokens, conversations, the cost of a
 * conversation against the target, the unpriced calls; then how tenge are reckoned (the rates) and
 * what is missing (days without a rate, hosts that did not answer).
 */
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { CostView } from '../../../../shared/contract';
import { Button } from '../../kit/Button';
import { Callout } from '../../kit/Callout';
import { formatNumber } from '../../kit/format';
import { WarningIcon } from '../../kit/Icons';
import { useLng } from '../../kit/useLocale';
import { MoneyText, ToneTag, useCostFormat } from './CostParts';
import { conversationTone, dayRuns, formatCompact, formatDay, formatDecimal, monthEnd } from './costs';
import { useCosts } from './costsStore';

function Tile({
  testId,
  tone,
  label,
  value,
  sub,
  title,
}: {
  testId: string;
  tone: string;
  label: string;
  value: ReactElement | string;
  sub?: ReactElement | string | null;
  title?: string;
}): ReactElement {
  return (
    <div className={`stat stat-${tone} cost-stat`} data-testid={testId} data-tone={tone} title={title}>
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value}</span>
      {sub ? <span className="cost-stat-sub">{sub}</span> : null}
    </div>
  );
}

export function SummaryTiles({ view }: { view: CostView }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const f = useCostFormat();
  const c = view.conversations;
  const tone = conversationTone(c.p50, c.targetKzt);
  const target = f.amount(c.targetKzt, 'KZT', { whole: true });
  const tot = view.totals;
  const toneText =
    tone === 'ok'
      ? t('costs.tile.underTarget', { target })
      : tone === 'warning'
        ? t('costs.tile.overTargetState', { target })
        : t('costs.tile.targetUnknown', { target });
  return (
    <section className="cost-summary" aria-label={t('costs.tile.label')}>
      <div className="stat-grid cost-stats">
        <Tile
          testId="cost-total"
          tone="total"
          label={t('costs.tile.spend')}
          value={<MoneyText money={tot.cost} />}
          sub={f.other(tot.cost)}
        />
        {view.projection ? (
          <Tile
            testId="cost-projection"
            tone="info"
            label={t('costs.tile.projection', { day: formatDay(monthEnd(view.to), lng) })}
            value={<MoneyText money={view.projection} />}
            sub={f.other(view.projection)}
          />
        ) : null}
        <Tile testId="cost-calls" tone="total" label={t('costs.tile.calls')} value={f.count(tot.calls)} />
        <Tile
          testId="cost-tokens"
          tone="total"
          label={t('costs.tile.tokens')}
          value={`${formatCompact(tot.inputTokens, lng)} / ${formatCompact(tot.outputTokens, lng)}`}
          sub={t('costs.tile.tokensInOut', {
            input: formatNumber(tot.inputTokens, lng, 0),
            output: formatNumber(tot.outputTokens, lng, 0),
          })}
        />
        <Tile
          testId="cost-conversations"
          tone="total"
          label={t('costs.tile.conversations')}
          value={f.count(tot.conversations)}
        />
        <div className={`stat stat-${tone} cost-stat`} data-testid="cost-per-conversation" data-tone={tone}>
          <span className="stat-label">{t('costs.tile.perConversation')}</span>
          <span className="stat-value">
            {c.p50 ? <MoneyText money={c.p50} /> : t('common.none')}
            <span className="cost-stat-unit"> {t('costs.tile.p50')}</span>
          </span>
          <span className="cost-stat-sub">
            {t('costs.tile.p95')}: {c.p95 ? <MoneyText money={c.p95} /> : t('common.none')}
          </span>
          <span className="cost-stat-sub">
            <ToneTag tone={tone} text={toneText} testId="cost-target-state" />
          </span>
          {c.overTarget !== null ? (
            <span className="cost-stat-sub" data-testid="cost-over-target">
              {t('costs.tile.overTarget', { share: f.pct(c.overTarget), target })}
            </span>
          ) : null}
        </div>
        {tot.unpricedCalls > 0 ? (
          <Tile
            testId="cost-unpriced"
            tone="warning"
            label={t('costs.tile.unpricedLabel')}
            value={
              <>
                <WarningIcon /> {f.count(tot.unpricedCalls)}
              </>
            }
            sub={t('costs.tile.unpriced', { count: tot.unpricedCalls, n: f.count(tot.unpricedCalls) })}
          />
        ) : null}
      </div>
    </section>
  );
}

/** How tenge are reckoned, the price version, and what is missing. */
export function RatesNotes({ view }: { view: CostView }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const setTab = useCosts((s) => s.setTab);
  const latest = view.rates.latest;
  const missing = view.rates.missing;
  const runs = dayRuns(missing)
    .map((r) =>
      r.from === r.to
        ? formatDay(r.from, lng, true)
        : `${formatDay(r.from, lng)}–${formatDay(r.to, lng, true)}`,
    )
    .join(', ');
  const failed = view.hosts.filter((h) => !h.ok);
  return (
    <>
      <p className="muted small cost-rates-note" data-testid="cost-rates-note">
        {latest
          ? t('costs.rates.note', {
              rate: formatDecimal(latest.kztPerUsd, lng),
              date: formatDay(latest.date, lng, true),
            })
          : t('costs.rates.noneKnown')}
        {view.priceVersion ? ` ${t('costs.rates.priceVersion', { version: view.priceVersion })}` : null}
      </p>
      {missing.length > 0 ? (
        <Callout tone="warning" testId="cost-rates-missing" className="cost-callout">
          <WarningIcon />
          <p>{t('costs.rates.missing', { n: missing.length, days: runs })}</p>
          <Button small onClick={() => setTab('prices')} testId="cost-rates-missing-import">
            {t('costs.rates.importNow')}
          </Button>
        </Callout>
      ) : null}
      {failed.map((h) => (
        <Callout key={h.host} tone="warning" testId={`cost-host-failed-${h.host}`}>
          <WarningIcon />
          <p>{t('costs.hostFailed', { host: h.host, error: h.error ?? t('costs.noAnswer') })}</p>
        </Callout>
      ))}
    </>
  );
}
