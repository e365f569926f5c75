import { TenantsScreen } from './TenantsScreen';

/** The feature's public entry: the screen each of its routes shows. */
export const tenantsScreens = {
  tenants: TenantsScreen,
};
