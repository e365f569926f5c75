import { BackupsScreen } from './BackupsScreen';

/** The feature's public entry: the screen each of its routes shows. */
export const backupsScreens = {
  backups: BackupsScreen,
};
