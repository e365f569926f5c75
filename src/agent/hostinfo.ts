/**
 * The host's health from its /proc (mounted in the agent's container at /host/proc) and its
 * filesystems (the host's / mounted read-only at /host/root). The parsers are pure; `readHost`
 * reads the files.
 */
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DiskUsage, HostHealth } from '../shared/agent/protocol';

/** The first `cpu` line of /proc/stat, in jiffies (USER_HZ). */
export interface CpuTimes {
  /** user + nice + system + idle + iowait + irq + softirq + steal (guest time is inside user and nice). */
  total: number;
  /** idle + iowait. */
  idle: number;
}

export interface ProcStat {
  cpu: CpuTimes;
  /** How many `cpuN` lines (online CPUs); at least 1. */
  cores: number;
}

export function parseProcStat(text: string): ProcStat {
  let cpu: CpuTimes | null = null;
  let cores = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const parts = line.trim().split(/\s+/);
    const name = parts[0] ?? '';
    if (name === 'cpu') {
      if (cpu) continue;
      const n = parts.slice(1, 9).map((s) => Number(s) || 0);
      const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = n;
      cpu = {
        total: user + nice + system + idle + iowait + irq + softirq + steal,
        idle: idle + iowait,
      };
    } else if (/^cpu\d+$/.test(name)) {
      cores++;
    }
  }
  if (!cpu) throw new Error('/proc/stat: no cpu line');
  return { cpu, cores: Math.max(1, cores) };
}

/** Percent of the whole host busy between two samples (100 = every core); null without a usable previous one. */
export function hostCpuPercent(cur: CpuTimes, prev: CpuTimes | null): number | null {
  if (!prev) return null;
  const dTotal = cur.total - prev.total;
  const dIdle = cur.idle - prev.idle;
  if (!(dTotal > 0) || dIdle < 0) return null;
  return Math.min(100, Math.max(0, ((dTotal - dIdle) / dTotal) * 100));
}

/** MemTotal and MemAvailable of /proc/meminfo, in bytes. */
export function parseMeminfo(text: string): { memTotalBytes: number; memAvailableBytes: number } {
  const kb = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const total = kb('MemTotal');
  if (total === null) throw new Error('/proc/meminfo: no MemTotal');
  // MemAvailable exists since Linux 3.14; before, free + buffers + cached is the usual estimate.
  const avail = kb('MemAvailable') ?? (kb('MemFree') ?? 0) + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0);
  return { memTotalBytes: total, memAvailableBytes: avail };
}

export function parseLoadavg(text: string): [number, number, number] {
  const [a, b, c] = text
    .trim()
    .split(/\s+/)
    .map((s) => parseFloat(s));
  if (![a, b, c].every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new Error(`/proc/loadavg: unreadable "${text.trim()}"`);
  }
  return [a!, b!, c!];
}

/** Seconds since boot (the first number of /proc/uptime). */
export function parseUptime(text: string): number {
  const n = parseFloat(text.trim().split(/\s+/)[0] ?? '');
  if (!Number.isFinite(n)) throw new Error(`/proc/uptime: unreadable "${text.trim()}"`);
  return n;
}

export interface MountEntry {
  device: string;
  mount: string;
  fstype: string;
}

/** Filesystems on real storage; overlay, tmpfs, proc, cgroup, nsfs … are not worth a disk row. */
export const DISK_FSTYPES: ReadonlySet<string> = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'zfs',
  'f2fs',
  'vfat',
]);

/** /proc/mounts escapes space, tab, newline and backslash as octal (\040 \011 \012 \134). */
export function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * The filesystems of a /proc/<pid>/mounts text worth reporting: one per device (its shortest
 * mountpoint: a bind mount or a btrfs subvolume mounted twice is one disk), in the text's order.
 */
export function parseMounts(text: string): MountEntry[] {
  const byDevice = new Map<string, MountEntry>();
  for (const line of text.split('\n')) {
    const [dev, mnt, fstype] = line.trim().split(/\s+/);
    if (!dev || !mnt || !fstype || !DISK_FSTYPES.has(fstype)) continue;
    const entry = { device: unescapeMount(dev), mount: unescapeMount(mnt), fstype };
    const seen = byDevice.get(entry.device);
    if (!seen || entry.mount.length < seen.mount.length) byDevice.set(entry.device, entry);
  }
  return [...byDevice.values()];
}

export interface HostPaths {
  /** The host's /proc (in the agent's container: /host/proc). */
  procRoot: string;
  /** Where the host's / is visible (in the agent's container: /host/root; on the host itself: /). */
  rootfs: string;
}

/**
 * A mount's usage as seen under rootfs; null when it cannot be read, or when it is not a mountpoint
 * there (a mount the agent's view of the host's / does not carry: statfs would report its parent).
 */
async function diskUsage(rootfs: string, mount: string): Promise<DiskUsage | null> {
  try {
    const path = join(rootfs, mount);
    if (mount !== '/') {
      const [self, parent] = await Promise.all([fsp.stat(path), fsp.stat(dirname(path))]);
      if (self.dev === parent.dev) return null;
    }
    const s = await fsp.statfs(path);
    return {
      mount,
      totalBytes: s.blocks * s.bsize,
      usedBytes: (s.blocks - s.bfree) * s.bsize,
      availBytes: s.bavail * s.bsize,
    };
  } catch {
    return null; // gone, or not visible under rootfs: skip it
  }
}

/**
 * The host's health now, and the CPU times to pass as `prev` next time (cpuPercent is null
 * without them). Disks: every filesystem of the host's init (pid 1) mount table that is a
 * mountpoint under rootfs (mount the host's / with `rbind`, the default, and `rslave` to see
 * later mounts), and always '/'.
 */
export async function readHost(
  opts: HostPaths,
  prev: CpuTimes | null,
): Promise<{ host: HostHealth; cpu: CpuTimes }> {
  const read = (name: string): Promise<string> => fsp.readFile(join(opts.procRoot, name), 'utf8');
  const [stat, meminfo, loadavg, uptime, mounts] = await Promise.all([
    read('stat'),
    read('meminfo'),
    read('loadavg'),
    read('uptime'),
    read('1/mounts').catch(() => ''),
  ]);
  const { cpu, cores } = parseProcStat(stat);
  const mountpoints = ['/', ...parseMounts(mounts).map((m) => m.mount)];
  const unique = [...new Set(mountpoints)];
  const disks = (await Promise.all(unique.map((m) => diskUsage(opts.rootfs, m)))).filter(
    (d): d is DiskUsage => d !== null,
  );
  return {
    host: {
      cores,
      cpuPercent: hostCpuPercent(cpu, prev),
      ...parseMeminfo(meminfo),
      load: parseLoadavg(loadavg),
      uptimeSeconds: parseUptime(uptime),
      disks,
    },
    cpu,
  };
}
