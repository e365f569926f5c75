import { fleetSlice } from '../../../shared/contract';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** Fleet-level operations: what spans tenants and backups (a safe update of many tenants). */
export const fleetFeature = defineFeature(fleetSlice, ({ fleet }: FeatureContext) => ({
  'fleet.update': (i) => fleet.update(i),
}));
