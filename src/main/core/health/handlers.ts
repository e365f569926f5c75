import { healthSlice } from '../../../shared/contract';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** Health: the host agent's life, every host's containers and resources as its agent sees them, logs. */
export const healthFeature = defineFeature(healthSlice, ({ health, logs, hub }: FeatureContext) => ({
  'agent.install': (i) => health.install(i, false),
  'agent.update': (i) => health.install(i, true),
  'agent.status': (i) => health.status(i.host),
  'health.host': (i) => health.snapshot(i.host),
  'health.fleet': () => health.fleet(),
  'health.tenant': (i) => health.tenant(i.slug, i.host),
  'health.history': (i) => health.history(i.host, i.range, i.container),
  'logs.follow': async (i, caller) => {
    const f = await logs.follow(i);
    // A follow a window or a page asked for ends with it.
    if (caller.owner !== undefined) hub.whenGone(caller.owner, f.stop);
    return { streamId: f.streamId, services: f.services };
  },
  'logs.stop': async (i) => ({ stopped: logs.stop(i.streamId) }),
}));
