/**
 * A host's alert settings as the console changes them: the fields a `configure` gives are merged
 * into the config the agent runs with, and the Telegram bot token is kept apart (a secret). Pure.
 */
import type { AlertsConfig } from '../../../shared/agent/alerts';
import type { z } from 'zod';
import type { Commands } from '../../../shared/contract';
import { InfoError } from '../../../shared/errors';
import { redactText } from '../../../shared/redact';
import { CoreError } from '../errors';

/** What `alerts.configure` may change (the contract's input without the host and the token). */
export type ConfigChanges = Omit<z.output<Commands['alerts.configure']['input']>, 'host' | 'token'>;

/** Where the console keeps a host's bot token in its store (encrypted; `hosts.forget` drops it). */
export function tokenSecretId(host: string): string {
  return `host:${host}:telegram-token`;
}

/**
 * The config to send: the agent's current one (or a fresh one) with each given field replacing
 * the same field — a list given (destinations, overrides) replaces the list, `quietHours: null`
 * turns quiet hours off — and `host` always the console's name for the host, which the agent's
 * messages and per-host overrides use. Fields not given stay as they are.
 */
export function mergeConfig(
  current: AlertsConfig | null,
  host: string,
  changes: ConfigChanges,
): AlertsConfig {
  const next: AlertsConfig = { ...(current ?? {}), host };
  if (changes.telegram !== undefined) next.telegram = changes.telegram;
  if (changes.language !== undefined) next.language = changes.language;
  if (changes.timeZone !== undefined) next.timeZone = changes.timeZone;
  if (changes.quietHours !== undefined) next.quietHours = changes.quietHours;
  if (changes.overrides !== undefined) next.overrides = changes.overrides;
  if (changes.telegramApi !== undefined) next.telegramApi = changes.telegramApi;
  if (changes.digestAfter !== undefined) next.digestAfter = changes.digestAfter;
  return next;
}

/** `text` with `token` (and anything shaped like a secret) redacted. */
export function redactToken(text: string, token?: string | null): string {
  return redactText(text, token ? [token] : []);
}

function redactValue(v: unknown, token: string | null | undefined): unknown {
  if (typeof v === 'string') return redactToken(v, token);
  if (Array.isArray(v)) return v.map((x) => redactValue(x, token));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactValue(x, token)]));
  return v;
}

/**
 * An error that may carry a bot token (the agent refusing one may quote it) as the same error
 * with the token redacted from its message, hint and details: what reaches the caller, the audit
 * and the screen never holds it.
 */
export function redactError(err: unknown, token: string | null | undefined): Error {
  if (err instanceof InfoError) {
    const info = err.toInfo();
    return new CoreError(
      info.code,
      redactToken(info.message, token),
      info.hint === undefined ? undefined : redactToken(info.hint, token),
      info.details === undefined ? undefined : (redactValue(info.details, token) as Record<string, unknown>),
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CoreError(
    'internal',
    `Unexpected error: ${redactToken(message, token)}`,
    'This is a bug in Truffles Console; please report it with the steps that led here.',
  );
}
