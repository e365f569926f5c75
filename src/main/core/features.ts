import type { AppEvent, AppInfo, CommandName, SLICES } from '../../shared/contract';
import { alertsFeature } from './alerts/handlers';
import type { AlertsService } from './alerts/service';
import { appFeature, eventsFeature, opsFeature } from './app/handlers';
import { backupsFeature } from './backups/handlers';
import type { BackupKeys } from './backups/keys';
import type { BackupService } from './backups/service';
import type { Handler } from './dispatch';
import { edgeFeature } from './edge/handlers';
import type { EventHub } from './events';
import type { Feature, SliceHandlers } from './feature';
import { fleetFeature } from './fleet/handlers';
import { healthFeature } from './health/handlers';
import type { LogFollows } from './health/logs';
import type { HealthService } from './health/service';
import { hostsFeature } from './hosts/handlers';
import type { HostService } from './hosts/service';
import { imagesFeature } from './images/handlers';
import { kbFeature } from './kb/handlers';
import { costFeature } from './cost/handlers';
import { auditFeature } from './audit/handlers';
import { accessFeature } from './access/handlers';
import { inboxFeature } from './inbox/handlers';
import type { InboxService } from './inbox/service';
import { privacyFeature } from './privacy/handlers';
import type { PrivacyService } from './privacy/service';
import type { AccessService } from './access/service';
import type { AuditService } from './audit/service';
import type { KbService } from './kb/service';
import type { CostService } from './cost/service';
import type { Operations } from './operations';
import type { Store } from './store/store';
import type { EdgeService } from './edge/service';
import type { FleetService } from './fleet/service';
import { tenantsFeature } from './tenants/handlers';
import type { ImagesService } from './images/service';
import type { TenantService } from './tenants/service';

/** What a feature's handlers are given: the core's services and mechanisms. */
export interface FeatureContext {
  store: Store;
  hosts: HostService;
  tenants: TenantService;
  edge: EdgeService;
  images: ImagesService;
  backupKeys: BackupKeys;
  backups: BackupService;
  fleet: FleetService;
  health: HealthService;
  alerts: AlertsService;
  kb: KbService;
  cost: CostService;
  audit: AuditService;
  access: AccessService;
  inbox: InboxService;
  privacy: PrivacyService;
  logs: LogFollows;
  hub: EventHub;
  ops: Operations;
  emit(event: AppEvent): void;
  appInfo(): Promise<AppInfo>;
}

type SliceName = (typeof SLICES)[number]['feature'];

/**
 * The core's registration list: one feature per slice of the contract (the type demands an entry
 * for every slice, so a new slice without its handlers fails the type check here).
 */
export const FEATURES: {
  [F in SliceName]: Feature<Extract<(typeof SLICES)[number], { feature: F }>, FeatureContext>;
} = {
  app: appFeature,
  events: eventsFeature,
  ops: opsFeature,
  hosts: hostsFeature,
  edge: edgeFeature,
  images: imagesFeature,
  tenants: tenantsFeature,
  backups: backupsFeature,
  fleet: fleetFeature,
  health: healthFeature,
  alerts: alertsFeature,
  kb: kbFeature,
  cost: costFeature,
  audit: auditFeature,
  access: accessFeature,
  inbox: inboxFeature,
  privacy: privacyFeature,
};

/** Every feature's handlers in one table; refuses a command two features handle or none does. */
export function buildHandlers(
  ctx: FeatureContext,
  names: readonly CommandName[],
): Record<CommandName, Handler> {
  const table: Record<string, Handler> = {};
  for (const [feature, f] of Object.entries(FEATURES)) {
    const handlers = (f as Feature<(typeof SLICES)[number], FeatureContext>).handlers(ctx) as SliceHandlers<
      (typeof SLICES)[number]
    >;
    for (const [name, h] of Object.entries(handlers)) {
      if (table[name]) throw new Error(`core: command ${name} is handled twice (again by ${feature})`);
      table[name] = h as Handler;
    }
  }
  const missing = names.filter((n) => !table[n]);
  if (missing.length) throw new Error(`core: no handler for ${missing.join(', ')}`);
  return table as Record<CommandName, Handler>;
}
