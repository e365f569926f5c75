/**
 * What holds a message back: silences (until a time), maintenance windows (from–to) and quiet
 * hours (warnings only). A held alert still fires and shows; it is sent when nothing holds it any
 * more and it is still firing (an alert that resolved meanwhile is only in the history).
 */
import type { AlertRecord, AlertState, AlertsConfig, QuietHours } from '../../shared/agent/alerts';
import { globMatch } from './observations';

export type Hold = { by: 'silence' | 'maintenance' | 'quiet-hours'; until: number };

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes since local midnight in `timeZone` (UTC when it is not a zone this Node knows). */
export function localMinutes(at: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-GB', {
        timeZone,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      f = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'UTC',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    }
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(at));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return (get('hour') % 24) * 60 + get('minute');
}

function hhmm(s: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h < 24 && min < 60 ? h * 60 + min : null;
}

/** When the quiet hours around `at` end, or null when `at` is outside them (or they are malformed/empty). */
export function quietUntil(q: QuietHours | null | undefined, at: number): number | null {
  if (!q) return null;
  const from = hhmm(q.from);
  const to = hhmm(q.to);
  if (from === null || to === null || from === to) return null;
  const now = localMinutes(at, q.timeZone);
  const inside = from < to ? now >= from && now < to : now >= from || now < to;
  if (!inside) return null;
  const minutesLeft = (to - now + 1440) % 1440;
  const startOfMinute = at - (at % 60_000);
  return startOfMinute + minutesLeft * 60_000;
}

/** The hold on a record's messages now, the longest when several apply; null: none. */
export function holdOf(rec: AlertRecord, state: AlertState, config: AlertsConfig, now: number): Hold | null {
  let hold: Hold | null = null;
  const take = (h: Hold): void => {
    if (!hold || h.until > hold.until) hold = h;
  };
  for (const s of state.silences) {
    if (s.until > now && globMatch(s.rule, rec.ruleId) && globMatch(s.subject, rec.subjectKey))
      take({ by: 'silence', until: s.until });
  }
  for (const w of state.maintenance) {
    if (
      w.start <= now &&
      w.end > now &&
      globMatch(w.rule ?? '*', rec.ruleId) &&
      globMatch(w.subject ?? '*', rec.subjectKey)
    )
      take({ by: 'maintenance', until: w.end });
  }
  if (rec.severity === 'warning') {
    const until = quietUntil(config.quietHours, now);
    if (until !== null) take({ by: 'quiet-hours', until });
  }
  return hold;
}
