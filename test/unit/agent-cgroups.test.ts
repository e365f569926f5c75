import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CgroupReader,
  memoryLimit,
  parseBlkioV1,
  parseIoStatV2,
  parseNetDev,
  parseProcCgroup,
} from '../../src/agent/cgroups';
import { containerStats } from '../../src/agent/stats';
import { afterEach } from 'vitest';
import { tempDir } from '../helpers/tmp';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const ID = 'd38c6218b0858c7e7d4ed3377cac2896d1b164003209f88af9b47b58b0fc0089';

/** /proc/<pid>/cgroup of a container on a cgroup v1 host with the cgroupfs driver (read on this machine). */
const PROC_CGROUP_V1 = [
  `9:name=systemd:/docker/${ID}`,
  `8:pids:/docker/${ID}`,
  `7:blkio:/docker/${ID}`,
  `4:memory:/docker/${ID}`,
  `2:cpu,cpuacct:/docker/${ID}`,
  `0::/docker/${ID}`,
  '',
].join('\n');

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    5728      80    0    0    0     0          0         0     5728      80    0    0    0     0       0          0
  eth0:     946      11    0    0    0     0          0         0      300       3    0    0    0     0       0          0
  eth1:      54       1    0    0    0     0          0         0       46       1    0    0    0     0       0          0
`;

describe('cgroup file parsers', () => {
  it('reads each v1 controller (co-mounted ones too) and the unified path from /proc/<pid>/cgroup', () => {
    const cg = parseProcCgroup(PROC_CGROUP_V1);
    expect(cg.v1.get('cpuacct')).toEqual({ dir: 'cpu,cpuacct', path: `/docker/${ID}` });
    expect(cg.v1.get('memory')).toEqual({ dir: 'memory', path: `/docker/${ID}` });
    expect(cg.v1.has('name=systemd')).toBe(false);
    expect(cg.unified).toBe(`/docker/${ID}`);
    expect(parseProcCgroup('0::/system.slice/docker-abc.scope\n')).toEqual({
      v1: new Map(),
      unified: '/system.slice/docker-abc.scope',
    });
  });

  it('sums block I/O by operation, leaving out the Sync/Async/Total lines', () => {
    expect(
      parseBlkioV1('8:0 Read 4096\n8:0 Write 1024\n8:0 Sync 5000\n8:0 Total 5120\n8:16 Read 1\nTotal 5121\n'),
    ).toEqual({ read: 4097, write: 1024 });
    expect(
      parseIoStatV2('8:0 rbytes=100 wbytes=20 rios=3 wios=1 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2\n'),
    ).toEqual({
      read: 101,
      write: 22,
    });
  });

  it('counts every interface of the container network but loopback', () => {
    expect(parseNetDev(NET_DEV)).toEqual({ rx: 1000, tx: 346, interfaces: 2 });
    expect(parseNetDev(NET_DEV.split('\n').slice(0, 3).join('\n')).interfaces).toBe(0);
  });

  it('caps an unlimited memory limit at the host memory, as docker stats shows it', () => {
    expect(memoryLimit('9223372036854771712\n', 2e9)).toBe(2e9);
    expect(memoryLimit('max\n', 2e9)).toBe(2e9);
    expect(memoryLimit('536870912\n', 2e9)).toBe(536870912);
  });
});

/** A host's /proc and /sys/fs/cgroup as files in a folder. */
function fakeHost(mode: 'v1' | 'v2'): { proc: string; cgroup: string } {
  const { dir: root, cleanup } = tempDir('truffles-cgroups-');
  cleanups.push(cleanup);
  const proc = join(root, 'proc');
  const cgroup = join(root, 'cgroup');
  const put = (path: string, text: string): void => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };
  put(join(proc, '4242', 'net', 'dev'), NET_DEV);
  if (mode === 'v1') {
    put(join(proc, '4242', 'cgroup'), PROC_CGROUP_V1);
    const d = (c: string): string => join(cgroup, c, 'docker', ID);
    mkdirSync(join(cgroup, 'cpu,cpuacct'), { recursive: true });
    put(join(d('cpu,cpuacct'), 'cpuacct.usage'), '1880990698\n');
    put(join(d('memory'), 'memory.usage_in_bytes'), '20803584\n');
    put(join(d('memory'), 'memory.limit_in_bytes'), '268435456\n');
    put(
      join(d('memory'), 'memory.stat'),
      'cache 2670592\ninactive_file 827392\ntotal_inactive_file 827392\n',
    );
    put(
      join(d('blkio'), 'blkio.throttle.io_service_bytes_recursive'),
      '8:0 Read 4096\n8:0 Write 1024\nTotal 5120\n',
    );
  } else {
    put(join(proc, '4242', 'cgroup'), '0::/system.slice/docker-abc.scope\n');
    const d = join(cgroup, 'system.slice', 'docker-abc.scope');
    put(join(cgroup, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    put(join(d, 'cpu.stat'), 'usage_usec 1880990\nuser_usec 1000000\nsystem_usec 880990\n');
    put(join(d, 'memory.current'), '20803584\n');
    put(join(d, 'memory.max'), 'max\n');
    put(join(d, 'memory.stat'), 'anon 19000000\nfile 1800000\ninactive_file 827392\n');
    put(join(d, 'io.stat'), '8:0 rbytes=4096 wbytes=1024 rios=1 wios=1\n');
  }
  return { proc, cgroup };
}

const ctx = { systemNs: 500e9, onlineCpus: 2, hostMemBytes: 2_000_000_000 };

describe('CgroupReader', () => {
  for (const mode of ['v1', 'v2'] as const) {
    it(`reads a container's CPU, memory, network and block I/O from cgroup ${mode} files`, async () => {
      const h = fakeHost(mode);
      expect(CgroupReader.detect(h.cgroup)).toBe(mode);
      const reader = new CgroupReader(h.cgroup, h.proc, mode);
      const json = reader.read(4242, ctx);
      const { stats, cpu } = containerStats(json, { containerNs: 880_990_000, systemNs: 490e9 });
      expect(cpu.containerNs).toBe(mode === 'v1' ? 1_880_990_698 : 1_880_990_000);
      // 1 s of the container's CPU over 10 s of the host's 2 cores' time, as docker stats reckons it
      expect(stats.cpuPercent).toBeCloseTo(20, 3);
      expect(stats.memBytes).toBe(20_803_584 - 827_392);
      expect(stats.memLimitBytes).toBe(mode === 'v1' ? 268_435_456 : 2_000_000_000);
      expect([stats.netRxBytes, stats.netTxBytes]).toEqual([1000, 346]);
      expect([stats.blkReadBytes, stats.blkWriteBytes]).toEqual([4096, 1024]);
    });
  }

  it('says so when the process is gone or has no such cgroup, so the sweep can ask Docker', async () => {
    const h = fakeHost('v1');
    const reader = new CgroupReader(h.cgroup, h.proc, 'v1');
    expect(() => reader.read(99999, ctx)).toThrow();
    expect(() => reader.read(0, ctx)).toThrow(/no process id/);
    expect(CgroupReader.detect(join(h.proc, 'nothing'))).toBeNull();
  });
});
