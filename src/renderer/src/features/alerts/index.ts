import { AlertsScreen } from './AlertsScreen';

/** The feature's public entry: the screen each of its routes shows, and the badges other screens show. */
export const alertsScreens = {
  alerts: AlertsScreen,
};
export { AlertBadge, AlertsNavBadge } from './AlertBadges';
