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
