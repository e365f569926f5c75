import { FleetScreen } from './FleetScreen';
import { FleetUpdateScreen } from './FleetUpdateScreen';

/** The feature's public entry: the screen each of its routes shows. */
export const fleetScreens = {
  fleet: FleetScreen,
  updates: FleetUpdateScreen,
};
