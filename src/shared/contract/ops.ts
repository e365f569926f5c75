/** Operations: the long operations running in this console, and cancelling one. */
import { z } from 'zod';
import { defineSlice, Empty } from './kernel';

/** The id a caller gives a long operation, so it can follow and cancel it before the answer comes. */
export const OpIdSchema = z
  .string()
  .max(80, 'An operation id is 1–80 letters, digits and ._:-')
  .regex(/^[A-Za-z0-9._:-]{1,80}$/, 'An operation id is 1–80 letters, digits and ._:-');

export const OperationViewSchema = z.object({
  opId: z.string(),
  kind: z.string(),
  subject: z.string(),
  startedAt: z.string(),
  cancelled: z.boolean(),
});

export const opsSlice = defineSlice('ops', {
  'ops.list': { effect: 'read', input: Empty, output: z.array(OperationViewSchema) },
  /** Stop a running operation: its command on the host gets TERM, then KILL; the operation fails with op.cancelled. */
  'ops.cancel': {
    effect: 'write',
    input: z.object({ opId: OpIdSchema }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  },
});
