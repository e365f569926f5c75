import type { ErrorInfo } from '../../shared/contract';
import { InfoError } from '../../shared/errors';

/**
 * An error the operator can act on: a stable code, a message that says what went wrong and a
 * hint that says what to do. Everything the core throws on purpose is a CoreError; anything else
 * is wrapped by `toErrorInfo` as `internal`.
 */
export class CoreError extends InfoError {
  constructor(code: string, message: string, hint?: string, details?: Record<string, unknown>) {
    super({ code, message, ...(hint !== undefined ? { hint } : {}), ...(details ? { details } : {}) });
    this.name = 'CoreError';
  }
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof CoreError) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'internal',
    message: `Unexpected error: ${message}`,
    hint: 'This is a bug in Truffles Console; please report it with the steps that led here.',
  };
}
