import { HostsScreen } from './HostsScreen';

/** The feature's public entry: the screen each of its routes shows. */
export const hostsScreens = {
  hosts: HostsScreen,
};
