import { privacySlice } from '../../../shared/contract/privacy';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** Personal-data requests: a customer's data in every store of a tenant, exported or erased. */
export const privacyFeature = defineFeature(privacySlice, ({ privacy }: FeatureContext) => ({
  'privacy.find': (i) => privacy.find(i),
  'privacy.export': (i) => privacy.export(i),
  'privacy.erase': (i) => privacy.erase(i),
}));
