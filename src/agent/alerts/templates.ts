/**
 * Alert messages in English and Russian, in Telegram's HTML parse mode: fire, escalate, repeat,
 * resolve, a digest and a test message. Every piece of text that came from the host (a service
 * name, an error, a health check's output) is escaped; the tags are ours. Each message names the
 * host, the tenant, what happened, since when, the value and the fix where there is one, and
 * ends with the episode's id (`#42`), the one `truffles alerts ack` takes.
 */
import type { AlertLanguage, AlertNotice, AlertRecord } from '../../shared/agent/alerts';
import { escapeHtml, FIXES, TITLES, WORDS } from './words';

export { escapeHtml, formatBytes } from './words';

/** Telegram's limit for a message's text. */
export const TELEGRAM_TEXT_LIMIT = 4096;

export interface TemplateOptions {
  language: AlertLanguage;
  /** IANA zone for times (default UTC). */
  timeZone?: string;
}

export interface RenderedMessage {
  text: string;
  /** One line (HTML) for a digest. */
  summary: string;
  silent: boolean;
}

/** `2025-03-03 12:00 UTC` in the zone given (UTC when it is not one Node knows). */
export function formatTime(at: number, timeZone = 'UTC'): string {
  const make = (tz: string) =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  let f: Intl.DateTimeFormat;
  let zone = timeZone;
  try {
    f = make(timeZone);
  } catch {
    f = make('UTC');
    zone = 'UTC';
  }
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, x.value]));
  return `${p['year']}-${p['month']}-${p['day']} ${p['hour']}:${p['minute']} ${zone}`;
}

/** `45 s`, `2 min`, `1 h 5 min`, `3 d 4 h` (Russian: `с`, `мин`, `ч`, `д`). */
export function formatDuration(ms: number, language: AlertLanguage): string {
  const w = WORDS[language];
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} ${w.s}`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} ${w.min}`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} ${w.h} ${m % 60} ${w.min}` : `${h} ${w.h}`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} ${w.d} ${h % 24} ${w.h}` : `${d} ${w.d}`;
}

/** Cut plain text to `max` characters (before escaping, so no entity is cut). */
export function clip(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** Where: `web1 · acme · postgres` (escaped). */
function where(host: string, a: AlertRecord): string {
  const parts = [host, a.subject.tenant, a.subject.service, a.subject.mount, a.subject.cert];
  return parts
    .filter((p): p is string => Boolean(p))
    .map(escapeHtml)
    .join(' · ');
}

export function title(a: AlertRecord, language: AlertLanguage, timeZone = 'UTC'): string {
  return escapeHtml(TITLES[a.kind](a, language, timeZone));
}

export function renderNotice(n: AlertNotice, o: TemplateOptions): RenderedMessage {
  const { language: lang } = o;
  const tz = o.timeZone ?? 'UTC';
  const w = WORDS[lang];
  const a = n.alert;
  const since = a.firingSince ?? a.pendingSince;
  const what = title(a, lang, tz);
  const lines: string[] = [];
  const icon = n.type === 'resolve' ? '✅' : a.severity === 'critical' ? '🔴' : '🟡';
  const label =
    n.type === 'resolve'
      ? w.resolved
      : n.type === 'escalate'
        ? w.escalated
        : n.type === 'repeat'
          ? `${w.severity[a.severity]} · ${w.still}`
          : w.severity[a.severity];
  lines.push(`${icon} <b>${escapeHtml(label)}</b> · ${where(n.host, a)}`);
  lines.push(`<b>${what}</b>`);
  if (n.type === 'resolve') {
    const end = n.resolvedAt ?? n.at;
    lines.push(
      `${escapeHtml(w.lasted)}: ${escapeHtml(formatDuration(end - since, lang))} (${escapeHtml(formatTime(since, tz))} → ${escapeHtml(formatTime(end, tz))})`,
    );
    if (n.reason && n.reason !== 'cleared') lines.push(escapeHtml(w.reason[n.reason]));
  } else {
    const started = a.pendingSince;
    lines.push(
      `${escapeHtml(w.since)}: ${escapeHtml(formatTime(started, tz))} (${escapeHtml(formatDuration(n.at - started, lang))})`,
    );
    const detail = detailLine(a, lang);
    if (detail) lines.push(detail);
    const fix = a.fix ? FIXES[a.fix]?.(a, lang) : undefined;
    if (fix) lines.push(`${escapeHtml(w.fix)}: ${fix}`);
    if (a.ack) lines.push(escapeHtml(`${w.acked} ${a.ack.by}`));
  }
  lines.push(`#a${a.id}`);
  const summary = `${icon} ${where(n.host, a)}: ${what}${n.type === 'resolve' ? ` — ${escapeHtml(w.resolved.toLowerCase())}` : ''}`;
  return { text: fit(lines.join('\n')), summary, silent: n.silent };
}

/** The value and what came with it (a health check's output, an error), escaped and clipped. */
function detailLine(a: AlertRecord, lang: AlertLanguage): string | null {
  const w = WORDS[lang];
  const f = a.facts;
  const out =
    typeof f['output'] === 'string' ? f['output'] : typeof f['error'] === 'string' ? f['error'] : null;
  if (out) return `<pre>${escapeHtml(clip(out.trim(), 600))}</pre>`;
  if (a.value !== null && a.kind !== 'container-exited' && a.kind !== 'service-down')
    return `${escapeHtml(w.value)}: ${escapeHtml(String(a.value))}${a.peak !== null && a.peak !== a.value ? escapeHtml(` (${w.peak} ${a.peak})`) : ''}`;
  return null;
}

/** Keep a message under Telegram's limit: cut at a line break, never inside a tag or an entity. */
function fit(text: string): string {
  if (text.length <= TELEGRAM_TEXT_LIMIT) return text;
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  let out = '';
  for (const l of lines) {
    if (out.length + l.length + last.length + 8 > TELEGRAM_TEXT_LIMIT) break;
    out += l + '\n';
  }
  return `${out}…\n${last}`;
}

/** One message for many: the host, how many, one line each (as many as fit). */
export function renderDigest(host: string, summaries: string[], o: TemplateOptions): string {
  const w = WORDS[o.language];
  const head = `📋 <b>${escapeHtml(host)}</b>: ${escapeHtml(w.digest(summaries.length))}`;
  let text = head;
  let shown = 0;
  for (const s of summaries) {
    const more = summaries.length - shown - 1;
    const tail = more > 0 ? `\n${escapeHtml(w.more(more))}` : '';
    if (text.length + 1 + s.length + tail.length > TELEGRAM_TEXT_LIMIT - 40) break;
    text += `\n${s}`;
    shown++;
  }
  if (shown < summaries.length) text += `\n${escapeHtml(w.more(summaries.length - shown))}`;
  return text;
}

export function renderTest(host: string, at: number, o: TemplateOptions): string {
  const w = WORDS[o.language];
  return `🔔 <b>${escapeHtml(w.testTitle)}</b> · ${escapeHtml(host)}\n${escapeHtml(w.testBody)}\n${escapeHtml(formatTime(at, o.timeZone))}`;
}
