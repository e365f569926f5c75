import type { KbErrorCode } from '../shared/kb/protocol';

/** A failure the worker names: its code reaches the job and the console as it is. */
export class WorkerError extends Error {
  constructor(
    readonly code: KbErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function errorOf(err: unknown): { code: KbErrorCode; message: string } {
  if (err instanceof WorkerError) return { code: err.code, message: err.message };
  const e = err as { code?: unknown; detail?: unknown; message?: unknown };
  // The extraction library's errors carry their own code and detail.
  if (typeof e?.code === 'string' && typeof e.detail === 'string')
    return { code: e.code as KbErrorCode, message: e.detail };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
