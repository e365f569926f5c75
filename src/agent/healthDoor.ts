/**
 * The door's health reads: `ping`, `snapshot` and `history`, and the `watch` (every change) and
 * `logs` (the containers' output, following a stopped target's successor) streams.
 */
import type { ContainerTable } from './containers';
import type { DockerApi } from './docker';
import { logTargets, nextRunning } from './followTargets';
import type { History } from './history';
import { followLogs } from './logs';
import { RequestError } from './server';
import type { Door } from './server';
import type { HostWatcher } from './watcher';

export interface HealthDoorDeps {
  docker: DockerApi;
  table: ContainerTable;
  history: History;
  watcher: HostWatcher;
}

export function healthMethods(d: HealthDoorDeps): Door['methods'] {
  return {
    ping: () => ({ pong: true, at: new Date().toISOString() }),
    snapshot: () => d.watcher.snapshot(),
    history: (p) => {
      const range = p['range'];
      const scope = p['scope'];
      if (range !== '1h' && range !== '24h')
        throw new RequestError('bad-request', 'range must be "1h" or "24h".');
      if (scope === 'host') return d.history.series({ scope, range }) ?? emptySeries();
      if (scope === 'container' && typeof p['name'] === 'string') {
        const s = d.history.series({ scope, range, name: p['name'] });
        if (!s) throw new RequestError('not-found', `No history for a container named "${p['name']}".`);
        return s;
      }
      throw new RequestError('bad-request', 'scope must be "host", or "container" with a "name".');
    },
  };
}

export function healthStreams(d: HealthDoorDeps): Door['streams'] {
  const { docker, table } = d;
  return {
    watch: (_p, send) => d.watcher.watch(send),
    logs: (p, send, { end, drained }) => {
      const targets = logTargets(table, p['targets']);
      // Each target's tenant and service, kept for finding its successor once it is removed.
      const identity = new Map(
        table
          .list()
          .filter((c) => targets.some((t) => t.id === c.id))
          .map((c) => [c.id, { tenant: c.tenant, service: c.service }] as const),
      );
      const tail = typeof p['tail'] === 'number' && p['tail'] >= 0 ? Math.min(p['tail'], 5000) : 200;
      const until = typeof p['until'] === 'string' ? p['until'] : undefined;
      const stop = new AbortController();
      void (async () => {
        const withTty = await Promise.all(
          targets.map(async (t) => {
            const j = await docker.json<{ Config?: { Tty?: boolean } }>(
              `/containers/${encodeURIComponent(t.id)}/json`,
            );
            return { ...t, tty: j.Config?.Tty === true };
          }),
        );
        await followLogs(
          docker,
          withTty,
          { tail, follow: p['follow'] !== false, ...(until ? { until } : {}) },
          send,
          drained,
          stop.signal,
          (id, signal) => {
            const who = identity.get(id);
            if (!who) return Promise.resolve(null);
            return nextRunning(table, id, who, signal).then((heir) => {
              if (heir) identity.set(heir, who);
              return heir;
            });
          },
        );
      })().then(
        () => end(),
        (err: unknown) => end(err instanceof Error ? err : new Error(String(err))),
      );
      return () => stop.abort();
    },
  };
}

function emptySeries(): unknown {
  return { step: 10, fields: [], points: [] };
}
