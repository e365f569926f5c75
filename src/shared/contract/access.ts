/**
 * Who may use a host (issue 17): people's names bound to their SSH keys, kept on the host
 * (`<stateDir>/access/keys`). The audit trail names the key that logged in by this list, so a
 * record says who did it from the key, not from what a console claims.
 */
import { z } from 'zod';
import { DaySchema, defineSlice, HostNameSchema } from './kernel';

export const PersonNameSchema = z
  .string()
  .min(1, 'Give the person a name.')
  .max(64, 'A name is at most 64 characters.')
  .regex(
    /^[a-z0-9][a-z0-9._-]*$/,
    'A name is lower-case letters, digits, dots, dashes and underscores, starting with a letter or digit.',
  );

/**
 * `operator`: let in to the operator account (everything). `support`: let in only to the support
 * account, whose one program is the host agent's read-only support door.
 */
export const AccessRoleSchema = z.enum(['operator', 'support']);
export type AccessRole = z.infer<typeof AccessRoleSchema>;

export const AccessKeySchema = z.object({
  name: z.string(),
  role: z.string(),
  fingerprint: z.string(),
  /** The last day the key is accepted (YYYY-MM-DD), or null. */
  expires: z.string().nullable(),
  addedAt: z.string(),
  /** The key this console logged in with. */
  you: z.boolean(),
});
export type AccessKey = z.infer<typeof AccessKeySchema>;

export const AccessListSchema = z.object({
  host: z.string(),
  keys: z.array(AccessKeySchema),
  /** The key this console's session logged in with, as sshd reported it; null when sshd does not say. */
  you: z.string().nullable(),
  /**
   * Whether the host names the key of each session (sshd's ExposeAuthInfo): without it the audit
   * trail knows only the account.
   */
  identityFromKeys: z.boolean(),
});
export type AccessList = z.infer<typeof AccessListSchema>;

const Day = DaySchema;

export const accessSlice = defineSlice('access', {
  'access.list': {
    effect: 'read',
    input: z.object({ host: HostNameSchema }).strict(),
    output: AccessListSchema,
  },
  /**
   * Bind a name to a public key on the host: an operator's key is let in to the operator account, a
   * support person's only to the support account's door (made on first use, and the host agent
   * updated to serve it), until `expires` when given; the audit trail names it.
   */
  'access.grant': {
    effect: 'danger',
    input: z
      .object({
        host: HostNameSchema,
        name: PersonNameSchema,
        role: AccessRoleSchema,
        /** One OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
        publicKey: z.string().min(1, 'Paste the public key (the .pub file).').max(16_384),
        expires: Day.nullable().default(null),
      })
      .strict(),
    output: AccessKeySchema,
  },
  /** Remove a person's key from the host (never the key this console logged in with). */
  'access.revoke': {
    effect: 'danger',
    input: z.object({ host: HostNameSchema, name: PersonNameSchema }).strict(),
    output: z.object({ host: z.string(), name: z.string(), removed: z.boolean() }),
  },
});
