/** The Costs screen's shared parts: money in the chosen currency, share bars, a chart's frame. */
import { Suspense, useId } from 'react';
import type { ReactElement, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Money } from '../../../../shared/contract';
import { formatNumber } from '../../kit/format';
import { GlyphIcon } from '../../kit/Icons';
import { useLng } from '../../kit/useLocale';
import { budgetTone, formatMoney, moneyIn, otherMoney } from './costs';
import type { Currency, Tone } from './costs';
import { useCosts } from './costsStore';

/** How the screen writes figures: money in the chosen currency (or $ without a rate), counts, shares. */
export function useCostFormat(): {
  currency: Currency;
  /** In the chosen currency, or in `currency` when given (a table's one currency). */
  money(m: Money, currency?: Currency): { text: string; fellBack: boolean };
  other(m: Money): string | null;
  /** A figure in a given currency; `whole` drops the ".00" of a round one (a target). */
  amount(value: string, currency: Currency, opts?: { signed?: boolean; whole?: boolean }): string;
  count(n: number): string;
  pct(share: number | null): string;
} {
  const lng = useLng();
  const { t } = useTranslation();
  const currency = useCosts((s) => s.currency);
  return {
    currency,
    money(m, cur) {
      const v = moneyIn(m, cur ?? currency);
      return { text: formatMoney(v.value, v.currency, lng), fellBack: v.fellBack };
    },
    other(m) {
      const o = otherMoney(m, moneyIn(m, currency).currency);
      return o ? formatMoney(o.value, o.currency, lng) : null;
    },
    amount: (value, cur, opts) => formatMoney(value, cur, lng, opts),
    count: (n) => formatNumber(n, lng, 0),
    pct: (share) => {
      if (share === null) return t('common.none');
      const p = share * 100;
      if (p > 0 && p < 0.1) return `<\u00a0${formatNumber(0.1, lng, 1)}\u00a0%`;
      return `${formatNumber(p, lng, p < 10 ? 1 : 0)}\u00a0%`;
    },
  };
}

/** A sum of money in the chosen currency; marked (and said) when it is in dollars for lack of a rate. */
export function MoneyText({
  money,
  currency,
  testId,
}: {
  money: Money;
  /** The table's one currency (see chartCurrency); else the chosen one. */
  currency?: Currency;
  testId?: string;
}): ReactElement {
  const { t } = useTranslation();
  const f = useCostFormat();
  const { text, fellBack } = f.money(money, currency);
  return (
    <span
      className={`cost-money${fellBack ? ' cost-money-usd' : ''}`}
      data-testid={testId}
      data-usd={money.usd}
      data-kzt={money.kzt ?? undefined}
      title={fellBack ? t('costs.noRateFigure') : undefined}
    >
      {text}
      {fellBack ? (
        <>
          <span className="cost-fallback-mark" aria-hidden="true">
            *
          </span>
          <span className="visually-hidden"> ({t('costs.noRateFigure')})</span>
        </>
      ) : null}
    </span>
  );
}

/** A share as a bar (a meter for screen readers), in a tone's colour or the accent. */
export function ShareBar({
  share,
  label,
  tone = 'info',
}: {
  share: number | null;
  label: string;
  tone?: Tone | 'info';
}): ReactElement {
  const pct = Math.max(0, Math.min(100, (share ?? 0) * 100));
  return (
    <div
      className={`bar cost-bar cost-bar-${tone}`}
      role="meter"
      aria-label={label}
      aria-valuenow={Math.round(pct)}
      aria-valuemin={0}
      aria-valuemax={100}
    >
      <div className="bar-fill" style={{ width: `${pct.toFixed(1)}%` }} />
    </div>
  );
}

/** A word with its tone's colour and icon — never colour alone. */
export function ToneTag({ tone, text, testId }: { tone: Tone; text: string; testId?: string }): ReactElement {
  return (
    <span className={`tag tag-${tone}`} data-tone={tone} data-testid={testId}>
      <GlyphIcon name={tone} />
      {text}
    </span>
  );
}

/**
 * A chart with its title, a summary for screen readers (the drawing is hidden from them), the
 * drawing in a box of fixed height (recharts measures its parent) and the same data as a table.
 */
export function ChartFigure({
  testId,
  title,
  summary,
  height,
  plot,
  table,
  className,
  data,
  children,
}: {
  testId: string;
  title: string;
  summary: string;
  height: number;
  plot: ReactNode;
  table: ReactNode;
  className?: string;
  data?: Record<`data-${string}`, string | number>;
  children?: ReactNode;
}): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  return (
    <figure
      className={`card cost-chart${className ? ` ${className}` : ''}`}
      data-testid={testId}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-summary`}
      {...data}
    >
      <figcaption>
        <h2 id={`${id}-title`} className="cost-card-title">
          {title}
        </h2>
        <p id={`${id}-summary`} className="visually-hidden" data-testid={`${testId}-summary`}>
          {summary}
        </p>
      </figcaption>
      <div className="cost-plot" style={{ height }} aria-hidden="true">
        <Suspense fallback={<span className="spinner" aria-hidden="true" />}>{plot}</Suspense>
      </div>
      {children}
      <details className="cost-table-alt">
        <summary>{t('costs.chart.asTable')}</summary>
        {table}
      </details>
    </figure>
  );
}

/** A monthly budget's share spent as a bar and words: amber from 80 %, red from 100 %, grey unknown. */
export function BudgetMeter({
  pct,
  amount,
  currency,
  label,
  testId,
}: {
  pct: number | null;
  amount: string;
  currency: Currency;
  label: string;
  testId?: string;
}): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const tone = budgetTone(pct);
  const of = formatMoney(amount, currency, lng, { whole: true });
  return (
    <span
      className={`cost-budget-meter cost-budget-${tone}`}
      data-testid={testId}
      data-tone={tone}
      data-pct={pct ?? ''}
    >
      <ShareBar share={pct === null ? null : Math.min(pct, 100) / 100} label={label} tone={tone} />
      <span className="small cost-budget-text">
        {tone !== 'ok' ? <GlyphIcon name={tone} /> : null}
        {pct === null
          ? t('costs.budget.pctUnknown', { amount: of })
          : t('costs.budget.pctOf', { pct: `${formatNumber(pct, lng, 0)}\u00a0%`, amount: of })}
      </span>
    </span>
  );
}

/** Said under a table shown in dollars although tenge were chosen (a day of the range has no rate). */
export function InUsdNote({ shown, testId }: { shown: Currency; testId?: string }): ReactElement | null {
  const { t } = useTranslation();
  const wanted = useCosts((s) => s.currency);
  if (shown === wanted) return null;
  return (
    <p className="muted small cost-in-usd" data-testid={testId}>
      {t('costs.inUsd')}
    </p>
  );
}
