/**
 * USD→KZT rates from a file or text the operator pastes (the National Bank's rate of each day):
 * one day a line, `YYYY-MM-DD,512.34` or `YYYY-MM-DD;512,34` (a tab also separates; the bank's
 * own `DD.MM.YYYY` is read too), a header line allowed, blank lines skipped. Each refused line
 * says why (a code the screen words in the UI language); the accepted ones are what
 * `cost.ratesImport` takes.
 */
import { isDay } from './costs';

export interface Rate {
  date: string;
  kztPerUsd: string;
}

export type RateLineProblem = 'fields' | 'date' | 'rate' | 'zero' | 'duplicate';

export interface RateLineError {
  /** 1-based, as an editor counts lines. */
  line: number;
  text: string;
  code: RateLineProblem;
  /** For a duplicate: the line the day was first given on. */
  first?: number;
}

export interface ParsedRates {
  rates: Rate[];
  errors: RateLineError[];
  /** The first line was a header (skipped). */
  header: boolean;
  /** More rates than one import takes (5000). */
  tooMany: boolean;
}

export const MAX_RATES = 5000;
/** The contract's rate: up to 5 digits, up to 6 decimals. */
const RATE = /^\d{1,5}(\.\d{1,6})?$/;
const DOTTED = /^(\d{2})\.(\d{2})\.(\d{4})$/;

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

/** A day as YYYY-MM-DD (from that or from DD.MM.YYYY), or null when it is not a real day. */
function dayOf(s: string): string | null {
  const m = DOTTED.exec(s);
  const day = m ? `${m[3]}-${m[2]}-${m[1]}` : s;
  return isDay(day) ? day : null;
}

/** The fields of a line: `;` or a tab when the line has one (then `,` is the decimal point), else `,`. */
function fieldsOf(line: string): { fields: string[]; commaDecimal: boolean } {
  const sep = line.includes(';') ? ';' : line.includes('\t') ? '\t' : ',';
  const fields = line.split(sep).map(unquote);
  // A spreadsheet's trailing separator leaves an empty last field.
  while (fields.length > 2 && fields[fields.length - 1] === '') fields.pop();
  return { fields, commaDecimal: sep !== ',' };
}

export function parseRates(text: string): ParsedRates {
  const out: ParsedRates = { rates: [], errors: [], header: false, tooMany: false };
  const seen = new Map<string, number>();
  let first = true;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const n = i + 1;
    const isFirst = first;
    first = false;
    const { fields, commaDecimal } = fieldsOf(line);
    const date = dayOf(fields[0] ?? '');
    // A first line that does not start with a day is a header ("date,rate", "Дата;Курс").
    if (isFirst && !/^\d/.test(fields[0] ?? '')) {
      out.header = true;
      return;
    }
    if (fields.length !== 2) return void out.errors.push({ line: n, text: raw, code: 'fields' });
    if (!date) return void out.errors.push({ line: n, text: raw, code: 'date' });
    let rate = (fields[1] ?? '').replace(/[\s\u00a0]/g, '');
    if (commaDecimal) rate = rate.replace(',', '.');
    if (!RATE.test(rate)) return void out.errors.push({ line: n, text: raw, code: 'rate' });
    if (/^0+(\.0+)?$/.test(rate)) return void out.errors.push({ line: n, text: raw, code: 'zero' });
    const before = seen.get(date);
    if (before !== undefined)
      return void out.errors.push({ line: n, text: raw, code: 'duplicate', first: before });
    seen.set(date, n);
    out.rates.push({ date, kztPerUsd: rate });
  });
  out.tooMany = out.rates.length > MAX_RATES;
  return out;
}
