import { backupsSlice } from '../../../shared/contract';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** Backups: runs, restores, drills, schedules, the key and the hosts' recipients. */
export const backupsFeature = defineFeature(backupsSlice, ({ backups, backupKeys, ops }: FeatureContext) => ({
  'backups.overview': (i) => backups.overview(i.host),
  'backups.list': (i) => backups.list(i.slug, i.host),
  'backups.create': (i) =>
    ops.run(i.opId, 'backups.create', i.slug, (op) => backups.create(i.slug, i.host, 'manual', op.signal)),
  'backups.restore': (i) => backups.restore(i),
  'backups.drill': (i) => backups.drill(i),
  'backups.schedule': (i) => backups.schedule(i),
  'backups.scheduleInfo': (i) => backups.scheduleInfo(i.host),
  'backups.runDueDrills': () => backups.runDueDrills(),
  'backups.keyInfo': () => backupKeys.info(),
  'backups.keyInit': (i) =>
    backupKeys.init({ ...(i.identity !== undefined ? { identity: i.identity } : {}), replace: i.replace }),
  'backups.keyExport': (i) => backupKeys.exportIdentity(i.out),
  'backups.keyStatus': (i) => backups.keyStatus(i.host),
  'backups.addRecipient': (i) => backups.addRecipient(i),
  'backups.removeRecipient': (i) => backups.removeRecipient(i),
  'backups.rekey': (i) => backups.rekey(i),
  'backups.offsiteKeyLine': (i) => backups.offsiteKeyLine(i),
}));
