import { hostsSlice } from '../../../shared/contract';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** Hosts: the inventory, pinned keys, checks, import, the audit trail. */
export const hostsFeature = defineFeature(hostsSlice, ({ hosts }: FeatureContext) => ({
  'hosts.list': () => hosts.list(),
  'hosts.get': (i) => hosts.view(i.name),
  'hosts.probe': (i) => hosts.probe(i.address, i.port, i.jump),
  'hosts.repin': (i) => hosts.repin(i.name, i.acceptFingerprint),
  'hosts.add': (i) => hosts.add(i),
  'hosts.addLocal': (i) => hosts.addLocal(i.name),
  'hosts.check': (i) => hosts.check(i.name),
  'hosts.forget': (i) => hosts.forget(i.name),
  'hosts.audit': (i) => hosts.audit(i.name, i.limit),
  'hosts.importPreview': (i) => hosts.importPreview(i),
  'hosts.import': (i) => hosts.importHosts(i, i.aliases),
}));
