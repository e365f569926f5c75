import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the real `truffles` CLI (bin/truffles.mjs, from source) as an operator would, with its own
 * home folder and the passphrase of its store in the environment; answers its exit code and output.
 */
export function runTruffles(
  o: { home: string; passphrase: string; timeoutMs?: number },
  ...args: string[]
): CliResult {
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin/truffles.mjs'), ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      TRUFFLES_HOME: o.home,
      TRUFFLES_FROM_SOURCE: '1',
      TRUFFLES_PASSPHRASE: o.passphrase,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: o.timeoutMs ?? 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
