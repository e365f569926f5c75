/** Each section's screen, from the features' public entries; a registered route without one fails the type check. */
import type { ComponentType } from 'react';
import { AlertsNavBadge, alertsScreens } from './alerts';
import { auditScreens } from './audit';
import { backupsScreens } from './backups';
import { costsScreens } from './costs';
import { fleetScreens } from './fleet';
import { hostsScreens } from './hosts';
import { InboxNavBadge, inboxScreens } from './inbox';
import { knowledgeScreens } from './knowledge';
import type { ScreenName } from './routes';
import { settingsScreens } from './settings';
import { tenantsScreens } from './tenants';

export const SCREEN_VIEWS: Readonly<Record<ScreenName, ComponentType>> = {
  ...fleetScreens,
  ...alertsScreens,
  ...hostsScreens,
  ...tenantsScreens,
  ...inboxScreens,
  ...backupsScreens,
  ...costsScreens,
  ...knowledgeScreens,
  ...auditScreens,
  ...settingsScreens,
};

/** A section's count in the sidebar, beside its name (the Alerts section's firing alerts). */
export const NAV_BADGES: Readonly<Partial<Record<ScreenName, ComponentType>>> = {
  alerts: AlertsNavBadge,
  inbox: InboxNavBadge,
};
