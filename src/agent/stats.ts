/**
 * One container's stats from one Docker answer (`GET /containers/{id}/stats?stream=false&one-shot=true`,
 * Engine API 1.41+). Pure: no I/O, no clock.
 *
 * A one-shot answer carries an empty `precpu_stats`, so the CPU share is measured against the
 * previous sample this agent took of the same container ({@link CpuSample}), as `docker stats`
 * does with its own: (Δ container CPU time / Δ host CPU time) × online CPUs × 100.
 */
import type { ContainerStats } from '../shared/agent/protocol';

/** The fields of Docker's stats answer that we read; everything is optional, a stopped container has few. */
export interface DockerStatsJson {
  /** When Docker read the counters (RFC 3339, nanoseconds); "0001-01-01T00:00:00Z" when it could not. */
  read?: string;
  cpu_stats?: DockerCpuStats;
  memory_stats?: {
    usage?: number;
    limit?: number;
    /** cgroup v1: cache, total_inactive_file …; cgroup v2: file, inactive_file … */
    stats?: Record<string, number>;
  };
  /** Per interface; absent with `--network none` or host networking. */
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: {
    /** cgroup v1: op "Read" / "Write" / "Sync" / "Async" / "Total"; cgroup v2: "read" / "write". May be null. */
    io_service_bytes_recursive?: Array<{
      major?: number;
      minor?: number;
      op?: string;
      value?: number;
    }> | null;
  };
}

export interface DockerCpuStats {
  cpu_usage?: {
    /** Nanoseconds of CPU the container used. */
    total_usage?: number;
    /** cgroup v1 only. */
    percpu_usage?: number[] | null;
  };
  /** Nanoseconds of CPU the whole host used (all cores); absent on a stopped container. */
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** What we keep of a container's CPU counters between two sweeps. */
export interface CpuSample {
  /** cpu_stats.cpu_usage.total_usage, ns. */
  containerNs: number;
  /** cpu_stats.system_cpu_usage, ns. */
  systemNs: number;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** The answer's `read` time as ISO, or `fallback` when Docker has none (a zero time). */
function readAt(read: string | undefined, fallback: string): string {
  if (!read || read.startsWith('0001-')) return fallback;
  const ms = Date.parse(read);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : fallback;
}

/** Percent of one core the container used between `prev` and `cur`; 0 without a usable previous sample. */
export function cpuPercent(cur: CpuSample, prev: CpuSample | null, onlineCpus: number): number {
  if (!prev) return 0;
  const dContainer = cur.containerNs - prev.containerNs;
  const dSystem = cur.systemNs - prev.systemNs;
  // A restart resets the container's counter: a negative Δ is no measure.
  if (!(dSystem > 0) || !(dContainer >= 0)) return 0;
  return (dContainer / dSystem) * onlineCpus * 100;
}

function onlineCpus(cpu: DockerCpuStats | undefined): number {
  const online = num(cpu?.online_cpus);
  if (online > 0) return online;
  const per = cpu?.cpu_usage?.percpu_usage;
  if (Array.isArray(per) && per.length > 0) return per.length;
  return 1;
}

/** Memory in use, less the page cache the kernel can drop (as `docker stats` reports it); never negative. */
export function memoryUsed(mem: DockerStatsJson['memory_stats']): number {
  const usage = num(mem?.usage);
  const s = mem?.stats ?? {};
  // cgroup v1 reports `cache` and the hierarchical total_* counters; cgroup v2 has neither.
  const v1 = 'total_inactive_file' in s || 'cache' in s;
  const cache = v1 ? num(s.total_inactive_file ?? s.cache) : num(s.inactive_file);
  return Math.max(0, usage - cache);
}

function blkio(list: NonNullable<DockerStatsJson['blkio_stats']>['io_service_bytes_recursive']): {
  read: number;
  write: number;
} {
  let read = 0;
  let write = 0;
  if (!Array.isArray(list)) return { read, write };
  for (const e of list) {
    const op = typeof e?.op === 'string' ? e.op.toLowerCase() : '';
    if (op === 'read') read += num(e.value);
    else if (op === 'write') write += num(e.value);
  }
  return { read, write };
}

/**
 * The container's stats from one answer and our previous CPU sample of it (null on the first
 * sweep: cpuPercent is then 0). Returns the stats and the CPU sample to keep for the next sweep.
 * `now` is the time to report when Docker's answer has none (a stopped container's zero time).
 */
export function containerStats(
  json: DockerStatsJson,
  prev: CpuSample | null,
  now: Date = new Date(),
): { stats: ContainerStats; cpu: CpuSample } {
  const cpu: CpuSample = {
    containerNs: num(json.cpu_stats?.cpu_usage?.total_usage),
    systemNs: num(json.cpu_stats?.system_cpu_usage),
  };
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(json.networks ?? {})) {
    rx += num(n?.rx_bytes);
    tx += num(n?.tx_bytes);
  }
  const io = blkio(json.blkio_stats?.io_service_bytes_recursive);
  return {
    stats: {
      at: readAt(json.read, now.toISOString()),
      cpuPercent: cpuPercent(cpu, prev, onlineCpus(json.cpu_stats)),
      memBytes: memoryUsed(json.memory_stats),
      memLimitBytes: num(json.memory_stats?.limit),
      netRxBytes: rx,
      netTxBytes: tx,
      blkReadBytes: io.read,
      blkWriteBytes: io.write,
    },
    cpu,
  };
}
