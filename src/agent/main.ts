/**
 * truffles-agent: runs on a host (in a container the console starts, restart policy
 * unless-stopped), watches the containers of ours from Docker's events stream, samples their
 * stats and the host's in one-shot sweeps, keeps a bounded history on disk, and answers the
 * console on a Unix socket. No network port, no polling of container state.
 *
 * Configuration (environment):
 *   TRUFFLES_AGENT_DIR      its folder on the host, mounted here (default /agent):
 *                           run/agent.sock (the door), data/ (history)
 *   TRUFFLES_AGENT_GID      the group that may use the door (the Docker socket's group)
 *   DOCKER_SOCKET           default /var/run/docker.sock
 *   TRUFFLES_HOST_PROC      the host's /proc (default /host/proc, else /proc)
 *   TRUFFLES_HOST_ROOT      the host's / read-only (default /host/root, else /)
 *   TRUFFLES_HOST_CGROUP    the host's /sys/fs/cgroup read-only (default /host/cgroup, else
 *                           /sys/fs/cgroup); without it, stats come from Docker's API
 *   TRUFFLES_SWEEP_SECONDS  the stats sweep period (default 10)
 *   TRUFFLES_STATE_DIR      the console's state folder as the host names it (tenant records,
 *                           backup records, the knowledge-base worker's socket; read under
 *                           TRUFFLES_HOST_ROOT)
 *   TRUFFLES_HOST_NAME      the host's name in the console (alert messages, until configured)
 *   TRUFFLES_EDGE_TLS       where the edge serves TLS, host:port (default 127.0.0.1:443)
 *   TRUFFLES_TELEGRAM_API   the Bot API's base URL when the alert config names none
 *   TRUFFLES_ALERTS_SIDE_SECONDS  how often backups, certificates and posture are read (default 60)
 *   TRUFFLES_SUPPORT_SOCKET the support door's socket (issue 17), when the host has a support
 *                           account: curated, redacted reads for the people its bridge names
 *   TRUFFLES_SUPPORT_GID    the support account's group (the door's socket gets it)
 *   TRUFFLES_AUDIT_ROOT     where the host's <stateDir>/audit is mounted, minus /audit (the
 *                           support door records reads of people's data there)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_PROTOCOL, AGENT_VERSION } from '../shared/agent/protocol';
import { ContainerTable } from './containers';
import { DockerApi } from './docker';
import { History } from './history';
import { healthMethods, healthStreams } from './healthDoor';
import { RequestError, serveDoor } from './server';
import type { Door } from './server';
import { Sampler } from './sampler';
import { HostWatcher } from './watcher';
import { Alerter } from './alerts/alerter';
import type { AlerterDeps } from './alerts/alerter';
import { readBackups, readCerts, readSecurity, readTenants } from './alerts/sources';
import { alertsMethods } from './alertsDoor';
import { CostEngine } from './cost/engine';
import { costMethods } from './costDoor';
import { inboxMethods, inboxPending } from './inboxDoor';
import { kbReadMethods, kbSocketPath } from './kbDoor';
import { supportDoor } from './supportDoor';
import { accessStanding, appendTrail, tenantRedactor } from './supportServe';

const env = process.env;
const dir = env['TRUFFLES_AGENT_DIR'] ?? '/agent';
const socketPath = join(dir, 'run', 'agent.sock');
const gid = env['TRUFFLES_AGENT_GID'] ? Number(env['TRUFFLES_AGENT_GID']) : null;
const procRoot = env['TRUFFLES_HOST_PROC'] ?? (existsSync('/host/proc/stat') ? '/host/proc' : '/proc');
const rootfs = env['TRUFFLES_HOST_ROOT'] ?? (existsSync('/host/root') ? '/host/root' : '/');
const cgroupRoot =
  env['TRUFFLES_HOST_CGROUP'] ?? (existsSync('/host/cgroup') ? '/host/cgroup' : '/sys/fs/cgroup');
const sweepMs = Math.max(1, Number(env['TRUFFLES_SWEEP_SECONDS'] ?? 10)) * 1000;
const startedAt = new Date().toISOString();
const stateDir = env['TRUFFLES_STATE_DIR'] ?? null;
const [edgeHost = '127.0.0.1', edgePort = '443'] = (env['TRUFFLES_EDGE_TLS'] ?? '127.0.0.1:443').split(':');
const methods = [
  'ping',
  'snapshot',
  'history',
  'watch',
  'logs',
  'alerts',
  'alerts.ack',
  'alerts.silence',
  'alerts.maintenance',
  'alerts.unhold',
  'alerts.configure',
  'alerts.test',
  'cost.view',
  'cost.conversation',
  'cost.prices',
  'cost.pricesSet',
  'cost.reprice',
  'cost.rates',
  'cost.ratesImport',
  'cost.budget',
  'cost.budgetSet',
  'inbox.pending',
  'inbox.list',
  'inbox.conversation',
  'inbox.messages',
  'inbox.reply',
  'inbox.status',
  'kb.documents',
  'kb.jobs',
  'kb.chunks',
  'kb.search',
];

const docker = new DockerApi(env['DOCKER_SOCKET'] ?? '/var/run/docker.sock');
const table = new ContainerTable(docker);
/** The slugs of the tenants on this host, from their records. */
async function tenantSlugs(state: string): Promise<string[]> {
  return (await readTenants({ rootfs, procRoot, stateDir: state })).map((t) => t.slug);
}
/** AI cost (issue 16): the tenants' spend, rollups, prices, rates and budgets; needs the state folder. */
const cost = stateDir
  ? new CostEngine({
      docker,
      rootfs,
      stateDir,
      dir,
      log,
      tenants: () => tenantSlugs(stateDir),
    })
  : null;
const sampler = new Sampler(docker, cgroupRoot, procRoot);
const history = new History(join(dir, 'data'));
const stop = new AbortController();
let alerter: Alerter | null = null;
const watcher = new HostWatcher({
  docker,
  table,
  sampler,
  history,
  procRoot,
  rootfs,
  startedAt,
  log,
  onContainerChange: () => alerter?.changed(),
  onSwept: () => void alerter?.evaluateNow(),
});
table.onEvent((e) => alerter?.noteEvent(e));

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/** Backups, certificates and the host's posture, for the alert rules (null: not read). */
async function sideReads(): Promise<Awaited<ReturnType<AlerterDeps['side']>>> {
  const paths = { rootfs, procRoot, stateDir: stateDir ?? '/nonexistent' };
  const tenants = stateDir ? await readTenants(paths) : [];
  const [backups, certs, security, budgets] = await Promise.all([
    stateDir ? readBackups(paths, tenants) : { value: null, problem: null },
    stateDir
      ? readCerts(tenants, { host: edgeHost, port: Number(edgePort) || 443 })
      : { value: null, problem: null },
    readSecurity(paths),
    cost ? cost.tick().catch((err: unknown) => (log(`cost: ${(err as Error).message}`), null)) : null,
  ]);
  return {
    backups: backups.value,
    certs: certs.value,
    security: security.value,
    budgets,
    problems: [backups.problem, certs.problem, security.problem].filter((x): x is string => x !== null),
  };
}

const healthDeps = { docker, table, history, watcher };
const door: Door = {
  hello: () => ({
    agent: 'truffles-agent',
    version: AGENT_VERSION,
    protocol: AGENT_PROTOCOL,
    startedAt,
    methods,
  }),
  methods: healthMethods(healthDeps),
  streams: healthStreams(healthDeps),
};

async function main(): Promise<void> {
  await history.load();
  alerter = await Alerter.open({
    dir: join(dir, 'alerts'),
    defaultHost: env['TRUFFLES_HOST_NAME'] ?? 'host',
    containers: () => table.list(),
    containersReady: () => table.reconciledAt !== null,
    host: () => watcher.host,
    side: sideReads,
    sideEveryMs: Math.max(1, Number(env['TRUFFLES_ALERTS_SIDE_SECONDS'] ?? 60)) * 1000,
    ...(env['TRUFFLES_TELEGRAM_API'] ? { telegramApi: env['TRUFFLES_TELEGRAM_API'] } : {}),
    log,
    announce: (notices, active) => watcher.broadcast({ kind: 'alerts', notices, active }),
  });
  Object.assign(door.methods, alertsMethods(alerter));
  if (cost) Object.assign(door.methods, costMethods(cost));
  if (stateDir)
    Object.assign(
      door.methods,
      inboxMethods({
        docker,
        rootfs,
        stateDir,
        ...(cost
          ? {
              pending: async () => inboxPending(await tenantSlugs(stateDir), (slug) => cost.tenantPool(slug)),
            }
          : {}),
      }),
    );
  if (stateDir)
    Object.assign(
      door.methods,
      kbReadMethods(() => kbSocketPath(rootfs, stateDir)),
    );
  const server = await serveDoor(socketPath, door, gid);
  const supportSocket = env['TRUFFLES_SUPPORT_SOCKET'];
  const supportGid = env['TRUFFLES_SUPPORT_GID'] ? Number(env['TRUFFLES_SUPPORT_GID']) : null;
  const auditRoot = env['TRUFFLES_AUDIT_ROOT'] ?? null;
  const support =
    supportSocket && supportGid !== null
      ? await serveDoor(
          supportSocket,
          supportDoor(door, {
            access: (actor) => accessStanding(rootfs, stateDir, actor),
            redactor: tenantRedactor(rootfs, stateDir),
            recordRead: async (actor, method, subject, ref) => {
              if (!auditRoot)
                throw new RequestError('internal', 'This agent has no audit trail to record reads in.');
              await appendTrail(auditRoot, actor, {
                at: new Date().toISOString(),
                action: 'support.read',
                subject,
                details: { method, ref },
              });
            },
          }),
          supportGid,
          { identified: true },
        )
      : null;
  if (support) log(`support door on ${String(supportSocket)} (group ${String(supportGid)})`);
  log(
    `truffles-agent ${AGENT_VERSION} (protocol ${AGENT_PROTOCOL}) on ${socketPath}; host /proc ${procRoot}, / ${rootfs}, cgroups ${cgroupRoot}`,
  );
  void watcher.followDocker(stop.signal);
  const tick = async (): Promise<void> => {
    try {
      await watcher.sweepOnce();
    } catch (err) {
      log(`sweep: ${(err as Error).message}`);
    }
    if (!stop.signal.aborted)
      timer = setTimeout(() => void tick(), Math.max(0, sweepMs - (Date.now() % sweepMs)));
  };
  let timer = setTimeout(() => void tick(), 200);
  const shutdown = (): void => {
    stop.abort();
    void alerter?.stop();
    cost?.close();
    clearTimeout(timer);
    server.close();
    support?.close();
    watcher.close();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  log(`cannot start: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
