import { costSlice } from '../../../shared/contract/cost';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** AI cost: views, prices, rates, budgets and re-pricing, served by each host's agent. */
export const costFeature = defineFeature(costSlice, ({ cost }: FeatureContext) => ({
  'cost.view': (i) => cost.view(i),
  'cost.conversation': (i) => cost.conversation(i.tenant, i.conversationId, i.host),
  'cost.prices': (i) => cost.prices(i.host),
  'cost.pricesSet': (i) => cost.setPrices(i.entries, i.host),
  'cost.reprice': (i) => cost.reprice(i),
  'cost.rates': (i) => cost.rates(i.host, i.limit),
  'cost.ratesImport': (i) => cost.importRates(i.rates, i.host),
  'cost.budget': (i) => cost.budget(i.tenant, i.host),
  'cost.budgetSet': (i) => cost.setBudget(i.tenant, i.budget, i.host),
}));
