/**
 * Desktop notifications in browser mode: when an `alerts.changed` event says an alert fired or
 * became critical (or this console lost a host), the open page shows a browser Notification —
 * once per notice (notice ids are stable), only after the person allowed it from the Alerts
 * screen (never asked on load). In the desktop app the Electron shell shows them, so nothing is
 * shown here. Telegram is the agents' alone: nothing here sends a message anywhere.
 */
import type { AlertRecord } from '../../../../shared/agent/alerts';
import type { AppEvent } from '../../../../shared/contract';
import { getApi, isConnectedApi } from '../../api';
import { i18n } from '../../i18n';
import { subjectKeyOf } from './alerts';
import { describe } from './fixes';
import { formatDateTime, formatNumber } from '../../kit/format';

export type AlertsChanged = Extract<AppEvent, { type: 'alerts.changed' }>;

export type NoteItem =
  | { kind: 'alert'; tag: string; type: 'fire' | 'escalate'; host: string; alert: AlertRecord }
  | { kind: 'unreachable'; tag: string; host: string; minutes: number; message: string };

/** Ids already shown (bounded: the oldest are forgotten past `limit`). */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly limit = 500) {}
  /** False when `id` was seen already; else remembers it. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.limit) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}

/** What an event should show: its fire and escalate notices not shown before, and a host newly lost. */
export function notesFor(e: AlertsChanged, seen: RecentIds): NoteItem[] {
  const out: NoteItem[] = [];
  for (const n of e.notices ?? []) {
    if (n.type !== 'fire' && n.type !== 'escalate') continue;
    if (!seen.add(`${e.host}|${n.id}`)) continue;
    out.push({ kind: 'alert', tag: `${e.host}|${n.id}`, type: n.type, host: e.host, alert: n.alert });
  }
  const u = e.unreachable;
  if (u && seen.add(`${e.host}|unreachable|${u.since}`))
    out.push({
      kind: 'unreachable',
      tag: `${e.host}|unreachable`,
      host: e.host,
      minutes: Math.round(u.minutes),
      message: u.error.message,
    });
  return out;
}

/** A note's title and body in the UI language. */
export function noteWords(item: NoteItem): { title: string; body: string } {
  const t = i18n.t.bind(i18n);
  const lng = i18n.language === 'ru' ? 'ru' : 'en';
  if (item.kind === 'unreachable')
    return {
      title: t('alerts.notify.unreachable', { host: item.host }),
      body: t('alerts.notify.unreachableBody', { minutes: String(item.minutes), message: item.message }),
    };
  const a = item.alert;
  const kind = t(`alerts.kind.${a.kind}`);
  const title =
    item.type === 'escalate'
      ? t('alerts.notify.escalate', { kind, host: item.host })
      : t('alerts.notify.fire', { severity: t(`alerts.severity.${a.severity}`), kind, host: item.host });
  const what = describe(a, {
    num: (n) => formatNumber(n, lng),
    date: (ms) => formatDateTime(new Date(ms).toISOString(), lng),
  });
  const subject = subjectKeyOf(a.subject);
  const line = t(`alerts.what.${what.key}`, what.values);
  return { title, body: subject === 'host' ? line : `${subject}: ${line}` };
}

// ---------- the browser's side ----------

export type NotifyMode = 'electron' | 'unsupported' | 'default' | 'granted' | 'denied';

interface NotificationLike {
  readonly permission: 'default' | 'granted' | 'denied';
  requestPermission(): Promise<'default' | 'granted' | 'denied'>;
  new (title: string, options?: { body?: string; tag?: string; requireInteraction?: boolean }): unknown;
}

function notificationApi(): NotificationLike | null {
  const n = (globalThis as unknown as { Notification?: NotificationLike }).Notification;
  return typeof n === 'function' ? n : null;
}

/** Where notifications come from here: the desktop app's shell, this page (with its permission), or nowhere. */
export function notifyMode(): NotifyMode {
  if (!isConnectedApi(getApi())) return 'electron';
  const n = notificationApi();
  return n ? n.permission : 'unsupported';
}

/** Asks the browser once (from a person's click); the answer is the new mode. */
export async function requestNotifyPermission(): Promise<NotifyMode> {
  const mode = notifyMode();
  const n = notificationApi();
  if (mode !== 'default' || !n) return mode;
  try {
    return await n.requestPermission();
  } catch {
    return notifyMode();
  }
}

/** Shows the notes as desktop notifications when this page may. */
export function showNotes(items: readonly NoteItem[]): void {
  if (items.length === 0 || notifyMode() !== 'granted') return;
  const N = notificationApi();
  if (!N) return;
  for (const item of items) {
    const { title, body } = noteWords(item);
    try {
      new N(title, {
        body,
        tag: item.tag,
        requireInteraction: item.kind === 'alert' && item.alert.severity === 'critical',
      });
    } catch {
      /* the browser refused (e.g. a service worker is required): nothing else to do */
    }
  }
}
