/** Types of the Telegram Bot API stand-in's server (lib/server.mjs), for the TypeScript tests. */

export declare const DEFAULT_TOKEN: string;

export interface StandinMessage {
  chat_id: string;
  message_thread_id: number | null;
  message_id: number;
  /** The plain text, as Telegram keeps it (tags taken out, entities decoded, trimmed). */
  text: string;
  /** What was sent, with its markup (null without a parse_mode). */
  html: string | null;
  parse_mode: string | null;
  disable_notification: boolean;
  receivedAt: number;
}

export interface StandinRequest {
  at: number;
  method: string;
  status: number | 'reset';
  chat_id: string | null;
}

export interface StandinMode {
  tooManyUntil: number;
  retryAfter: number | null;
  failNext: number;
  failWith: 500 | 502 | 'reset' | number;
  blockedChats: Array<string | number>;
  missingChats: Array<string | number>;
  migratedChats: Record<string, number | string>;
  minIntervalMs: number;
}

export type StandinModeChange = Partial<Omit<StandinMode, 'tooManyUntil' | 'retryAfter'>> & {
  /** Answer 429 for `forMs` from now, with `retryAfter` (default: the seconds left). */
  tooManyRequests?: { forMs?: number; retryAfter?: number | null };
};

export interface Standin {
  url: string;
  port: number;
  token: string;
  messages(): StandinMessage[];
  requests(): StandinRequest[];
  setMode(change: StandinModeChange): void;
  reset(): void;
  close(): Promise<void>;
}

export declare function start(opts?: {
  port?: number;
  host?: string;
  token?: string;
  quiet?: boolean;
}): Promise<Standin>;
