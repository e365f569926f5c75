import type { z } from 'zod';
import { HostNameSchema } from '../../shared/contract';
import { CoreError } from '../core/errors';

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends CoreError {}

export function parseArg<S extends z.ZodType>(schema: S, value: unknown, flag: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new UsageError(
      'usage.invalid',
      `${flag}: ${r.error.issues[0]?.message ?? 'invalid value'}`,
      `Run with --help to see the expected form.`,
    );
  return r.data;
}

/** The optional `--host NAME` of a tenant's command (found by asking every host when left out). */
export function hostOption(value: string | undefined): string | undefined {
  return value === undefined ? undefined : parseArg(HostNameSchema, value, '--host');
}

/** `--flag k=v` given several times → a record; each pair checked by `check`. */
export function pairs(values: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0)
      throw new UsageError(
        'usage.invalid',
        `${flag} ${v}: expected NAME=VALUE.`,
        `Example: ${flag} NAME=value`,
      );
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
