import { costSlice } from '../../../shared/contract/cost';
import { CoreError } from '../errors';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

const todo = (): never => {
  throw new CoreError('cost.unavailable', 'AI cost is being built.', 'Update the console.');
};

/** AI cost: views, prices, rates, budgets and re-pricing, served by each host's agent. */
export const costFeature = defineFeature(costSlice, (_ctx: FeatureContext) => ({
  'cost.view': todo,
  'cost.conversation': todo,
  'cost.prices': todo,
  'cost.pricesSet': todo,
  'cost.reprice': todo,
  'cost.rates': todo,
  'cost.ratesImport': todo,
  'cost.budget': todo,
  'cost.budgetSet': todo,
}));
