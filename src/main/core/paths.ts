import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The operator's data folder: `TRUFFLES_HOME` when set, otherwise the platform's app-data folder
 * (the same place for the desktop app, the CLI and the browser mode, so they share one inventory).
 */
export function trufflesHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRUFFLES_HOME && env.TRUFFLES_HOME.trim() !== '') return env.TRUFFLES_HOME;
  const home = homedir();
  switch (process.platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Truffles Console');
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Truffles Console');
    default:
      return join(
        env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(home, '.config'),
        'truffles-console',
      );
  }
}
