import { edgeSlice } from '../../../shared/contract';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** The host's edge (Traefik): install, status. */
export const edgeFeature = defineFeature(edgeSlice, ({ edge }: FeatureContext) => ({
  'edge.install': (i) => edge.install(i),
  'edge.status': (i) => edge.status(i.host),
}));
