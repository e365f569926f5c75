/**
 * AI cost (issue 16): the methods of the host agent's door for costs. Plain types, no dependency.
 * Money is decimal text; days are Asia/Almaty calendar days (YYYY-MM-DD).
 */
import type { HostCostPart, Rate } from '../cost/view';
import type { PriceTable } from '../cost/prices';

export interface CostBudget {
  amount: string;
  currency: 'USD' | 'KZT';
  action: 'notify' | 'cheapest';
}

export interface CostReprice {
  tenant: string;
  from: string;
  to: string;
  priceVersion: string;
  applied: boolean;
  rows: number;
  changed: number;
  oldUsd: string;
  newUsd: string;
  unpricedBefore: number;
  unpricedAfter: number;
  byModel: Array<{ model: string; changed: number; oldUsd: string; newUsd: string }>;
}

export interface CostConversation {
  tenant: string;
  conversationId: string;
  channel: string | null;
  status: string | null;
  usd: string;
  kzt: string | null;
  messages: Array<{
    id: string;
    at: string;
    direction: 'inbound' | 'outbound';
    sender: string;
    text: string | null;
    intent: string | null;
    model: string | null;
    calls: Array<{
      stage: string;
      model: string;
      inputTokens: number;
      outputTokens: number;
      costUsd: string | null;
    }>;
  }>;
}

export interface CostBudgetState {
  tenant: string;
  month: string;
  budget: CostBudget | null;
  usd: string;
  kzt: string | null;
  pct: number | null;
  downgraded: { at: string; previous: Record<string, string> } | null;
}

export interface CostMethods {
  /** The host's part of a view: every tenant (or one) over [from, to]. */
  'cost.view': { params: { from: string; to: string; tenant?: string }; result: HostCostPart };
  'cost.conversation': { params: { tenant: string; conversationId: string }; result: CostConversation };
  'cost.prices': { params: Record<string, never>; result: PriceTable };
  /** Entries added or replacing those of the same provider, model, from and tenant; `by` names who. */
  'cost.pricesSet': { params: { entries: PriceTable['entries']; by: string }; result: PriceTable };
  'cost.reprice': {
    params: { tenant: string; from: string; to: string; apply: boolean; by: string };
    result: CostReprice;
  };
  'cost.rates': { params: { limit?: number }; result: { count: number; rates: Rate[] } };
  'cost.ratesImport': {
    params: { rates: Rate[]; by: string };
    result: { count: number; added: number; replaced: number };
  };
  'cost.budget': { params: { tenant: string }; result: CostBudgetState };
  'cost.budgetSet': {
    params: { tenant: string; budget: CostBudget | null; by: string };
    result: CostBudget | null;
  };
}
