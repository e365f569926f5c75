/**
 * The Costs screen's forms as data, checked with the contract's own schemas before anything is
 * sent (their messages in the UI language): a price entry; and a refused line of rates in words.
 */
import { PriceEntrySchema } from '../../../../shared/contract';
import { i18n, schemaMessage } from '../../i18n';
import type { PriceEntry } from './costs';
import type { RateLineError } from './rates';

/** The add-price form as typed (every field text; empty optional fields are left out). */
export interface PriceDraft {
  provider: string;
  model: string;
  input: string;
  cachedInput: string;
  output: string;
  from: string;
  to: string;
  source: string;
  checkedOn: string;
  tenant: string;
}
/** A field's problem: the contract's message in the UI language, or `required` / `order`. */
export type PriceDraftErrors = Partial<Record<keyof PriceDraft, string>>;

/** The entry a draft makes, or why not (by field, in the contract's words translated). */
export function priceFromDraft(
  d: PriceDraft,
  lng: 'en' | 'ru',
): { entry: PriceEntry } | { errors: PriceDraftErrors } {
  const opt = (s: string): string | undefined => (s.trim() ? s.trim() : undefined);
  const candidate = {
    provider: d.provider.trim(),
    model: d.model.trim(),
    usd: {
      input: d.input.trim(),
      ...(opt(d.cachedInput) ? { cachedInput: opt(d.cachedInput) } : {}),
      ...(opt(d.output) ? { output: opt(d.output) } : {}),
    },
    from: d.from.trim(),
    ...(opt(d.to) ? { to: opt(d.to) } : {}),
    source: d.source.trim(),
    checkedOn: opt(d.checkedOn) ?? null,
    ...(opt(d.tenant) ? { tenant: opt(d.tenant) } : {}),
  };
  const errors: PriceDraftErrors = {};
  const PRICE = 'A price is a decimal number of USD per 1M tokens.';
  const DAY = 'A day is written YYYY-MM-DD.';
  const parsed = PriceEntrySchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [a, b] = issue.path;
      const field = (a === 'usd' ? b : a) as keyof PriceDraft | undefined;
      if (!field || errors[field]) continue;
      const message =
        a === 'usd'
          ? PRICE
          : field === 'from' || field === 'to' || field === 'checkedOn'
            ? DAY
            : issue.message;
      errors[field] = schemaMessage(message, lng);
    }
  }
  if (!candidate.provider) errors.provider = 'required';
  if (!candidate.model) errors.model = 'required';
  if (!candidate.source) errors.source = 'required';
  if (candidate.to && candidate.from && candidate.to <= candidate.from && !errors.to) errors.to = 'order';
  if (Object.keys(errors).length > 0 || !parsed.success) return { errors };
  return { entry: parsed.data };
}

/** A refused line of rates in the UI language: "Line 3 (“2026-13-01,512”): not a day …". */
export function rateLineText(e: RateLineError): string {
  const reason =
    e.code === 'duplicate'
      ? i18n.t('costs.rates.problem.duplicate', { first: e.first ?? 0 })
      : i18n.t(`costs.rates.problem.${e.code}`);
  const text = e.text.trim();
  return i18n.t('costs.rates.lineError', {
    line: e.line,
    text: text.length > 60 ? `${text.slice(0, 59)}…` : text,
    reason,
  });
}
