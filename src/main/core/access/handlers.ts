import { accessSlice } from '../../../shared/contract/access';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** Who may use a host: names bound to SSH keys, kept on the host. */
export const accessFeature = defineFeature(accessSlice, ({ access }: FeatureContext) => ({
  'access.list': (i) => access.list(i.host),
  'access.grant': (i) => access.grant(i),
  'access.revoke': (i) => access.revoke(i.host, i.name),
}));
