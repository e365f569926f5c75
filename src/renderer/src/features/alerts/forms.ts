/**
 * The forms of the Alerts screen, as data: a silence (duration presets, rule and subject patterns
 * prefilled from the alert), a maintenance window, and a host's settings (Telegram chats, the
 * write-only bot token, language, time zone, quiet hours). Each turns its draft into the
 * command's input or says which fields are wrong; the contract's schema has the last word, and
 * its messages are kept as written (the screen words them with `schemaMessage`).
 */
import type { AlertLanguage, AlertsView } from '../../../../shared/agent/alerts';
import { commands } from '../../../../shared/contract';
import type { CommandInput } from '../../../../shared/contract';
import type { AlertRow } from './alerts';

/** A field's problem: a message of the contract (English, to be worded) or one of the screen's own. */
export type FieldProblem =
  | { schema: string }
  | { own: 'chatEmpty' | 'threadInvalid' | 'minutesInvalid' | 'globEmpty' | 'startInvalid' };

/** Problems by field: the input's path joined with dots (`telegram.0.chatId`, `quietHours.from`). */
export type FieldErrors = Record<string, FieldProblem>;

export type FormResult<I> = { ok: true; input: I } | { ok: false; errors: FieldErrors };

function schemaErrors(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const i of issues) {
    const field = i.path.map(String).join('.') || 'form';
    errors[field] ??= { schema: i.message };
  }
  return errors;
}

const WHOLE = /^\d{1,9}$/;

// ---------- silence ----------

export const SILENCE_PRESETS = [60, 240, 1440] as const;
export type SilencePreset = (typeof SILENCE_PRESETS)[number] | 'custom';

export interface SilenceDraft {
  preset: SilencePreset;
  /** Minutes, when `custom`. */
  minutes: string;
  rule: string;
  subject: string;
  reason: string;
}

/** A silence of this alert's rule and subject for an hour. */
export function silenceDraftFor(row: Pick<AlertRow, 'ruleId' | 'subjectKey'>): SilenceDraft {
  return { preset: 60, minutes: '', rule: row.ruleId, subject: row.subjectKey, reason: '' };
}

export type SilenceInput = CommandInput<'alerts.silence'>;

export function silenceInput(host: string, d: SilenceDraft): FormResult<SilenceInput> {
  const errors: FieldErrors = {};
  const minutes = d.preset === 'custom' ? (WHOLE.test(d.minutes.trim()) ? Number(d.minutes) : NaN) : d.preset;
  if (!(minutes >= 1 && minutes <= 43_200)) errors['minutes'] = { own: 'minutesInvalid' };
  const rule = d.rule.trim();
  const subject = d.subject.trim();
  if (!rule) errors['rule'] = { own: 'globEmpty' };
  if (!subject) errors['subject'] = { own: 'globEmpty' };
  if (Object.keys(errors).length) return { ok: false, errors };
  const input: SilenceInput = { host, rule, subject, minutes };
  const reason = d.reason.trim();
  if (reason) input.reason = reason;
  const r = commands['alerts.silence'].input.safeParse(input);
  return r.success ? { ok: true, input } : { ok: false, errors: schemaErrors(r.error.issues) };
}

// ---------- maintenance ----------

export interface MaintenanceDraft {
  /** A `datetime-local` value: local time, `YYYY-MM-DDTHH:MM`. */
  start: string;
  minutes: string;
  rule: string;
  subject: string;
  reason: string;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `now` as a `datetime-local` value (local time, to the minute). */
export function localInputValue(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function maintenanceDraft(now: number): MaintenanceDraft {
  return { start: localInputValue(now), minutes: '60', rule: '*', subject: '*', reason: '' };
}

export type MaintenanceInput = CommandInput<'alerts.maintenance'>;

/** When the window would end (ms), or null while the draft cannot say. */
export function maintenanceEnd(d: MaintenanceDraft): number | null {
  const start = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(d.start) ? new Date(d.start).getTime() : NaN;
  const minutes = WHOLE.test(d.minutes.trim()) ? Number(d.minutes) : NaN;
  if (!Number.isFinite(start) || !(minutes >= 1)) return null;
  return start + minutes * 60_000;
}

export function maintenanceInput(host: string, d: MaintenanceDraft): FormResult<MaintenanceInput> {
  const errors: FieldErrors = {};
  const start = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(d.start) ? new Date(d.start).getTime() : NaN;
  if (!Number.isFinite(start)) errors['start'] = { own: 'startInvalid' };
  const minutes = WHOLE.test(d.minutes.trim()) ? Number(d.minutes) : NaN;
  if (!(minutes >= 1 && minutes <= 43_200)) errors['minutes'] = { own: 'minutesInvalid' };
  const rule = d.rule.trim();
  const subject = d.subject.trim();
  if (!rule) errors['rule'] = { own: 'globEmpty' };
  if (!subject) errors['subject'] = { own: 'globEmpty' };
  if (Object.keys(errors).length) return { ok: false, errors };
  const input: MaintenanceInput = {
    host,
    start: new Date(start).toISOString(),
    end: new Date(start + minutes * 60_000).toISOString(),
    rule,
    subject,
  };
  const reason = d.reason.trim();
  if (reason) input.reason = reason;
  const r = commands['alerts.maintenance'].input.safeParse(input);
  return r.success ? { ok: true, input } : { ok: false, errors: schemaErrors(r.error.issues) };
}

// ---------- a host's settings ----------

export interface ChatDraft {
  chatId: string;
  threadId: string;
  language: '' | AlertLanguage;
}

export interface SettingsDraft {
  chats: ChatDraft[];
  /** A new bot token; empty keeps the current one. Never filled from the host (it never leaves it). */
  token: string;
  removeToken: boolean;
  language: AlertLanguage;
  timeZone: string;
  quiet: boolean;
  quietFrom: string;
  quietTo: string;
  quietZone: string;
}

export const MAX_CHATS = 10;

/** The form as the host runs now (the token only as set / not set, elsewhere). */
export function settingsDraft(view: AlertsView | null, uiLanguage: AlertLanguage): SettingsDraft {
  const c = view?.config ?? null;
  const zone = c?.timeZone ?? 'UTC';
  return {
    chats: (c?.telegram ?? []).map((d) => ({
      chatId: d.chatId,
      threadId: d.threadId === undefined ? '' : String(d.threadId),
      language: d.language ?? '',
    })),
    token: '',
    removeToken: false,
    language: c?.language ?? uiLanguage,
    timeZone: zone,
    quiet: Boolean(c?.quietHours),
    quietFrom: c?.quietHours?.from ?? '22:00',
    quietTo: c?.quietHours?.to ?? '08:00',
    quietZone: c?.quietHours?.timeZone ?? zone,
  };
}

export type ConfigureInput = CommandInput<'alerts.configure'>;

export function configureInput(host: string, d: SettingsDraft): FormResult<ConfigureInput> {
  const errors: FieldErrors = {};
  const telegram: NonNullable<ConfigureInput['telegram']> = [];
  d.chats.slice(0, MAX_CHATS).forEach((c, i) => {
    const chatId = c.chatId.trim();
    const thread = c.threadId.trim();
    if (!chatId) errors[`telegram.${i}.chatId`] = { own: 'chatEmpty' };
    let threadId: number | undefined;
    if (thread) {
      if (WHOLE.test(thread) && Number(thread) > 0) threadId = Number(thread);
      else errors[`telegram.${i}.threadId`] = { own: 'threadInvalid' };
    }
    telegram.push({
      chatId,
      ...(threadId !== undefined ? { threadId } : {}),
      ...(c.language ? { language: c.language } : {}),
    });
  });
  const input: ConfigureInput = {
    host,
    telegram,
    language: d.language,
    timeZone: d.timeZone.trim(),
    quietHours: d.quiet
      ? { from: d.quietFrom.trim(), to: d.quietTo.trim(), timeZone: d.quietZone.trim() }
      : null,
  };
  if (d.removeToken) input.token = null;
  else if (d.token.trim()) input.token = d.token.trim();
  const r = commands['alerts.configure'].input.safeParse(input);
  const all = r.success ? errors : { ...schemaErrors(r.error.issues), ...errors };
  return Object.keys(all).length ? { ok: false, errors: all } : { ok: true, input };
}

/** IANA zones the browser knows (for the time zone field's suggestions), or a few common ones. */
export function timeZoneChoices(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    const all = intl.supportedValuesOf?.('timeZone');
    if (all && all.length) return all.includes('UTC') ? all : ['UTC', ...all];
  } catch {
    /* an older engine */
  }
  return ['UTC', 'Asia/Almaty', 'Asia/Tashkent', 'Europe/Moscow', 'Europe/Berlin', 'Europe/London'];
}
