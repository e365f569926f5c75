import { healthSlice } from '../../../shared/contract';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** Health: the host agent's life, and every host's containers and resources as its agent sees them. */
export const healthFeature = defineFeature(healthSlice, ({ health }: FeatureContext) => ({
  'agent.install': (i) => health.install(i, false),
  'agent.update': (i) => health.install(i, true),
  'agent.status': (i) => health.status(i.host),
  'health.host': (i) => health.snapshot(i.host),
  'health.fleet': () => health.fleet(),
  'health.tenant': (i) => health.tenant(i.slug, i.host),
  'health.history': (i) => health.history(i.host, i.range, i.container),
}));
