/**
 * AI cost (issue 16), the console's side: each host's agent reads its tenants' billing rows, keeps
 * the daily rollups and checks the budgets with no console open; the console asks the hosts (all
 * at once, or one), checks every answer against the contract's schemas, and merges the hosts'
 * parts into one view (src/shared/cost/view.ts). Prices, rates and budgets are written through
 * the agents, naming who did it; the dispatch audits every write in the host's trail and the agent
 * writes the tenant's own audit_logs.
 */
import { z } from 'zod';
import type { CostBudget, CostMethods } from '../../../shared/agent/cost';
import {
  BudgetSchema,
  CostConversationDetailSchema,
  PriceTableSchema,
  RateSchema,
  RepriceSchema,
  type CostConversationDetail,
  type CostView,
  type RepriceView,
} from '../../../shared/contract/cost';
import type { PriceEntry, PriceTable } from '../../../shared/cost/prices';
import {
  addDays,
  almatyDay,
  mergeCostParts,
  monthStart,
  type HostCostPart,
  type Rate,
} from '../../../shared/cost/view';
import { CoreError, toErrorInfo } from '../errors';
import type { AgentRequester } from '../health/client';
import { outdatedAgent } from '../health/outdated';
import { checked } from '../health/service';
import { auditActor } from '../audit/trail';

export interface CostDeps {
  client(host: string): Promise<AgentRequester>;
  hostNames(): Promise<string[]>;
  /** The host a tenant is on (the one named, or the only one that has it). */
  locate(slug: string, host?: string): Promise<string>;
  actor?: () => string;
  now?: () => number;
}

const Usage = z.object({
  calls: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  usd: z.string(),
  kzt: z.string().nullable(),
  unpricedCalls: z.number(),
});
const RateOut = z.object({ date: z.string(), kztPerUsd: z.string() });
/** What an agent answers for `cost.view` (HostCostPart), checked before it is merged. */
const HostPartSchema = z.object({
  host: z.string(),
  priceVersion: z.string(),
  rates: z.object({ missing: z.array(z.string()), latest: RateOut.nullable() }),
  days: z.array(Usage.extend({ day: z.string(), live: z.boolean(), rate: RateOut.nullable() })),
  models: z.array(Usage.extend({ provider: z.string(), model: z.string() })),
  stages: z.array(Usage.extend({ stage: z.string() })),
  tenants: z.array(
    Usage.extend({
      tenant: z.string(),
      conversations: z.number(),
      budget: z
        .object({
          amount: z.string(),
          currency: z.enum(['USD', 'KZT']),
          spent: z.string().nullable(),
          pct: z.number().nullable(),
        })
        .nullable(),
    }),
  ),
  conversations: z.object({
    sketch: z.object({ count: z.number(), usd: z.array(z.string()), kzt: z.array(z.string()).nullable() }),
    overTarget: z.number().nullable(),
    top: z.array(
      z.object({
        tenant: z.string(),
        conversationId: z.string(),
        calls: z.number(),
        usd: z.string(),
        kzt: z.string().nullable(),
        firstAt: z.string(),
        lastAt: z.string(),
      }),
    ),
  }),
  router: z.object({
    replies: z.array(z.object({ tier: z.string(), count: z.number() })),
    savingUsd: z.string(),
    allComplexUsd: z.string(),
  }),
  errors: z.array(z.object({ tenant: z.string(), message: z.string() })),
});

const BudgetStateSchema = z.object({
  tenant: z.string(),
  month: z.string(),
  budget: BudgetSchema.nullable(),
  usd: z.string(),
  kzt: z.string().nullable(),
  pct: z.number().nullable(),
  downgraded: z.object({ at: z.string(), previous: z.record(z.string(), z.string()) }).nullable(),
});

/** A view's longest range: a year and a bit (the rollups make it cheap; the screen has no use for more). */
const MAX_DAYS = 400;

export class CostService {
  private readonly actor: () => string;
  private readonly now: () => number;

  constructor(private readonly deps: CostDeps) {
    this.actor = deps.actor ?? auditActor;
    this.now = deps.now ?? Date.now;
  }

  private async call<M extends keyof CostMethods>(
    host: string,
    method: M,
    params: CostMethods[M]['params'],
    timeoutMs = 60_000,
  ): Promise<unknown> {
    const c = await this.deps.client(host);
    try {
      return await c.request(method, params as never, timeoutMs);
    } catch (err) {
      throw outdatedAgent(err, 'cost', host, 'AI costs', method) ?? err;
    }
  }

  /** The range asked for, or this month to date (Almaty days). */
  range(from?: string, to?: string): { from: string; to: string } {
    const today = almatyDay(this.now());
    const r = { from: from ?? monthStart(to ?? today), to: to ?? (from && from > today ? from : today) };
    if (r.from > r.to)
      throw new CoreError(
        'cost.range',
        `The range starts (${r.from}) after it ends (${r.to}).`,
        'Swap from and to.',
      );
    if (addDays(r.from, MAX_DAYS) < r.to)
      throw new CoreError(
        'cost.range',
        `The range is longer than ${MAX_DAYS} days.`,
        'Ask for a shorter range.',
      );
    return r;
  }

  /** The fleet's, a host's or a tenant's costs over the range; a host that fails leaves the view partial, with its error. */
  async view(i: { host?: string; tenant?: string; from?: string; to?: string }): Promise<CostView> {
    const range = this.range(i.from, i.to);
    const names = i.tenant
      ? [await this.deps.locate(i.tenant, i.host)]
      : i.host !== undefined
        ? [i.host]
        : await this.deps.hostNames();
    const parts: HostCostPart[] = [];
    const hosts = await Promise.all(
      names.map(async (host) => {
        const t0 = Date.now();
        try {
          const raw = await this.call(host, 'cost.view', {
            from: range.from,
            to: range.to,
            ...(i.tenant ? { tenant: i.tenant } : {}),
          });
          const part = checked(HostPartSchema, raw, host, 'cost.view') as HostCostPart;
          parts.push({ ...part, host });
          const errors = part.errors.map((e) => `${e.tenant}: ${e.message}`).join('; ');
          return { host, ok: part.errors.length === 0, error: errors || null, tookMs: Date.now() - t0 };
        } catch (err) {
          if (names.length === 1) throw err;
          return { host, ok: false, error: toErrorInfo(err).message, tookMs: Date.now() - t0 };
        }
      }),
    );
    parts.sort((a, b) => a.host.localeCompare(b.host));
    return mergeCostParts(parts, hosts, range, this.now());
  }

  async conversation(
    slug: string,
    conversationId: string,
    hostName?: string,
  ): Promise<CostConversationDetail> {
    const host = await this.deps.locate(slug, hostName);
    const raw = (await this.call(host, 'cost.conversation', { tenant: slug, conversationId })) as Record<
      string,
      unknown
    >;
    return checked(
      CostConversationDetailSchema,
      { ...raw, host, cost: { usd: raw['usd'], kzt: raw['kzt'] } },
      host,
      'cost.conversation',
    );
  }

  private async hosts(host?: string): Promise<string[]> {
    return host !== undefined ? [host] : this.deps.hostNames();
  }

  async prices(host?: string): Promise<Array<{ host: string; table: PriceTable }>> {
    return Promise.all(
      (await this.hosts(host)).map(async (h) => ({
        host: h,
        table: checked(
          PriceTableSchema,
          await this.call(h, 'cost.prices', {}),
          h,
          'cost.prices',
        ) as PriceTable,
      })),
    );
  }

  async setPrices(entries: PriceEntry[], host?: string): Promise<Array<{ host: string; table: PriceTable }>> {
    const by = this.actor();
    const out = [];
    for (const h of await this.hosts(host))
      out.push({
        host: h,
        table: checked(
          PriceTableSchema,
          await this.call(h, 'cost.pricesSet', { entries, by }),
          h,
          'cost.pricesSet',
        ) as PriceTable,
      });
    return out;
  }

  async reprice(i: {
    host?: string;
    tenant: string;
    from: string;
    to: string;
    apply: boolean;
  }): Promise<RepriceView> {
    const host = await this.deps.locate(i.tenant, i.host);
    if (i.from > i.to)
      throw new CoreError(
        'cost.range',
        `The period starts (${i.from}) after it ends (${i.to}).`,
        'Swap from and to.',
      );
    const raw = await this.call(
      host,
      'cost.reprice',
      { tenant: i.tenant, from: i.from, to: i.to, apply: i.apply, by: this.actor() },
      300_000,
    );
    return checked(RepriceSchema, { ...(raw as object), host }, host, 'cost.reprice');
  }

  async rates(host?: string, limit?: number): Promise<Array<{ host: string; count: number; rates: Rate[] }>> {
    const Out = z.object({ count: z.number(), rates: z.array(RateSchema) });
    return Promise.all(
      (await this.hosts(host)).map(async (h) => ({
        host: h,
        ...checked(Out, await this.call(h, 'cost.rates', limit ? { limit } : {}), h, 'cost.rates'),
      })),
    );
  }

  async importRates(
    rates: Rate[],
    host?: string,
  ): Promise<Array<{ host: string; count: number; added: number; replaced: number }>> {
    const Out = z.object({ count: z.number(), added: z.number(), replaced: z.number() });
    const by = this.actor();
    const out = [];
    for (const h of await this.hosts(host))
      out.push({
        host: h,
        ...checked(Out, await this.call(h, 'cost.ratesImport', { rates, by }), h, 'cost.ratesImport'),
      });
    return out;
  }

  async budget(slug: string, hostName?: string) {
    const host = await this.deps.locate(slug, hostName);
    const b = checked(
      BudgetStateSchema,
      await this.call(host, 'cost.budget', { tenant: slug }),
      host,
      'cost.budget',
    );
    return {
      host,
      tenant: b.tenant,
      month: b.month,
      budget: b.budget,
      spent: { usd: b.usd, kzt: b.kzt },
      pct: b.pct,
      downgraded: b.downgraded,
    };
  }

  async setBudget(slug: string, budget: CostBudget | null, hostName?: string) {
    const host = await this.deps.locate(slug, hostName);
    const b = checked(
      BudgetSchema.nullable(),
      await this.call(host, 'cost.budgetSet', { tenant: slug, budget, by: this.actor() }),
      host,
      'cost.budgetSet',
    );
    return { host, tenant: slug, budget: b };
  }
}
