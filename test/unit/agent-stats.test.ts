import { describe, expect, it } from 'vitest';
import { containerStats, type CpuSample, type DockerStatsJson } from '../../src/agent/stats';

/** A one-shot answer on a cgroup v1 host (Engine API 1.41 docs' example shape, `stream=false&one-shot=true`). */
function v1(over: { total: number; system: number; read?: string }): DockerStatsJson {
  return {
    read: over.read ?? '2026-12-06T07:00:10.123456789Z',
    // one-shot: Docker does not take a second reading, precpu_stats is empty
    ...{
      preread: '0001-01-01T00:00:00Z',
      precpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} },
    },
    pids_stats: { current: 3 },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 8, minor: 0, op: 'Read', value: 4_096_000 },
        { major: 8, minor: 0, op: 'Write', value: 1_024_000 },
        { major: 8, minor: 0, op: 'Sync', value: 5_000_000 },
        { major: 8, minor: 0, op: 'Async', value: 120_000 },
        { major: 8, minor: 0, op: 'Total', value: 5_120_000 },
        { major: 8, minor: 16, op: 'Read', value: 1_000 },
        { major: 8, minor: 16, op: 'Write', value: 2_000 },
      ],
      io_serviced_recursive: [],
      io_queue_recursive: [],
      sectors_recursive: [],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: {
      cpu_usage: {
        percpu_usage: [8646879, 24472255, 36438778, 30657443],
        usage_in_usermode: 50000000,
        total_usage: over.total,
        usage_in_kernelmode: 30000000,
      },
      system_cpu_usage: over.system,
      online_cpus: 4,
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    },
    memory_stats: {
      usage: 6_537_216,
      max_usage: 6_651_904,
      stats: {
        active_anon: 6_537_216,
        active_file: 0,
        cache: 1_048_576,
        hierarchical_memory_limit: 67_108_864,
        inactive_anon: 0,
        inactive_file: 200_000,
        mapped_file: 0,
        pgfault: 964,
        pgmajfault: 0,
        pgpgin: 477,
        pgpgout: 414,
        rss: 6_537_216,
        rss_huge: 6_291_456,
        total_active_anon: 6_537_216,
        total_active_file: 0,
        total_cache: 1_048_576,
        total_inactive_anon: 0,
        total_inactive_file: 524_288,
        total_mapped_file: 0,
        total_pgfault: 964,
        total_pgmajfault: 0,
        total_pgpgin: 477,
        total_pgpgout: 414,
        total_rss: 6_537_216,
        total_rss_huge: 6_291_456,
        total_unevictable: 0,
        total_writeback: 0,
        unevictable: 0,
        writeback: 0,
      },
      failcnt: 0,
      limit: 67_108_864,
    },
    name: '/acme-postgres-1',
    id: 'b3e2a4c6d8f0',
    networks: {
      eth0: {
        rx_bytes: 5338,
        rx_dropped: 0,
        rx_errors: 0,
        rx_packets: 36,
        tx_bytes: 648,
        tx_dropped: 0,
        tx_errors: 0,
        tx_packets: 8,
      },
      eth5: {
        rx_bytes: 4641,
        rx_dropped: 0,
        rx_errors: 0,
        rx_packets: 26,
        tx_bytes: 690,
        tx_dropped: 0,
        tx_errors: 0,
        tx_packets: 9,
      },
    },
  } as DockerStatsJson;
}

/** The same on a cgroup v2 host: no percpu_usage, lower-case blkio ops, v2 memory.stat keys. */
function v2(over: { total: number; system: number; online?: number }): DockerStatsJson {
  return {
    read: '2026-12-06T07:00:20.5Z',
    preread: '0001-01-01T00:00:00Z',
    pids_stats: { current: 12, limit: 4915 },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 259, minor: 0, op: 'read', value: 73_728_000 },
        { major: 259, minor: 0, op: 'write', value: 12_288 },
        { major: 253, minor: 1, op: 'read', value: 8_192 },
        { major: 253, minor: 1, op: 'write', value: 4_096 },
      ],
      io_serviced_recursive: null,
      io_queue_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: {
      cpu_usage: { total_usage: over.total, usage_in_kernelmode: 1_000_000, usage_in_usermode: 2_000_000 },
      system_cpu_usage: over.system,
      ...(over.online === undefined ? {} : { online_cpus: over.online }),
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    },
    precpu_stats: {
      cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
      throttling_data: {},
    },
    memory_stats: {
      usage: 150_000_000,
      stats: {
        active_anon: 90_000_000,
        active_file: 20_000_000,
        anon: 100_000_000,
        anon_thp: 0,
        file: 45_000_000,
        file_dirty: 0,
        file_mapped: 10_000_000,
        file_writeback: 0,
        inactive_anon: 10_000_000,
        inactive_file: 25_000_000,
        kernel_stack: 200_000,
        pgactivate: 100,
        pgdeactivate: 0,
        pgfault: 50_000,
        pgmajfault: 10,
        shmem: 0,
        slab: 3_000_000,
        sock: 0,
        unevictable: 0,
        workingset_activate: 0,
        workingset_nodereclaim: 0,
        workingset_refault: 0,
      },
      limit: 8_000_000_000,
    },
    name: '/acme-n8n-1',
    id: '0f1e2d3c4b5a',
    networks: { eth0: { rx_bytes: 1_000_000, tx_bytes: 250_000 } },
  } as DockerStatsJson;
}

describe('containerStats, cgroup v1', () => {
  it('reads memory (less total_inactive_file), network, block I/O, the limit and the read time', () => {
    const { stats, cpu } = containerStats(v1({ total: 100_000_000, system: 9_000_000_000_000 }), null);
    expect(stats).toEqual({
      at: '2026-12-06T07:00:10.123Z',
      cpuPercent: 0,
      memBytes: 6_537_216 - 524_288,
      memLimitBytes: 67_108_864,
      netRxBytes: 5338 + 4641,
      netTxBytes: 648 + 690,
      blkReadBytes: 4_096_000 + 1_000,
      blkWriteBytes: 1_024_000 + 2_000,
    });
    expect(cpu).toEqual({ containerNs: 100_000_000, systemNs: 9_000_000_000_000 });
  });

  it('computes CPU from our previous sample: Δcontainer / Δsystem × online CPUs × 100', () => {
    const prev: CpuSample = { containerNs: 100_000_000, systemNs: 9_000_000_000_000 };
    // 10 s on 4 cores: the host's counter advances 40 s; the container used 5 s → 50 % of the host, 200 % of a core
    const { stats } = containerStats(v1({ total: 5_100_000_000, system: 9_040_000_000_000 }), prev);
    expect(stats.cpuPercent).toBeCloseTo(50, 9);
  });

  it('falls back to cache without total_inactive_file, and to percpu_usage length without online_cpus', () => {
    const json = v1({ total: 2_100_000_000, system: 9_040_000_000_000 });
    delete json.memory_stats!.stats!.total_inactive_file;
    delete json.cpu_stats!.online_cpus;
    const { stats } = containerStats(json, { containerNs: 100_000_000, systemNs: 9_000_000_000_000 });
    expect(stats.memBytes).toBe(6_537_216 - 1_048_576);
    expect(stats.cpuPercent).toBeCloseTo((2 / 40) * 4 * 100, 9); // four percpu entries
  });

  it('is 0 when the container restarted (its counter went backwards) or the host counter did not move', () => {
    const prev: CpuSample = { containerNs: 900_000_000_000, systemNs: 9_000_000_000_000 };
    expect(containerStats(v1({ total: 1_000, system: 9_040_000_000_000 }), prev).stats.cpuPercent).toBe(0);
    const same = { containerNs: 1, systemNs: 9_040_000_000_000 };
    expect(containerStats(v1({ total: 5, system: 9_040_000_000_000 }), same).stats.cpuPercent).toBe(0);
  });
});

describe('containerStats, cgroup v2', () => {
  it('reads memory less inactive_file and lower-case blkio ops; online_cpus falls back to 1', () => {
    const prev: CpuSample = { containerNs: 1_000_000_000, systemNs: 50_000_000_000_000 };
    const { stats, cpu } = containerStats(v2({ total: 3_000_000_000, system: 50_020_000_000_000 }), prev);
    expect(stats).toEqual({
      at: '2026-12-06T07:00:20.500Z',
      cpuPercent: (2 / 20) * 1 * 100,
      memBytes: 150_000_000 - 25_000_000,
      memLimitBytes: 8_000_000_000,
      netRxBytes: 1_000_000,
      netTxBytes: 250_000,
      blkReadBytes: 73_728_000 + 8_192,
      blkWriteBytes: 12_288 + 4_096,
    });
    expect(cpu).toEqual({ containerNs: 3_000_000_000, systemNs: 50_020_000_000_000 });
  });

  it('uses online_cpus when given', () => {
    const prev: CpuSample = { containerNs: 0, systemNs: 0 };
    const { stats } = containerStats(v2({ total: 10_000_000_000, system: 80_000_000_000, online: 8 }), prev);
    expect(stats.cpuPercent).toBeCloseTo(100, 9); // one of eight cores
  });

  it('never reports negative memory (inactive_file above usage)', () => {
    const json = v2({ total: 1, system: 1 });
    json.memory_stats!.stats!.inactive_file = 999_999_999_999;
    expect(containerStats(json, null).stats.memBytes).toBe(0);
  });
});

describe('containerStats, sparse answers', () => {
  it('a stopped container: zero time, no networks, null blkio list, empty memory → zeros and the given time', () => {
    const json: DockerStatsJson = {
      read: '0001-01-01T00:00:00Z',
      cpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} } as DockerStatsJson['cpu_stats'],
      memory_stats: {},
      blkio_stats: { io_service_bytes_recursive: null },
    };
    const now = new Date('2026-12-06T07:01:00Z');
    const { stats, cpu } = containerStats(json, { containerNs: 5, systemNs: 5 }, now);
    expect(stats).toEqual({
      at: '2026-12-06T07:01:00.000Z',
      cpuPercent: 0,
      memBytes: 0,
      memLimitBytes: 0,
      netRxBytes: 0,
      netTxBytes: 0,
      blkReadBytes: 0,
      blkWriteBytes: 0,
    });
    expect(cpu).toEqual({ containerNs: 0, systemNs: 0 });
  });

  it('an empty object does not throw', () => {
    expect(containerStats({}, null, new Date(0)).stats.memBytes).toBe(0);
  });
});
