/**
 * AI cost (issue 16): what each tenant's bot costs, in USD (the base) and in tenge at the National
 * Bank of Kazakhstan's rate of each day, from the tenants' `billing_events` as the host's agent
 * rolls them up (settled days from its daily rollup, today live from the raw rows). Money is
 * always a decimal string, exact; `kzt` is null when a day of the sum has no rate.
 *
 * Days are Asia/Almaty calendar days (YYYY-MM-DD); a budget's month is a calendar month there.
 */
import { z } from 'zod';
import { DaySchema, defineSlice, HostNameSchema } from './kernel';
import { SlugSchema } from './tenants';

const Dec = z.string().max(60);
const Day = DaySchema;
const Count = z.number().int().nonnegative();

export const MoneySchema = z.object({ usd: Dec, kzt: Dec.nullable() });
export type Money = z.infer<typeof MoneySchema>;

/** Calls and tokens with their cost; `unpricedCalls`: calls of a model no price matched (their cost is unknown, not zero). */
const Usage = {
  calls: Count,
  inputTokens: Count,
  outputTokens: Count,
  cost: MoneySchema,
  unpricedCalls: Count,
};

export const CostDaySchema = z.object({
  day: Day,
  ...Usage,
  /** Settled (from the rollup) or today's live figure. */
  live: z.boolean(),
  /** The median of the seven days before it, and whether this day is over three times that. */
  median7Usd: Dec.nullable(),
  anomaly: z.boolean(),
  /** The rate the day's tenge are at: its value and the day it was set for (a weekend uses Friday's). */
  rate: z.object({ kztPerUsd: Dec, date: Day }).nullable(),
});
export type CostDay = z.infer<typeof CostDaySchema>;

/** What a call was for: the router's tiers (classifier, faq, complex), embeddings of questions, the knowledge base's indexing. */
export const CostStage = z.enum([
  'classifier',
  'faq',
  'complex',
  'answer',
  'embedding',
  'knowledge',
  'other',
]);
export type CostStage = z.infer<typeof CostStage>;

export const CostModelRowSchema = z.object({
  provider: z.string().max(50),
  model: z.string().max(100),
  ...Usage,
});
export const CostStageRowSchema = z.object({ stage: CostStage, ...Usage });
export const CostTenantRowSchema = z.object({
  host: z.string(),
  tenant: z.string(),
  ...Usage,
  conversations: Count,
  budget: z
    .object({
      amount: Dec,
      currency: z.enum(['USD', 'KZT']),
      spent: Dec.nullable(),
      pct: z.number().nullable(),
    })
    .nullable(),
});

export const CostConversationSchema = z.object({
  host: z.string(),
  tenant: z.string(),
  conversationId: z.string(),
  calls: Count,
  cost: MoneySchema,
  firstAt: z.string(),
  lastAt: z.string(),
});

export const CostViewSchema = z.object({
  from: Day,
  to: Day,
  /** Today in Asia/Almaty when the view was made. */
  today: Day,
  generatedAt: z.string(),
  /** The hosts asked, and what each said (a host that did not answer leaves the fleet figures partial). */
  hosts: z.array(
    z.object({ host: z.string(), ok: z.boolean(), error: z.string().nullable(), tookMs: z.number() }),
  ),
  priceVersion: z.string().nullable(),
  rates: z.object({
    /** Days in the range with no rate on or before them: their tenge are unknown. */
    missing: z.array(Day),
    latest: z.object({ date: Day, kztPerUsd: Dec }).nullable(),
  }),
  totals: z.object({ ...Usage, conversations: Count }),
  /** The month to date taken to its end at the pace so far (only when the range is the current month). */
  projection: MoneySchema.nullable(),
  byDay: z.array(CostDaySchema),
  byModel: z.array(CostModelRowSchema),
  byStage: z.array(CostStageRowSchema),
  byTenant: z.array(CostTenantRowSchema),
  conversations: z.object({
    count: Count,
    p50: MoneySchema.nullable(),
    p95: MoneySchema.nullable(),
    /** The spec's target: under 5 ₸ a dialog; the share of conversations over it (null without rates). */
    targetKzt: Dec,
    overTarget: z.number().nullable(),
    top: z.array(CostConversationSchema),
  }),
  /** The router: bot replies by tier, and what the calls would have cost all sent to the complex model. */
  router: z.object({
    replies: z.array(z.object({ tier: z.string().max(40), count: Count })),
    savingUsd: Dec,
    allComplexUsd: Dec,
  }),
});
export type CostView = z.infer<typeof CostViewSchema>;

export const CostMessageSchema = z.object({
  id: z.string(),
  at: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  sender: z.string(),
  text: z.string().nullable(),
  intent: z.string().nullable(),
  model: z.string().nullable(),
  calls: z.array(
    z.object({
      stage: z.string(),
      model: z.string(),
      inputTokens: Count,
      outputTokens: Count,
      costUsd: Dec.nullable(),
    }),
  ),
});
export const CostConversationDetailSchema = z.object({
  host: z.string(),
  tenant: z.string(),
  conversationId: z.string(),
  channel: z.string().nullable(),
  status: z.string().nullable(),
  cost: MoneySchema,
  messages: z.array(CostMessageSchema),
});
export type CostConversationDetail = z.infer<typeof CostConversationDetailSchema>;

export const PriceEntrySchema = z
  .object({
    provider: z.string().min(1).max(50),
    model: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/, 'A model name has letters, digits and . _ : @ / - only.'),
    usd: z
      .object({
        input: z
          .string()
          .max(30)
          .regex(/^\d+(\.\d+)?$/, 'A price is a decimal number of USD per 1M tokens.'),
        cachedInput: z
          .string()
          .max(30)
          .regex(/^\d+(\.\d+)?$/)
          .optional(),
        output: z
          .string()
          .max(30)
          .regex(/^\d+(\.\d+)?$/)
          .optional(),
      })
      .strict(),
    from: Day,
    to: Day.optional(),
    source: z.string().max(300),
    checkedOn: Day.nullable(),
    /** Only for this tenant (an override of the host's table). */
    tenant: SlugSchema.optional(),
  })
  .strict();
export const PriceTableSchema = z.object({
  version: z.string().max(60),
  entries: z.array(PriceEntrySchema).max(2000),
});

export const RateSchema = z
  .object({
    date: Day,
    kztPerUsd: z
      .string()
      .max(20)
      .regex(/^\d{1,5}(\.\d{1,6})?$/, 'A rate is tenge per US dollar, e.g. 512.34.'),
  })
  .strict();

export const BudgetSchema = z
  .object({
    amount: z
      .string()
      .max(20)
      .regex(/^\d{1,12}(\.\d{1,2})?$/, 'A budget is an amount, e.g. 50000 or 99.50.'),
    currency: z.enum(['USD', 'KZT']),
    /** On reaching the budget: only the alert, or also the tenant's router to its cheapest models. */
    action: z.enum(['notify', 'cheapest']),
  })
  .strict();
export type Budget = z.infer<typeof BudgetSchema>;

export const RepriceSchema = z.object({
  host: z.string(),
  tenant: z.string(),
  from: Day,
  to: Day,
  priceVersion: z.string(),
  applied: z.boolean(),
  rows: Count,
  changed: Count,
  oldUsd: Dec,
  newUsd: Dec,
  /** Rows that had a cost and have none now (their model has no price any more), and the reverse. */
  unpricedBefore: Count,
  unpricedAfter: Count,
  byModel: z.array(z.object({ model: z.string(), changed: Count, oldUsd: Dec, newUsd: Dec })),
});
export type RepriceView = z.infer<typeof RepriceSchema>;

const Scope = {
  host: HostNameSchema.optional(),
  tenant: SlugSchema.optional(),
};
const Range = { from: Day.optional(), to: Day.optional() };

export const costSlice = defineSlice('cost', {
  /** Cost of the fleet, a host or a tenant over a range of days (default: this month to date). */
  'cost.view': { effect: 'read', input: z.object({ ...Scope, ...Range }).strict(), output: CostViewSchema },
  /** One conversation's messages with the calls each one made and their cost. */
  'cost.conversation': {
    effect: 'read',
    input: z
      .object({
        host: HostNameSchema.optional(),
        tenant: SlugSchema,
        conversationId: z.string().max(36).uuid(),
      })
      .strict(),
    output: CostConversationDetailSchema,
  },
  /** The price table in force on a host (the shipped one until an operator changes it). */
  'cost.prices': {
    effect: 'read',
    input: z.object({ host: HostNameSchema.optional() }).strict(),
    output: z.array(z.object({ host: z.string(), table: PriceTableSchema })),
  },
  /** Add or replace price entries (by provider, model, from and tenant): a new version of the host's table. */
  'cost.pricesSet': {
    effect: 'write',
    input: z
      .object({ host: HostNameSchema.optional(), entries: z.array(PriceEntrySchema).min(1).max(200) })
      .strict(),
    output: z.array(z.object({ host: z.string(), table: PriceTableSchema })),
  },
  /** Re-price a tenant's calls of a period with the table in force: a dry run unless `apply`. */
  'cost.reprice': {
    effect: 'danger',
    input: z
      .object({ host: HostNameSchema.optional(), tenant: SlugSchema, from: Day, to: Day, apply: z.boolean() })
      .strict(),
    output: RepriceSchema,
  },
  /** The USD→KZT rates the hosts hold (the newest first, at most `limit`). */
  'cost.rates': {
    effect: 'read',
    input: z
      .object({ host: HostNameSchema.optional(), limit: z.number().int().min(1).max(5000).optional() })
      .strict(),
    output: z.array(z.object({ host: z.string(), count: Count, rates: z.array(RateSchema) })),
  },
  /** Import rates (the National Bank's, by day): added to or replacing those of the same days, on every host. */
  'cost.ratesImport': {
    effect: 'write',
    input: z
      .object({ host: HostNameSchema.optional(), rates: z.array(RateSchema).min(1).max(5000) })
      .strict(),
    output: z.array(z.object({ host: z.string(), count: Count, added: Count, replaced: Count })),
  },
  /** A tenant's monthly budget and what its spend is this month. */
  'cost.budget': {
    effect: 'read',
    input: z.object({ host: HostNameSchema.optional(), tenant: SlugSchema }).strict(),
    output: z.object({
      host: z.string(),
      tenant: z.string(),
      month: z.string(),
      budget: BudgetSchema.nullable(),
      spent: MoneySchema,
      pct: z.number().nullable(),
      downgraded: z.object({ at: z.string(), previous: z.record(z.string(), z.string()) }).nullable(),
    }),
  },
  /** Set (or with null, remove) a tenant's monthly budget; written in its database, audited. */
  'cost.budgetSet': {
    effect: 'write',
    input: z
      .object({ host: HostNameSchema.optional(), tenant: SlugSchema, budget: BudgetSchema.nullable() })
      .strict(),
    output: z.object({ host: z.string(), tenant: z.string(), budget: BudgetSchema.nullable() }),
  },
});
