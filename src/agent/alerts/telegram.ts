/**
 * A Telegram Bot API client over node:https (node:http for an http:// base, as the test world's
 * stand-in): `sendMessage` and `getMe`, JSON bodies, Telegram's own answer shape —
 * `{ok: true, result}` or `{ok: false, error_code, description, parameters: {retry_after,
 * migrate_to_chat_id}}`. The bot token is held in a private field and never written anywhere but
 * the request's path: every error message passes through `redact` (the path `/bot<token>/` and
 * the token itself become `/bot<redacted>/` and `<redacted>`), so neither logs nor errors carry it.
 */
import http from 'node:http';
import https from 'node:https';
import { REDACTED, redactText } from '../../shared/redact';
import type { Destination, Sender, SendOutcome } from './queue';

export const TELEGRAM_API = 'https://api.telegram.org';
const MAX_ANSWER = 1024 * 1024;

export interface TelegramUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}

export interface TelegramMessage {
  message_id: number;
  date: number;
  chat: { id: number; type: string };
  message_thread_id?: number;
  text?: string;
}

export interface TelegramErrorBody {
  ok: false;
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export type TelegramAnswer<T> = { ok: true; result: T } | TelegramErrorBody;

export interface SendMessageParams {
  chat_id: string | number;
  text: string;
  message_thread_id?: number;
  parse_mode?: 'HTML';
  disable_notification?: boolean;
  link_preview_options?: { is_disabled: boolean };
}

/** No Telegram answer: the network, a timeout, or a server error page that is not the Bot API's JSON. */
export class TelegramNetworkError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'TelegramNetworkError';
  }
}

/**
 * `text` with the token, any `/bot…/` path (whatever its shape: this client's paths are all Bot API
 * paths) and anything else shaped like a secret redacted.
 */
export function redact(text: string, token: string): string {
  return redactText(text.replace(/\/bot[^/\s]+\//g, `/bot${REDACTED}/`), token ? [token] : []);
}

export interface TelegramClientOptions {
  token: string;
  /** Default https://api.telegram.org; tests point it at the stand-in. */
  baseUrl?: string;
  /** One request's whole time (default 15 s). */
  timeoutMs?: number;
}

export class TelegramClient {
  readonly #token: string;
  readonly #base: string;
  /** The base URL, redacted (for logs). */
  readonly baseUrl: string;
  readonly timeoutMs: number;

  constructor(opts: TelegramClientOptions) {
    this.#token = opts.token;
    this.#base = (opts.baseUrl ?? TELEGRAM_API).replace(/\/+$/, '');
    this.baseUrl = redact(this.#base, opts.token);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  getMe(): Promise<TelegramAnswer<TelegramUser>> {
    return this.call<TelegramUser>('getMe', {});
  }

  sendMessage(p: SendMessageParams): Promise<TelegramAnswer<TelegramMessage>> {
    return this.call<TelegramMessage>('sendMessage', p);
  }

  /** One Bot API call: Telegram's answer, or a TelegramNetworkError (its message redacted). */
  call<T>(method: string, params: object): Promise<TelegramAnswer<T>> {
    const token = this.#token;
    return new Promise<TelegramAnswer<T>>((resolve, reject) => {
      const fail = (message: string, status: number | null = null): void =>
        reject(new TelegramNetworkError(redact(`Telegram ${method}: ${message}`, token), status));
      let url: URL;
      try {
        url = new URL(`${this.#base}/bot${token}/${method}`);
      } catch {
        fail(`bad base URL ${JSON.stringify(this.baseUrl)}`);
        return;
      }
      const body = Buffer.from(JSON.stringify(params));
      const lib = url.protocol === 'http:' ? http : https;
      const req = lib.request(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER) req.destroy(new Error('answer larger than 1 MiB'));
            else chunks.push(c);
          });
          res.on('error', (e) => fail(e.message));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            const answer = parseAnswer<T>(text);
            if (answer) resolve(answer);
            else
              fail(
                `HTTP ${status} without a Bot API answer${text ? `: ${text.slice(0, 120).replace(/\s+/g, ' ')}` : ''}`,
                status,
              );
          });
        },
      );
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      req.on('close', () => clearTimeout(timer));
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e) => fail(e.message));
      req.end(body);
    });
  }
}

function parseAnswer<T>(text: string): TelegramAnswer<T> | null {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  if (!o || typeof o !== 'object') return null;
  const a = o as Record<string, unknown>;
  if (a['ok'] === true && 'result' in a) return a as unknown as TelegramAnswer<T>;
  if (a['ok'] === false && typeof a['error_code'] === 'number') {
    return {
      ok: false,
      error_code: a['error_code'],
      description: typeof a['description'] === 'string' ? a['description'] : '',
      ...(a['parameters'] && typeof a['parameters'] === 'object'
        ? { parameters: a['parameters'] as TelegramErrorBody['parameters'] }
        : {}),
    };
  }
  return null;
}

/**
 * What the queue does with an answer: sent; wait `retry_after` and send the same again (429);
 * retry with back-off (network, 5xx); the group became a supergroup (send to the new id);
 * hold everything (401/404: the token is wrong — nothing can be sent until it is fixed); or a
 * permanent refusal of this message (other 4xx: bad request, blocked, chat not found).
 */
export function outcomeOf(answer: TelegramAnswer<TelegramMessage> | Error): SendOutcome {
  if (answer instanceof Error) return { kind: 'transient', error: answer.message };
  if (answer.ok) return { kind: 'sent', messageId: answer.result.message_id };
  const { error_code: code, description, parameters } = answer;
  if (code === 429)
    return { kind: 'retry-after', seconds: Math.max(1, Number(parameters?.retry_after) || 5) };
  if (parameters?.migrate_to_chat_id !== undefined)
    return { kind: 'migrated', toChatId: String(parameters.migrate_to_chat_id) };
  if (code === 401 || code === 404) return { kind: 'unauthorized', error: `${code} ${description}` };
  if (code >= 500) return { kind: 'transient', error: `${code} ${description}` };
  return { kind: 'permanent', code, error: description || `error ${code}` };
}

/** The queue's sender over this client: HTML, silent for warnings, no link previews. */
export function telegramSender(client: TelegramClient): Sender {
  return async (dest: Destination, msg: { text: string; silent: boolean }): Promise<SendOutcome> => {
    try {
      return outcomeOf(
        await client.sendMessage({
          chat_id: dest.chatId,
          ...(dest.threadId !== undefined ? { message_thread_id: dest.threadId } : {}),
          text: msg.text,
          parse_mode: 'HTML',
          disable_notification: msg.silent,
          link_preview_options: { is_disabled: true },
        }),
      );
    } catch (err) {
      return outcomeOf(err instanceof Error ? err : new Error(String(err)));
    }
  };
}
