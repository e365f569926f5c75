/** How the pane writes a log entry: its clock time, its full moment, its service's colour, as text. */
import type { LogEntry } from './buffer';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Docker's moments carry nanoseconds, more than Date parses everywhere: the fraction is cut to
 * milliseconds first. Null when the text is not a moment.
 */
export function parseMoment(t: string): Date | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(t);
  if (!m) return null;
  const ms = (m[2] ?? '').slice(0, 3).padEnd(3, '0');
  const d = new Date(`${m[1]}.${ms}${m[3]}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * A moment as text that sorts in time order: Docker trims the fraction's trailing zeros
 * (`.1Z` is later than `.05Z` but sorts before it as given), so the fraction is padded to 9 digits.
 */
export function momentKey(t: string): string {
  const m = /^([^.Z+]*?)(?:\.(\d+))?(Z)$/.exec(t);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : t;
}

/**
 * The lines that arrived together, merged in time order (stable: a service's own order is kept
 * for equal moments). Lines of one service are already in order and come back as they are.
 */
export function mergeByTime<T extends { t: string; service: string }>(lines: T[]): T[] {
  if (lines.length < 2 || lines.every((l) => l.service === lines[0]!.service)) return lines;
  return lines
    .map((l, i) => ({ l, k: momentKey(l.t), i }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i))
    .map((x) => x.l);
}

/** Local HH:MM:SS.mmm, or the text as given when it is not a moment. */
export function formatClock(t: string): string {
  const d = parseMoment(t);
  if (!d) return t;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** How many service colours the stylesheet has (`.log-svc-0` …). */
export const SERVICE_COLOURS = 8;

/** A service's colour: its place among the tenant's services (sorted), so it is the same on each follow. */
export function serviceColour(service: string, services: readonly string[]): number {
  const sorted = [...services].sort();
  const i = sorted.indexOf(service);
  if (i >= 0) return i % SERVICE_COLOURS;
  let h = 0;
  for (const c of service) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % SERVICE_COLOURS;
}

/** One entry as a line of a downloaded .log file: moment, service, stream, text. */
export function entryAsText(e: LogEntry): string {
  if (e.notice) return `${e.t} -- ${e.notice}${e.text ? `: ${e.text}` : ''}`;
  return `${e.t} ${e.service} ${e.stream} ${e.text}`;
}

/** A file name for the download: tenant, service (or all) and the moment, safe on every system. */
export function downloadName(slug: string, service: string | null, now: Date = new Date()): string {
  const at = now
    .toISOString()
    .replace(/[:-]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${slug}-${service ?? 'all'}-${at}.log`;
}
