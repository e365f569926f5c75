import { inboxSlice } from '../../../shared/contract/inbox';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** The conversations inbox: each tenant's conversations through its host's agent. */
export const inboxFeature = defineFeature(inboxSlice, ({ inbox }: FeatureContext) => ({
  'inbox.pending': () => inbox.pending(),
  'inbox.list': (i) => inbox.list(i),
  'inbox.messages': (i) => inbox.messages(i),
  'inbox.takeOver': (i) => inbox.setStatus(i, 'escalated'),
  'inbox.reply': (i) => inbox.reply(i),
  'inbox.handBack': (i) => inbox.setStatus(i, 'active'),
  'inbox.close': (i) => inbox.setStatus(i, 'closed'),
}));
