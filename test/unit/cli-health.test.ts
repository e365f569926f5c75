import { describe, expect, it } from 'vitest';
import type { FleetHealth } from '../../src/shared/contract';
import type { ContainerHealth } from '../../src/shared/agent/protocol';
import { containersTable, fleetText, fleetWell } from '../../src/main/cli/health';

function c(over: Partial<ContainerHealth>): ContainerHealth {
  return {
    id: 'id',
    name: 'n',
    tenant: 'acme',
    service: 'postgres',
    image: 'postgres:15',
    state: 'running',
    health: 'healthy',
    healthOutput: null,
    failingStreak: 0,
    exitCode: null,
    oomKilled: false,
    restarts: 0,
    startedAt: '2026-12-06T07:00:00Z',
    finishedAt: null,
    changedAt: '2026-12-06T07:00:00Z',
    stats: {
      at: 'x',
      cpuPercent: 1.5,
      memBytes: 64 * 2 ** 20,
      memLimitBytes: 0,
      netRxBytes: 0,
      netTxBytes: 0,
      blkReadBytes: 0,
      blkWriteBytes: 0,
    },
    ...over,
  };
}

function fleet(containers: ContainerHealth[], unreachable = false): FleetHealth {
  const snapshot = {
    takenAt: 'now',
    agent: {
      version: '1.0.0',
      protocol: 1,
      startedAt: 'x',
      rssBytes: 1,
      cpuSeconds: 1,
      eventsConnected: true,
      lastEventAt: null,
      reconciledAt: null,
      lastSweepAt: null,
      lastSweepMs: null,
    },
    host: {
      cores: 2,
      cpuPercent: 12,
      memTotalBytes: 4 * 2 ** 30,
      memAvailableBytes: 2 ** 30,
      load: [0.1, 0.2, 0.3] as [number, number, number],
      uptimeSeconds: 10,
      disks: [],
    },
    containers,
  };
  return {
    takenAt: 'now',
    agentVersion: '1.0.0',
    hosts: [
      { host: 'sb', snapshot, error: null, ms: 3 },
      ...(unreachable
        ? [{ host: 'far', snapshot: null, error: { code: 'ssh.timeout', message: 'No answer.' }, ms: 9 }]
        : []),
    ],
  };
}

describe('truffles health output', () => {
  it('lists tenants worst first, naming what is not well, and exits non-zero when anything is', () => {
    const f = fleet([
      c({ tenant: 'alpha', service: 'n8n' }),
      c({ tenant: 'zeta', service: 'postgres', state: 'exited', exitCode: 137, stats: null }),
      c({ tenant: 'zeta', service: 'redis', health: 'unhealthy' }),
    ]);
    const text = fleetText(f);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^HOST\s+TENANT\s+SERVICES\s+STATE\s+CPU\s+MEMORY$/);
    expect(lines[1]).toMatch(/^sb\s+3\s+host\s+12 %\s+3\.0 GiB \/ 4\.0 GiB$/);
    expect(lines[2]).toMatch(/zeta\s+2\s+postgres exited \(exit 137\), redis unhealthy/);
    expect(lines[3]).toMatch(/alpha\s+1\s+healthy\s+1\.5 %\s+64\.0 MiB/);
    expect(fleetWell(f)).toBe(false);
    expect(fleetWell(fleet([c({})]))).toBe(true);
    expect(fleetWell(fleet([c({})], true))).toBe(false);
    expect(fleetText(fleet([], true))).toContain('unreachable: No answer.');
  });

  it("shows a tenant's services with state, restarts, CPU and memory", () => {
    const t = containersTable([
      c({ service: 'postgres', restarts: 4 }),
      c({ service: 'n8n', health: 'starting', stats: null }),
    ]);
    expect(t.split('\n')).toEqual([
      expect.stringMatching(/^SERVICE\s+STATE\s+RESTARTS\s+CPU\s+MEMORY\s+SINCE$/),
      expect.stringMatching(/^postgres\s+healthy\s+4\s+1\.5 %\s+64\.0 MiB\s+2026-12-06T07:00:00Z$/),
      expect.stringMatching(/^n8n\s+starting\s+0\s+-\s+-\s+2026-12-06T07:00:00Z$/),
    ]);
  });
});
