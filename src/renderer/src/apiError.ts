import type { ErrorInfo } from '../../shared/contract';
import { InfoError } from '../../shared/errors';

/** A failed command, unwrapped from its Result by `call`. */
export class ApiError extends InfoError {
  constructor(info: ErrorInfo) {
    super(info);
    this.name = 'ApiError';
  }
}

/** Anything thrown, as an ErrorInfo the UI can show. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof ApiError) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'renderer.unexpected',
    message,
    hint: 'This is a bug in Truffles Console; please report it with the steps that led here.',
  };
}
