import { auditSlice } from '../../../shared/contract/audit';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** The audit trail: verifying a host's chain against the checkpoints this console kept. */
export const auditFeature = defineFeature(auditSlice, ({ audit }: FeatureContext) => ({
  'audit.verify': (i) => audit.verify(i.host),
}));
