import type { ErrorInfo } from '../../shared/contract';

/**
 * An error the operator can act on: a stable code, a message that says what went wrong and a
 * hint that says what to do. Everything the core throws on purpose is a CoreError; anything else
 * is wrapped by `toErrorInfo` as `internal`.
 */
export class CoreError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, hint?: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'CoreError';
    this.code = code;
    this.hint = hint;
    this.details = details;
  }

  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
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
