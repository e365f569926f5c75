/**
 * Personal-data requests (issue 17; the Kazakh personal-data law): everything a tenant holds about
 * one of its customers, found by phone number in every store of the tenant's stack — PostgreSQL
 * (the customer, conversations, messages, orders, payments, and any other row that names them),
 * Qdrant payloads, Redis keys, n8n's execution data — exported as one file, or erased there
 * after a preview. Records of these requests name the customer's id and the counts, never the
 * phone, a name or a message.
 */
import { z } from 'zod';
import { defineSlice, HostNameSchema } from './kernel';
import { SlugSchema } from './tenants';

/**
 * A customer's phone number as people write it (`+7 777 123-45-67`): digits with an optional
 * leading +, and spaces, dashes, dots and brackets between them. At least 10 digits: a shorter
 * number would match unrelated numbers in message texts.
 */
export const PhoneSchema = z
  .string()
  .trim()
  .max(40, 'A phone number is at most 40 characters.')
  .regex(/^\+?[0-9 ()./-]+$/, 'A phone number is digits with an optional leading +, e.g. +77771234567.')
  .refine((v) => {
    const n = v.replace(/\D/g, '').length;
    return n >= 10 && n <= 19;
  }, 'Give the full international number (10 to 19 digits), e.g. +77771234567.');

/** The digits of a phone number (what the stores are searched for). */
export function phoneDigits(phone: string): string {
  return phone.replace(/\D/g, '');
}

/** What one store holds about the customer: how many items, and in which places. */
export const PrivacyStoreSchema = z.object({
  store: z.enum(['postgres', 'qdrant', 'redis', 'n8n']),
  /** Per place (a table, a collection, "keys", "executions"): how many of its items name them. */
  places: z.array(z.object({ place: z.string(), count: z.number(), action: z.string() })),
});
export type PrivacyStore = z.infer<typeof PrivacyStoreSchema>;

export const PrivacyBackupsSchema = z.object({
  /** Backups of the tenant taken before now: they still hold the data until the retention rule removes them. */
  holding: z.number(),
  oldest: z.string().nullable(),
  newest: z.string().nullable(),
  retention: z.object({ daily: z.number(), weekly: z.number() }).nullable(),
  /** When the last of them is gone by the rule, if backups go on as scheduled. */
  goneBy: z.string().nullable(),
  offsiteDays: z.number().nullable(),
  /** The sentence the report states. */
  statement: z.string(),
});
export type PrivacyBackups = z.infer<typeof PrivacyBackupsSchema>;

export const PrivacyFindingSchema = z.object({
  host: z.string(),
  tenant: z.string(),
  /** The customers' ids (pseudonymous references); empty when no customer row has the number. */
  customers: z.array(z.string()),
  stores: z.array(PrivacyStoreSchema),
  /** Everything counted. */
  total: z.number(),
  backups: PrivacyBackupsSchema,
  /** What is matched: the phone's digits (with separators), the customer's email and ids; a name alone is not. */
  matchedBy: z.array(z.string()),
});
export type PrivacyFinding = z.infer<typeof PrivacyFindingSchema>;

const Request = {
  host: HostNameSchema.optional(),
  tenant: SlugSchema,
  phone: PhoneSchema,
};

export const privacySlice = defineSlice('privacy', {
  /** What the tenant holds about the customer, store by store: counts only (the erase's preview). */
  'privacy.find': {
    effect: 'read',
    input: z.object(Request).strict(),
    output: PrivacyFindingSchema,
  },
  /**
   * Everything the tenant holds about the customer, as one JSON document (rows, payloads, keys,
   * execution data) with the finding's counts and the backups statement. Recorded on the host.
   */
  'privacy.export': {
    effect: 'read',
    input: z.object(Request).strict(),
    output: z.object({
      finding: PrivacyFindingSchema,
      /** The export file's name and its JSON text. */
      fileName: z.string(),
      json: z.string(),
    }),
  },
  /**
   * Erase the customer everywhere: their rows deleted, financial rows kept anonymised, payload
   * texts and execution data removed, keys deleted; then every store searched again. `confirm`
   * repeats the phone number.
   */
  'privacy.erase': {
    effect: 'danger',
    input: z
      .object({ ...Request, host: HostNameSchema, confirm: z.string().max(40) })
      .strict()
      .refine((v) => phoneDigits(v.confirm) === phoneDigits(v.phone), {
        message: 'Type the same phone number again to confirm the erasure.',
        path: ['confirm'],
      }),
    output: z.object({
      erased: PrivacyFindingSchema,
      /** The search after the erasure: what still names them (nothing, when it worked). */
      after: PrivacyFindingSchema,
    }),
  },
});
