import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreError } from '../errors';

/** The folder holding `modules/` and `templates/`: the repository, or the app's resources. */
export function findResourcesDir(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'modules')) && existsSync(join(dir, 'templates'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new CoreError(
    'resources.missing',
    'The modules/ and templates/ folders were not found next to the console.',
    'Reinstall the console, or run it from the repository.',
  );
}

/** A new secret from the OS CSPRNG, hex. */
export function secret(bytes = 24): string {
  return randomBytes(bytes).toString('hex');
}

export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)='([^']*)'$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}
