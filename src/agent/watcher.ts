/**
 * What the agent knows of its host as it happens: the containers of ours from Docker's events
 * stream (listed whole again on every reconnection, so no gap goes unseen), the host's and the
 * running containers' counters from one-shot sweeps, kept in the bounded history, and every change
 * sent to the watchers (the door's `watch` streams) in batches.
 */
import { readFileSync } from 'node:fs';
import type { ContainerHealth, HostHealth, HostSnapshot, WatchEvent } from '../shared/agent/protocol';
import { AGENT_PROTOCOL, AGENT_VERSION } from '../shared/agent/protocol';
import type { ContainerTable } from './containers';
import type { DockerApi } from './docker';
import type { History } from './history';
import { readHost } from './hostinfo';
import type { CpuTimes } from './hostinfo';
import type { Sampler } from './sampler';
import { containerStats } from './stats';
import type { CpuSample } from './stats';

export interface HostWatcherDeps {
  docker: DockerApi;
  table: ContainerTable;
  sampler: Sampler;
  history: History;
  procRoot: string;
  rootfs: string;
  startedAt: string;
  log(message: string): void;
  /** A container changed (the alert rules look again). */
  onContainerChange(): void;
  /** A sweep ended (the alert rules evaluate its figures). */
  onSwept(): void;
}

/** Changes go out at most once per this many ms, each container once. */
const BATCH_MS = 100;

export class HostWatcher {
  /** The host as the last sweep read it. */
  host: HostHealth | null = null;
  private hostCpu: CpuTimes | null = null;
  private readonly cpuSamples = new Map<string, CpuSample>();
  private lastSweepAt: string | null = null;
  private lastSweepMs: number | null = null;
  private readonly watchers = new Set<(e: WatchEvent) => void>();
  private readonly pendingUpserts = new Map<string, ContainerHealth>();
  private readonly pendingRemovals = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(private readonly d: HostWatcherDeps) {
    d.table.onChange((change) => {
      if (change.kind === 'upsert') {
        this.pendingRemovals.delete(change.container.id);
        this.pendingUpserts.set(change.container.id, change.container);
      } else {
        this.pendingUpserts.delete(change.id);
        this.pendingRemovals.add(change.id);
        this.cpuSamples.delete(change.id);
      }
      this.flushTimer ??= setTimeout(() => this.flush(), BATCH_MS);
      d.onContainerChange();
    });
  }

  /** Every change from now on reaches `send`, until the returned function is called. */
  watch(send: (e: WatchEvent) => void): () => void {
    this.watchers.add(send);
    return () => this.watchers.delete(send);
  }

  broadcast(e: WatchEvent): void {
    for (const w of this.watchers) w(e);
  }

  /** No watcher is sent anything more. */
  close(): void {
    this.watchers.clear();
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  private flush(): void {
    this.flushTimer = null;
    if (this.pendingUpserts.size)
      this.broadcast({ kind: 'containers', containers: [...this.pendingUpserts.values()] });
    if (this.pendingRemovals.size) this.broadcast({ kind: 'removed', ids: [...this.pendingRemovals] });
    this.pendingUpserts.clear();
    this.pendingRemovals.clear();
  }

  /** Follow Docker's events until `signal`; on every (re)connection, list everything first. */
  async followDocker(signal: AbortSignal): Promise<void> {
    const { docker, table, log } = this.d;
    let backoff = 500;
    while (!signal.aborted) {
      const since = Math.floor(Date.now() / 1000) - 1;
      try {
        await table.reconcile(signal);
        const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
        table.eventsConnected = true;
        this.broadcast({ kind: 'gap', eventsConnected: true });
        backoff = 500;
        await docker.lines(`/events?since=${since}&filters=${filters}`, (l) => table.onEventLine(l), signal);
      } catch (err) {
        if (!signal.aborted) log(`events stream: ${(err as Error).message}`);
      }
      if (table.eventsConnected) {
        table.eventsConnected = false;
        this.broadcast({ kind: 'gap', eventsConnected: false });
      }
      if (signal.aborted) return;
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 10_000);
    }
  }

  /**
   * One sweep: the host's counters, then every running container's (from the kernel's cgroup
   * files, or Docker's one-shot stats API where they cannot be read), then the history.
   */
  async sweepOnce(): Promise<void> {
    const { table, sampler, history, log } = this.d;
    const t0 = Date.now();
    try {
      const read = await readHost({ procRoot: this.d.procRoot, rootfs: this.d.rootfs }, this.hostCpu);
      this.host = read.host;
      this.hostCpu = read.cpu;
    } catch (err) {
      log(`host reading: ${(err as Error).message}`);
    }
    const { host, hostCpu } = this;
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
      const { stats, cpu: sample } = containerStats(raw, this.cpuSamples.get(c.id) ?? null, at);
      this.cpuSamples.set(c.id, sample);
      table.setStats(c.id, stats);
      recorded.push({ name: c.name, stats });
    }
    await history.record(Math.floor(at.getTime() / 1000), host, recorded);
    this.lastSweepAt = at.toISOString();
    this.lastSweepMs = Date.now() - t0;
    if (host) this.broadcast({ kind: 'host', host });
    if (recorded.length) this.broadcast({ kind: 'containers', containers: table.running() });
    this.d.onSwept();
  }

  /** The host, its containers and the agent itself, as they are now. */
  snapshot(): HostSnapshot {
    const { table, sampler } = this.d;
    const usage = process.cpuUsage();
    return {
      takenAt: new Date().toISOString(),
      agent: {
        version: AGENT_VERSION,
        protocol: AGENT_PROTOCOL,
        startedAt: this.d.startedAt,
        rssBytes: process.memoryUsage().rss,
        ...anonBytes(),
        cpuSeconds: (usage.user + usage.system) / 1e6,
        eventsConnected: table.eventsConnected,
        lastEventAt: table.lastEventAt,
        reconciledAt: table.reconciledAt,
        lastSweepAt: this.lastSweepAt,
        lastSweepMs: this.lastSweepMs,
        ...(sampler.source ? { statsSource: sampler.source } : {}),
      },
      host: this.host,
      containers: table.list(),
    };
  }
}

/** RssAnon of /proc/self/status, in bytes (none where it cannot be read). */
function anonBytes(): { anonBytes?: number } {
  try {
    const m = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? { anonBytes: Number(m[1]) * 1024 } : {};
  } catch {
    return {};
  }
}
