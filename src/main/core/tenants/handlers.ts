import { tenantsSlice } from '../../../shared/contract';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** Tenants: the module catalog, create, status, update, suspend, resume, verify. */
export const tenantsFeature = defineFeature(tenantsSlice, ({ tenants, fleet, ops }: FeatureContext) => ({
  'modules.catalog': () => tenants.moduleCatalog(),
  'tenants.list': (i) => tenants.list(i.host),
  // An operation: listed by ops.list, cancelled by ops.cancel; its progress carries the caller's opId.
  'tenants.create': (i) =>
    ops.run(i.opId, 'tenants.create', i.slug, (op) => tenants.create({ ...i, opId: op.opId }, op.signal)),
  'tenants.status': (i) => tenants.status(i.slug, i.host),
  // An update is guarded by a safety backup, which the fleet level owns (tenants never import backups).
  'tenants.update': (i) =>
    fleet.updateTenant(
      i.slug,
      {
        addModules: i.addModules,
        removeModules: i.removeModules,
        env: i.env,
        refreshImages: i.refreshImages,
      },
      i.host,
    ),
  'tenants.suspend': (i) => tenants.suspend(i.slug, i.host),
  'tenants.resume': (i) => tenants.resume(i.slug, i.host),
  'tenants.verify': (i) => tenants.verify(i.slug, i.host),
  // Delete takes a final backup first: the fleet level too.
  'tenants.delete': (i) => fleet.deleteTenant(i.slug, i.confirm, i.host, i.skipFinalBackup),
}));
