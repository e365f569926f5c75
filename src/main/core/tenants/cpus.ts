import type { HostTransport } from '../hosts/transport';
import { liftCpuLimitCommand, parseLifted, setCpusCommand } from './commands';

/**
 * A service's CPU limit lifted for a while and put back: n8n while it boots (create, update,
 * restore), PostgreSQL while a restore's pg_restore runs. One place for both.
 */

/** The container whose limit was lifted and the limit its compose file declares (what goes back). */
export interface LiftedCpus {
  container: string;
  cpus: string;
}

export type CpuService = 'postgres' | 'n8n';
type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

const NAMES: Record<CpuService, string> = { postgres: 'PostgreSQL', n8n: 'n8n' };

/**
 * Lets the service's container use every CPU of the host `during` ("while it boots", "during the
 * restore"). Null when there is nothing to lift (no limit, or it allows all the host's CPUs) or
 * Docker refused: the service then runs at its limit, said as a warning.
 */
export async function liftCpus(
  t: HostTransport,
  dir: string,
  slug: string,
  service: CpuService,
  during: string,
  log: Log,
): Promise<LiftedCpus | null> {
  const r = await t
    .exec(liftCpuLimitCommand(dir, slug, service), { timeoutMs: 60_000 })
    .catch((e: unknown) => ({ code: 1, stdout: '', stderr: (e as Error).message }));
  if (r.code !== 0) {
    log('warn', `${NAMES[service]} keeps its CPU limit ${during}: ${r.stderr.trim().slice(-200)}`);
    return null;
  }
  const lifted = parseLifted(r.stdout);
  if (!lifted) return null;
  log('info', `${NAMES[service]} may use ${lifted.n} CPUs ${during} (its limit: ${lifted.cpus})`);
  return { container: lifted.container, cpus: lifted.cpus };
}

/** The limit back to what the compose file declares; a failure is an error naming the command that mends it, and which of our operations (`next`) puts it back anyway. */
export async function putCpusBack(
  t: HostTransport,
  lifted: LiftedCpus,
  service: CpuService,
  next: string,
  log: Log,
): Promise<void> {
  const r = await t
    .exec(setCpusCommand(lifted.container, lifted.cpus), { timeoutMs: 60_000 })
    .catch((e: unknown) => ({ code: 1, stdout: '', stderr: (e as Error).message }));
  if (r.code !== 0)
    log(
      'error',
      `${NAMES[service]}'s CPU limit could not be put back to ${lifted.cpus}: ${r.stderr.trim().slice(-200)}. The next ${next} puts it back, or: docker update --cpus ${lifted.cpus} ${lifted.container}`,
    );
}
