import { SettingsScreen } from './SettingsScreen';

/** The feature's public entry: the screen each of its routes shows. */
export const settingsScreens = {
  settings: SettingsScreen,
};
