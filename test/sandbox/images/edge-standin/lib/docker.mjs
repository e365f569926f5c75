// The docker provider: reads the Docker Engine API over the mounted socket (no client library),
// lists the running containers, follows /events (container start, die, health_status, as Traefik
// does) and turns labels into dynamic configuration the way Traefik's docker provider does:
//   - containers without `traefik.enable=true` are skipped when exposedByDefault=false;
//   - containers with a healthcheck that is not (yet) healthy are skipped;
//   - a label Traefik does not know makes the WHOLE container be skipped ("field not found");
//   - no service label: one service named after the container (compose: <service>-<project>);
//   - no router label: one router with the default rule Host(`<that name>`);
//   - a router without `service` uses the container's single service (error if several);
//   - the server is http://<IP on traefik.docker.network or --providers.docker.network>:<port>,
//     port = loadbalancer.server.port, else the container's lowest exposed port;
//   - routers, services and middlewares of the same name from several containers are merged
//     (services: their servers are pooled) or dropped when they differ.
//
// The Engine API client is docker-client.mjs, the label decoder docker-labels.mjs, the configuration
// from all containers docker-config.mjs; this module runs the provider loop.

import { readFileSync } from 'node:fs';
import { log } from './log.mjs';
import { DockerClient, inspect } from './docker-client.mjs';
import { buildConfiguration } from './docker-config.mjs';

/**
 * @typedef {import('./docker-client.mjs').DockerData} DockerData
 * @typedef {import('./docker-labels.mjs').HTTPConf} HTTPConf
 */

/**
 * Runs the docker provider until stopped: initial listing, then live updates from /events,
 * reconnecting with exponential back-off (as Traefik does) when the Engine API is unreachable.
 * @param {import('./static-config.mjs').DockerProviderConfig} opts
 * @param {(conf: HTTPConf) => void} onConfiguration
 * @returns {{ stop: () => void }}
 */
export function runDockerProvider(opts, onConfiguration) {
  const client = new DockerClient(opts.endpoint);
  let stopped = false;
  /** @type {(() => void) | null} */
  let closeEvents = null;
  /** @type {NodeJS.Timeout | null} */
  let sleepTimer = null;

  async function listAndBuild() {
    const list = await client.get('/containers/json?all=1');
    /** @type {DockerData[]} */
    const all = [];
    for (const c of list ?? []) {
      try {
        const d = await inspect(client, c.Id);
        if (d) all.push(d);
      } catch (e) {
        // A container removed between the listing and its inspection.
        log.debug(`Failed to inspect container ${c.Id}: ${/** @type {Error} */ (e).message}`);
      }
    }
    const ids = new Map(all.map((d) => [d.id, d]));
    const byId = (/** @type {string} */ id) =>
      ids.get(id) ?? all.find((d) => d.id.startsWith(id) || d.name === id);
    onConfiguration(buildConfiguration(all, opts, byId));
  }

  // Refreshes run one at a time; events arriving meanwhile cause one more refresh afterwards.
  let running = false;
  let again = false;
  async function refresh() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await listAndBuild();
      } while (again && !stopped);
    } catch (e) {
      log.error(`Failed to list containers for docker: ${/** @type {Error} */ (e).message}`, {
        providerName: 'docker',
      });
    } finally {
      running = false;
    }
  }

  (async () => {
    let delay = 500;
    while (!stopped) {
      try {
        const version = await client.get('/version');
        log.debug(
          `Provider connection established with docker ${version?.Version} (API ${version?.ApiVersion})`,
          { providerName: 'docker' },
        );
        if (opts.watch) {
          const ev = client.events(
            (e) => {
              const action = String(e.Action ?? '');
              if (action === 'start' || action === 'die' || action.startsWith('health_status')) {
                log.debug(
                  `Provider event received ${action} ${e.Actor?.Attributes?.name ?? e.Actor?.ID ?? ''}`,
                  { providerName: 'docker' },
                );
                void refresh();
              }
            },
            () => void refresh(),
          );
          closeEvents = ev.close;
          await ev.done;
          closeEvents = null;
          if (!stopped) log.debug('Provider event stream closed', { providerName: 'docker' });
          delay = 500;
        } else {
          await listAndBuild();
          return;
        }
      } catch (e) {
        if (stopped) return;
        log.error(
          `Provider error, retrying in ${(delay / 1000).toFixed(1)}s: ${/** @type {Error} */ (e).message}`,
          { providerName: 'docker' },
        );
      }
      if (stopped) return;
      await new Promise((r) => (sleepTimer = setTimeout(r, delay)));
      delay = Math.min(delay * 2, 30000);
    }
  })();

  return {
    stop() {
      stopped = true;
      closeEvents?.();
      if (sleepTimer) clearTimeout(sleepTimer);
    },
  };
}

/**
 * Reads basicAuth users from a usersFile (one `user:hash` a line).
 * @param {string} path
 */
export function readUsersFile(path) {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
