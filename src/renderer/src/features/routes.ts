/**
 * The one registration list of the renderer's sections. Its order is the sidebar's order and
 * Alt+1…Alt+9's; the router, the sidebar and the `G` shortcuts are built from it. Data only (no
 * React), so the store and the unit tests can name screens; each feature's screens are bound to
 * these names in `screens.ts`, where the compiler refuses a route without a screen.
 */
import { alertsRoute } from './alerts/routes';
import { auditRoute } from './audit/routes';
import { backupsRoute } from './backups/routes';
import { costsRoute } from './costs/routes';
import { fleetRoute, updatesRoute } from './fleet/routes';
import { hostsRoute } from './hosts/routes';
import { inboxRoute } from './inbox/routes';
import { knowledgeRoute } from './knowledge/routes';
import { settingsRoute } from './settings/routes';
import { tenantsRoute } from './tenants/routes';

export const ROUTES = [
  fleetRoute,
  alertsRoute,
  hostsRoute,
  tenantsRoute,
  inboxRoute,
  backupsRoute,
  updatesRoute,
  costsRoute,
  knowledgeRoute,
  auditRoute,
  settingsRoute,
] as const;

export type ScreenName = (typeof ROUTES)[number]['screen'];

export const SCREENS: readonly ScreenName[] = ROUTES.map((r) => r.screen);

export function isScreen(value: string): value is ScreenName {
  return (SCREENS as readonly string[]).includes(value);
}
