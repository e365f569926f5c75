/**
 * Which containers a logs request follows: the targets it names (containers of ours, checked
 * against the agent's table), and the container that carries a target's lines on once it stopped.
 */
import type { ContainerTable } from './containers';
import type { LogsTarget } from './logs';
import { RequestError } from './server';

/** How long a follow waits for a removed container's successor (a recreate) before it ends. */
const SUCCESSOR_WAIT_MS = 120_000;

/**
 * The container that carries `id`'s lines on once it stopped: itself when it runs again, or,
 * once it is removed, the running container of the same tenant and service (compose recreated
 * it); null when none comes within two minutes, or `signal` aborts.
 */
export function nextRunning(
  table: ContainerTable,
  id: string,
  who: { tenant: string | null; service: string },
  signal: AbortSignal,
): Promise<string | null> {
  const pick = (): string | null => {
    const all = table.list();
    const self = all.find((c) => c.id === id);
    if (self) return self.state === 'running' ? id : null;
    const heir = all
      .filter((c) => c.tenant === who.tenant && c.service === who.service && c.state === 'running')
      .sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''))[0];
    return heir?.id ?? null;
  };
  const now = pick();
  if (now || signal.aborted) return Promise.resolve(now);
  return new Promise<string | null>((resolve) => {
    const done = (v: string | null): void => {
      off();
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = (): void => done(null);
    const timer = setTimeout(() => done(null), SUCCESSOR_WAIT_MS);
    const off = table.onChange(() => {
      const found = pick();
      if (found) done(found);
    });
    signal.addEventListener('abort', onAbort);
  });
}

/** The `targets` of a logs request: containers of ours by id, each with its service and optional start. */
export function logTargets(table: ContainerTable, raw: unknown): LogsTarget[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 64)
    throw new RequestError('bad-request', 'targets must list 1 to 64 containers.');
  const known = new Set(table.list().map((c) => c.id));
  return raw.map((t: unknown) => {
    const o = (t ?? {}) as Record<string, unknown>;
    if (typeof o['id'] !== 'string' || !known.has(o['id']))
      throw new RequestError('not-found', `No container of ours has the id ${JSON.stringify(o['id'])}.`);
    return {
      id: o['id'],
      service: typeof o['service'] === 'string' ? o['service'] : o['id'],
      ...(typeof o['since'] === 'string' ? { since: o['since'] } : {}),
    };
  });
}
