import type { z } from 'zod';
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

/**
 * A JSON document checked by its schema, or a CoreError naming where it came from and the first
 * problem: `<where> is not JSON (…)` (or `says`), `<where>: <path>: <message>`.
 */
export function parseJsonAs<S extends z.ZodType>(
  schema: S,
  text: string,
  where: string,
  errors: {
    notJson: { code: string; hint: string; says?: string };
    invalid: { code: string; hint: string };
  },
): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CoreError(
      errors.notJson.code,
      `${where} ${errors.notJson.says ?? 'is not JSON'} (${(err as Error).message}).`,
      errors.notJson.hint,
    );
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CoreError(
      errors.invalid.code,
      `${where}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
      errors.invalid.hint,
    );
  }
  return r.data;
}
