import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  hostCpuPercent,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseProcStat,
  parseUptime,
  readHost,
} from '../../src/agent/hostinfo';

const PROC_STAT = `cpu  3149795 3708 650188 1383507 17414 0 13597 1485 200 0
cpu0 1553931 1912 311306 733138 4095 0 4055 748 100 0
cpu1 1595864 1796 338881 650369 13318 0 9542 736 100 0
intr 318450340 0 9 0 0 0 0 0 0 0 0 0 0 0 0
ctxt 600112342
btime 1764990000
processes 2153210
procs_running 3
procs_blocked 0
softirq 12345 0 1 2 3 4 5 6 7 8 9
`;

const MEMINFO = `MemTotal:       24668152 kB
MemFree:         1034212 kB
MemAvailable:   18123456 kB
Buffers:          412300 kB
Cached:         15012345 kB
SwapCached:            0 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
`;

const MOUNTS = `sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
udev /dev devtmpfs rw,nosuid,relatime,size=4010844k,nr_inodes=1002711,mode=755 0 0
tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=807456k,mode=755 0 0
/dev/sda1 / ext4 rw,relatime,discard,errors=remount-ro 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0
/dev/sda15 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077,codepage=437,iocharset=ascii 0 0
/dev/sdb /mnt/data\\040volume xfs rw,relatime,attr2,inode64,noquota 0 0
/dev/sdb /mnt/data\\040volume/bind xfs rw,relatime,attr2,inode64,noquota 0 0
/dev/nvme0n1p2 /srv/btrfs/@home btrfs rw,relatime,ssd,subvol=/@home 0 0
/dev/nvme0n1p2 /srv btrfs rw,relatime,ssd,subvol=/@ 0 0
tank/data /tank/data zfs rw,xattr,noacl 0 0
/dev/sda1 /var/lib/docker ext4 rw,relatime,discard,errors=remount-ro 0 0
overlay /var/lib/docker/overlay2/4299b6/merged overlay rw,relatime,lowerdir=/var/lib/docker/overlay2/l/V4T 0 0
nsfs /run/docker/netns/6a6f93a5dff1 nsfs rw 0 0
tmpfs /run/user/1000 tmpfs rw,nosuid,nodev,relatime,size=807452k,mode=700,uid=1000,gid=1000 0 0
`;

describe('parsers', () => {
  it('parseProcStat: total and idle (with iowait) jiffies of the first cpu line, cores from cpuN', () => {
    const s = parseProcStat(PROC_STAT);
    expect(s.cpu).toEqual({
      total: 3149795 + 3708 + 650188 + 1383507 + 17414 + 0 + 13597 + 1485,
      idle: 1383507 + 17414,
    });
    expect(s.cores).toBe(2);
    expect(() => parseProcStat('intr 1 2 3\n')).toThrow(/no cpu line/);
  });

  it('hostCpuPercent: busy share between two samples; null first, null when nothing moved', () => {
    expect(hostCpuPercent({ total: 1000, idle: 800 }, null)).toBeNull();
    expect(hostCpuPercent({ total: 1200, idle: 850 }, { total: 1000, idle: 800 })).toBeCloseTo(75, 9);
    expect(hostCpuPercent({ total: 1000, idle: 800 }, { total: 1000, idle: 800 })).toBeNull();
  });

  it('parseMeminfo: bytes; without MemAvailable (old kernels) free + buffers + cached', () => {
    expect(parseMeminfo(MEMINFO)).toEqual({
      memTotalBytes: 24668152 * 1024,
      memAvailableBytes: 18123456 * 1024,
    });
    const old = MEMINFO.replace(/^MemAvailable.*\n/m, '');
    expect(parseMeminfo(old).memAvailableBytes).toBe((1034212 + 412300 + 15012345) * 1024);
    expect(() => parseMeminfo('Foo: 1 kB\n')).toThrow(/MemTotal/);
  });

  it('parseLoadavg and parseUptime', () => {
    expect(parseLoadavg('0.52 0.58 0.59 3/1187 2153210\n')).toEqual([0.52, 0.58, 0.59]);
    expect(() => parseLoadavg('garbage')).toThrow();
    expect(parseUptime('350735.47 234388.90\n')).toBe(350735.47);
    expect(() => parseUptime('')).toThrow();
  });

  it('parseMounts: real filesystems only, unescaped, one per device at its shortest mountpoint', () => {
    expect(parseMounts(MOUNTS)).toEqual([
      { device: '/dev/sda1', mount: '/', fstype: 'ext4' },
      { device: '/dev/sda15', mount: '/boot/efi', fstype: 'vfat' },
      { device: '/dev/sdb', mount: '/mnt/data volume', fstype: 'xfs' },
      { device: '/dev/nvme0n1p2', mount: '/srv', fstype: 'btrfs' },
      { device: 'tank/data', mount: '/tank/data', fstype: 'zfs' },
    ]);
    expect(parseMounts('a\\011b /x\\134y ext4 rw 0 0\n')).toEqual([
      { device: 'a\tb', mount: '/x\\y', fstype: 'ext4' },
    ]);
  });

  it('parse this machine’s /proc', async () => {
    const stat = parseProcStat(await readFile('/proc/stat', 'utf8'));
    expect(stat.cores).toBeGreaterThanOrEqual(1);
    expect(stat.cpu.total).toBeGreaterThan(stat.cpu.idle);
    const mem = parseMeminfo(await readFile('/proc/meminfo', 'utf8'));
    expect(mem.memTotalBytes).toBeGreaterThan(mem.memAvailableBytes);
    expect(mem.memAvailableBytes).toBeGreaterThan(0);
    expect(parseLoadavg(await readFile('/proc/loadavg', 'utf8'))).toHaveLength(3);
    expect(parseUptime(await readFile('/proc/uptime', 'utf8'))).toBeGreaterThan(0);
    for (const m of parseMounts(await readFile('/proc/1/mounts', 'utf8'))) {
      expect(m.mount.startsWith('/')).toBe(true);
      expect(['overlay', 'tmpfs']).not.toContain(m.fstype);
    }
  });
});

describe('readHost', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('this machine: /proc and rootfs /; cpuPercent null first, a number the second time', async () => {
    const first = await readHost({ procRoot: '/proc', rootfs: '/' }, null);
    expect(first.host.cpuPercent).toBeNull();
    expect(first.host.cores).toBeGreaterThanOrEqual(1);
    expect(first.host.memTotalBytes).toBeGreaterThan(0);
    expect(first.host.uptimeSeconds).toBeGreaterThan(0);
    const root = first.host.disks.find((d) => d.mount === '/');
    expect(root).toBeDefined();
    expect(root!.totalBytes).toBeGreaterThan(0);
    expect(root!.usedBytes + root!.availBytes).toBeLessThanOrEqual(root!.totalBytes);
    expect(new Set(first.host.disks.map((d) => d.mount)).size).toBe(first.host.disks.length);

    await new Promise((r) => setTimeout(r, 300));
    const second = await readHost({ procRoot: '/proc', rootfs: '/' }, first.cpu);
    expect(second.host.cpuPercent === null || typeof second.host.cpuPercent === 'number').toBe(true);
    if (second.host.cpuPercent !== null) {
      expect(second.host.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(second.host.cpuPercent).toBeLessThanOrEqual(100);
    }
    expect(second.cpu.total).toBeGreaterThanOrEqual(first.cpu.total);
  });

  it('a fixture /proc under a fake rootfs: disks under rootfs, a missing mountpoint skipped, / always there', async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-hostinfo-'));
    const proc = join(dir, 'proc');
    const rootfs = join(dir, 'root');
    await mkdir(join(proc, '1'), { recursive: true });
    await mkdir(join(rootfs, 'boot', 'efi'), { recursive: true });
    await writeFile(join(proc, 'stat'), PROC_STAT);
    await writeFile(join(proc, 'meminfo'), MEMINFO);
    await writeFile(join(proc, 'loadavg'), '1.50 0.75 0.25 2/300 4242\n');
    await writeFile(join(proc, 'uptime'), '1234.56 2000.00\n');
    // the root here is overlay (not a disk): '/' is still reported; /mnt/gone does not exist under rootfs
    await writeFile(
      join(proc, '1', 'mounts'),
      'overlay / overlay rw 0 0\n/dev/sda15 /boot/efi vfat rw 0 0\n/dev/sdc /mnt/gone ext4 rw 0 0\n',
    );
    const { host, cpu } = await readHost({ procRoot: proc, rootfs }, { total: 0, idle: 0 });
    expect(host.cores).toBe(2);
    expect(host.load).toEqual([1.5, 0.75, 0.25]);
    expect(host.uptimeSeconds).toBe(1234.56);
    expect(host.memAvailableBytes).toBe(18123456 * 1024);
    expect(host.cpuPercent).toBeCloseTo(((cpu.total - cpu.idle) / cpu.total) * 100, 9);
    // boot/efi is a plain directory under this rootfs, not a mountpoint: its numbers would be the root's
    expect(host.disks.map((d) => d.mount)).toEqual(['/']);
    expect(host.disks[0]!.totalBytes).toBeGreaterThan(0);

    // with rootfs '/', a listed mountpoint that is one here (/proc always is) is reported; a plain directory is not
    await writeFile(
      join(proc, '1', 'mounts'),
      '/dev/sdy1 /etc ext4 rw 0 0\n/dev/sdz1 /proc xfs rw 0 0\n/dev/sdc /mnt/gone ext4 rw 0 0\n',
    );
    const real = await readHost({ procRoot: proc, rootfs: '/' }, null);
    expect(real.host.disks.map((d) => d.mount)).toEqual(['/', '/proc']);
  });
});
