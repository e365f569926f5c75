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
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerHealth, HostHealth, HostSnapshot, WatchEvent } from '../shared/agent/protocol';
import { AGENT_PROTOCOL, AGENT_VERSION } from '../shared/agent/protocol';
import { ContainerTable } from './containers';
import { logTargets, nextRunning } from './followTargets';
import { DockerApi } from './docker';
import { History } from './history';
import { readHost } from './hostinfo';
import type { CpuTimes } from './hostinfo';
import { RequestError, serveDoor } from './server';
import type { Door } from './server';
import { containerStats } from './stats';
import type { CpuSample } from './stats';
import { Sampler } from './sampler';
import { followLogs } from './logs';
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
const watchers = new Set<(e: WatchEvent) => void>();
const stop = new AbortController();

let host: HostHealth | null = null;
let hostCpu: CpuTimes | null = null;
const cpuSamples = new Map<string, CpuSample>();
let lastSweepAt: string | null = null;
let lastSweepMs: number | null = null;

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

function broadcast(e: WatchEvent): void {
  for (const w of watchers) w(e);
}

// Changes go out in batches: at most one message per 100 ms, each container once.
const pendingUpserts = new Map<string, ContainerHealth>();
const pendingRemovals = new Set<string>();
let flushTimer: NodeJS.Timeout | null = null;
table.onChange((change) => {
  if (change.kind === 'upsert') {
    pendingRemovals.delete(change.container.id);
    pendingUpserts.set(change.container.id, change.container);
  } else {
    pendingUpserts.delete(change.id);
    pendingRemovals.add(change.id);
    cpuSamples.delete(change.id);
  }
  flushTimer ??= setTimeout(flush, 100);
  alerter?.changed();
});
table.onEvent((e) => alerter?.noteEvent(e));
let alerter: Alerter | null = null;
function flush(): void {
  flushTimer = null;
  if (pendingUpserts.size) broadcast({ kind: 'containers', containers: [...pendingUpserts.values()] });
  if (pendingRemovals.size) broadcast({ kind: 'removed', ids: [...pendingRemovals] });
  pendingUpserts.clear();
  pendingRemovals.clear();
}

/** Follow Docker's events; on every (re)connection, list everything first: no gap goes unseen. */
async function watchDocker(): Promise<void> {
  let backoff = 500;
  while (!stop.signal.aborted) {
    const since = Math.floor(Date.now() / 1000) - 1;
    try {
      await table.reconcile(stop.signal);
      const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
      table.eventsConnected = true;
      broadcast({ kind: 'gap', eventsConnected: true });
      backoff = 500;
      await docker.lines(
        `/events?since=${since}&filters=${filters}`,
        (l) => table.onEventLine(l),
        stop.signal,
      );
    } catch (err) {
      if (!stop.signal.aborted) log(`events stream: ${(err as Error).message}`);
    }
    if (table.eventsConnected) {
      table.eventsConnected = false;
      broadcast({ kind: 'gap', eventsConnected: false });
    }
    if (stop.signal.aborted) return;
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 10_000);
  }
}

/**
 * One sweep: the host's counters, then every running container's (from the kernel's cgroup files,
 * or Docker's one-shot stats API where they cannot be read), then the history.
 */
async function sweepOnce(): Promise<void> {
  const t0 = Date.now();
  try {
    const read = await readHost({ procRoot, rootfs }, hostCpu);
    host = read.host;
    hostCpu = read.cpu;
  } catch (err) {
    log(`host reading: ${(err as Error).message}`);
  }
  const running = table.running();
  const ctx =
    host && hostCpu
      ? {
          // /proc/stat counts USER_HZ (100 on every Linux Docker runs on) ticks; Docker reports ns.
          systemNs: hostCpu.total * 1e7,
          onlineCpus: host.cores,
          hostMemBytes: host.memTotalBytes,
        }
      : null;
  const answers = await sampler.sample(
    running.map((c) => ({ id: c.id, pid: table.pidOf(c.id) })),
    ctx,
  );
  const at = new Date();
  const recorded: Array<{ name: string; stats: NonNullable<ContainerHealth['stats']> }> = [];
  for (const c of running) {
    const raw = answers.get(c.id);
    if (!raw || raw instanceof Error) continue;
    const { stats, cpu: sample } = containerStats(raw, cpuSamples.get(c.id) ?? null, at);
    cpuSamples.set(c.id, sample);
    table.setStats(c.id, stats);
    recorded.push({ name: c.name, stats });
  }
  await history.record(Math.floor(at.getTime() / 1000), host, recorded);
  lastSweepAt = at.toISOString();
  lastSweepMs = Date.now() - t0;
  if (host) broadcast({ kind: 'host', host });
  if (recorded.length) broadcast({ kind: 'containers', containers: table.running() });
  void alerter?.evaluateNow();
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

function snapshot(): HostSnapshot {
  const usage = process.cpuUsage();
  return {
    takenAt: new Date().toISOString(),
    agent: {
      version: AGENT_VERSION,
      protocol: AGENT_PROTOCOL,
      startedAt,
      rssBytes: process.memoryUsage().rss,
      ...anonBytes(),
      cpuSeconds: (usage.user + usage.system) / 1e6,
      eventsConnected: table.eventsConnected,
      lastEventAt: table.lastEventAt,
      reconciledAt: table.reconciledAt,
      lastSweepAt,
      lastSweepMs,
      ...(sampler.source ? { statsSource: sampler.source } : {}),
    },
    host,
    containers: table.list(),
  };
}

const door: Door = {
  hello: () => ({
    agent: 'truffles-agent',
    version: AGENT_VERSION,
    protocol: AGENT_PROTOCOL,
    startedAt,
    methods,
  }),
  methods: {
    ping: () => ({ pong: true, at: new Date().toISOString() }),
    snapshot,
    history: (p) => {
      const range = p['range'];
      const scope = p['scope'];
      if (range !== '1h' && range !== '24h')
        throw new RequestError('bad-request', 'range must be "1h" or "24h".');
      if (scope === 'host') return history.series({ scope, range }) ?? emptySeries();
      if (scope === 'container' && typeof p['name'] === 'string') {
        const s = history.series({ scope, range, name: p['name'] });
        if (!s) throw new RequestError('not-found', `No history for a container named "${p['name']}".`);
        return s;
      }
      throw new RequestError('bad-request', 'scope must be "host", or "container" with a "name".');
    },
  },
  streams: {
    watch: (_p, send) => {
      watchers.add(send);
      return () => watchers.delete(send);
    },
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
  },
};

/** RssAnon of /proc/self/status, in bytes (none where it cannot be read). */
function anonBytes(): { anonBytes?: number } {
  try {
    const m = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? { anonBytes: Number(m[1]) * 1024 } : {};
  } catch {
    return {};
  }
}

function emptySeries(): unknown {
  return { step: 10, fields: [], points: [] };
}

async function main(): Promise<void> {
  await history.load();
  alerter = await Alerter.open({
    dir: join(dir, 'alerts'),
    defaultHost: env['TRUFFLES_HOST_NAME'] ?? 'host',
    containers: () => table.list(),
    containersReady: () => table.reconciledAt !== null,
    host: () => host,
    side: sideReads,
    sideEveryMs: Math.max(1, Number(env['TRUFFLES_ALERTS_SIDE_SECONDS'] ?? 60)) * 1000,
    ...(env['TRUFFLES_TELEGRAM_API'] ? { telegramApi: env['TRUFFLES_TELEGRAM_API'] } : {}),
    log,
    announce: (notices, active) => broadcast({ kind: 'alerts', notices, active }),
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
  void watchDocker();
  const tick = async (): Promise<void> => {
    try {
      await sweepOnce();
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
    for (const w of watchers) watchers.delete(w);
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  log(`cannot start: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
