import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContainerHealth, HostHealth, HostSnapshot } from '../../src/shared/agent/protocol';
import type { FleetHealth } from '../../src/shared/contract';
import { setApi } from '../../src/renderer/src/api';
import type { ConnectedApi, ConnectionState } from '../../src/renderer/src/api';
import {
  applyFleet,
  applyHealthEvent,
  appendLive,
  containerCondition,
  diskTone,
  emptyEntry,
  entryFromSnapshot,
  filterFleet,
  fleetCounts,
  fleetLines,
  fleetRows,
  historyPoints,
  labelChoices,
  mergePoints,
} from '../../src/renderer/src/features/health/health';
import type { HostEntries } from '../../src/renderer/src/features/health/health';
import { resetHealthSubscriptions, useHealth } from '../../src/renderer/src/features/health/healthStore';
import { fakeApi, fail, ok } from '../helpers/fakeApi';

function ctr(over: Partial<ContainerHealth> = {}): ContainerHealth {
  return {
    id: 'id-pg',
    name: 'acme-postgres-1',
    tenant: 'acme',
    service: 'postgres',
    image: 'postgres:16',
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
      at: '2026-12-06T07:00:10Z',
      cpuPercent: 2.5,
      memBytes: 100,
      memLimitBytes: 1000,
      netRxBytes: 0,
      netTxBytes: 0,
      blkReadBytes: 0,
      blkWriteBytes: 0,
    },
    ...over,
  };
}

const HOST_HEALTH: HostHealth = {
  cores: 2,
  cpuPercent: 12,
  memTotalBytes: 1000,
  memAvailableBytes: 400,
  load: [0.5, 0.4, 0.3],
  uptimeSeconds: 100,
  disks: [
    { mount: '/', totalBytes: 100, usedBytes: 50, availBytes: 50 },
    { mount: '/data', totalBytes: 100, usedBytes: 90, availBytes: 10 },
  ],
};

function snap(containers: ContainerHealth[]): HostSnapshot {
  return {
    takenAt: '2026-12-06T07:00:10Z',
    agent: {
      version: '1.0.0',
      protocol: 1,
      startedAt: '2026-12-06T06:00:00Z',
      rssBytes: 40_000_000,
      cpuSeconds: 3,
      eventsConnected: true,
      lastEventAt: null,
      reconciledAt: null,
      lastSweepAt: null,
      lastSweepMs: null,
    },
    host: HOST_HEALTH,
    containers,
  };
}

const acme = [
  ctr(),
  ctr({ id: 'id-n8n', name: 'acme-n8n-1', service: 'n8n' }),
  ctr({ id: 'id-edge', name: 'truffles-edge', tenant: null, service: 'edge' }),
];

describe('health: judging containers, tenants and disks', () => {
  it('a container is healthy, starting, unhealthy or down by its state and check', () => {
    expect(containerCondition({ state: 'running', health: 'healthy' })).toBe('healthy');
    expect(containerCondition({ state: 'running', health: 'none' })).toBe('healthy');
    expect(containerCondition({ state: 'running', health: 'starting' })).toBe('starting');
    expect(containerCondition({ state: 'running', health: 'unhealthy' })).toBe('unhealthy');
    expect(containerCondition({ state: 'exited', health: 'none' })).toBe('down');
    expect(containerCondition({ state: 'restarting', health: 'none' })).toBe('down');
    expect(containerCondition({ state: 'dead', health: 'unhealthy' })).toBe('down');
  });

  it('disks are amber from 85 % and red from 95 %', () => {
    expect(diskTone(84.9)).toBe('ok');
    expect(diskTone(85)).toBe('warning');
    expect(diskTone(95)).toBe('error');
  });

  it('a tenant takes its worst service; its counts and totals come from running containers', () => {
    const entry = entryFromSnapshot('sb', snap([...acme, ctr({ id: 'b', tenant: 'beta', name: 'beta-pg' })]));
    const killed = applyHealthEvent(
      { sb: entry },
      {
        type: 'health.changed',
        host: 'sb',
        containers: [ctr({ state: 'exited', exitCode: 137, stats: null })],
      },
    );
    const [row] = fleetRows([{ name: 'sb', labels: {} }], killed);
    expect(row?.agentState).toBe('ok');
    expect(row?.cpuPercent).toBe(12);
    expect(row?.memUsedBytes).toBe(600);
    expect(row?.worstDiskPercent).toBe(90);
    expect(row?.condition).toBe('down');
    // Worst first: acme (down) before beta (healthy); the edge is no tenant.
    expect(row?.tenants.map((t) => [t.slug, t.condition, t.running, t.total])).toEqual([
      ['acme', 'down', 1, 2],
      ['beta', 'healthy', 1, 1],
    ]);
    expect(row?.tenants[0]?.cpuPercent).toBe(2.5);
    expect(fleetCounts(row ? [row] : [])).toEqual({
      healthy: 1,
      starting: 0,
      unhealthy: 0,
      down: 1,
      unreachable: 0,
    });
  });
});

describe('health: the store’s picture from the fleet read and the events', () => {
  it('the picture sent when a stream opens replaces the containers; later events change or remove one', () => {
    let entries: HostEntries = { sb: entryFromSnapshot('sb', snap(acme)) };
    entries = applyHealthEvent(entries, {
      type: 'health.changed',
      host: 'sb',
      containers: [ctr({ health: 'unhealthy', healthOutput: 'no' })],
    });
    expect(Object.keys(entries['sb']?.containers ?? {}).sort()).toEqual(['id-edge', 'id-n8n', 'id-pg']);
    expect(entries['sb']?.containers['id-pg']?.health).toBe('unhealthy');
    entries = applyHealthEvent(entries, { type: 'health.changed', host: 'sb', removed: ['id-n8n'] });
    expect(Object.keys(entries['sb']?.containers ?? {}).sort()).toEqual(['id-edge', 'id-pg']);
    entries = applyHealthEvent(entries, {
      type: 'health.changed',
      host: 'sb',
      containers: [ctr()],
      eventsConnected: true,
    });
    expect(Object.keys(entries['sb']?.containers ?? {})).toEqual(['id-pg']);
  });

  it('an error marks the host unreadable (its tenants grey); the next change clears it', () => {
    let entries: HostEntries = { sb: entryFromSnapshot('sb', snap(acme)) };
    entries = applyHealthEvent(entries, {
      type: 'health.changed',
      host: 'sb',
      error: { code: 'ssh.unreachable', message: 'connection refused' },
    });
    let [row] = fleetRows([{ name: 'sb', labels: {} }], entries);
    expect(row?.agentState).toBe('unreachable');
    expect(row?.error?.message).toBe('connection refused');
    expect(row?.tenants.map((t) => t.condition)).toEqual(['unknown']);
    expect(fleetCounts(row ? [row] : []).unreachable).toBe(1);
    entries = applyHealthEvent(entries, { type: 'health.changed', host: 'sb', hostHealth: HOST_HEALTH });
    [row] = fleetRows([{ name: 'sb', labels: {} }], entries);
    expect(row?.agentState).toBe('ok');
  });

  it('a fleet read keeps what an event said after it began; a missing agent is "no-agent"', () => {
    const fleet: FleetHealth = {
      takenAt: '',
      agentVersion: '1.0.0',
      hosts: [
        { host: 'sb', snapshot: snap(acme), error: null, ms: 1 },
        {
          host: 'bare',
          snapshot: null,
          error: { code: 'agent.unreachable', message: 'no socket' },
          ms: 1,
        },
      ],
    };
    const newer = { ...emptyEntry('sb'), seen: true, eventAt: 2_000 };
    const out = applyFleet({ sb: newer }, fleet, 1_000);
    expect(out['sb']?.containers).toEqual({});
    expect(out['sb']?.agent?.version).toBe('1.0.0');
    const rows = fleetRows(
      [
        { name: 'sb', labels: {} },
        { name: 'bare', labels: {} },
      ],
      out,
    );
    expect(rows.map((r) => [r.host, r.agentState])).toEqual([
      ['bare', 'no-agent'],
      ['sb', 'ok'],
    ]);
    const older = applyFleet({ sb: { ...newer, eventAt: 500 } }, fleet, 1_000);
    expect(Object.keys(older.sb?.containers ?? {}).length).toBe(3);
  });

  it('the label filter and the words keep matching hosts, or only matching tenants', () => {
    const entries = {
      a: entryFromSnapshot('a', snap(acme)),
      b: entryFromSnapshot('b', snap([ctr({ id: 'x', tenant: 'zeta', name: 'zeta-pg' })])),
    };
    const hosts: { name: string; labels: Record<string, string> }[] = [
      { name: 'a', labels: { region: 'almaty' } },
      { name: 'b', labels: { region: 'astana', tier: 'gold' } },
    ];
    expect(labelChoices(hosts)).toEqual(['region=almaty', 'region=astana', 'tier=gold']);
    const rows = fleetRows(hosts, entries);
    expect(filterFleet(rows, { label: 'region=astana', text: '' }).map((r) => r.host)).toEqual(['b']);
    const byWord = filterFleet(rows, { label: '', text: 'zet' });
    expect(fleetLines(byWord).map((l) => (l.kind === 'host' ? l.row.host : l.row.slug))).toEqual([
      'b',
      'zeta',
    ]);
  });
});

describe('health: chart points', () => {
  it('history becomes points in ms; live samples after its last point are appended, within the range', () => {
    const now = 10_000_000;
    const history = historyPoints({
      step: 10,
      fields: ['cpuPercent', 'memUsedBytes'],
      points: [
        [9_000, 1, 100],
        [9_990, null, 200],
      ],
    });
    expect(history).toEqual([
      { t: 9_000_000, cpuPercent: 1, memUsedBytes: 100 },
      { t: 9_990_000, cpuPercent: null, memUsedBytes: 200 },
    ]);
    let live = appendLive([], { t: 9_980_000, cpuPercent: 5 });
    live = appendLive(live, { t: 9_995_000, cpuPercent: 6 });
    expect(appendLive(live, { t: 9_995_000, cpuPercent: 7 })).toBe(live);
    expect(mergePoints(history, live, '1h', now).map((p) => p.t)).toEqual([9_000_000, 9_990_000, 9_995_000]);
    expect(mergePoints(history, live, '1h', now + 3_600_000 - 9_500_000 + 9_000_000).length).toBe(2);
    expect(appendLive([{ t: 1 }, { t: 2 }], { t: 3 }, 2).map((p) => p.t)).toEqual([2, 3]);
  });
});

describe('health store: the live feed by name, only while a view holds it', () => {
  beforeEach(() => {
    resetHealthSubscriptions();
    useHealth.setState({
      entries: {},
      loaded: false,
      agents: {},
      agentErrors: {},
      history: {},
      live: {},
      busy: {},
    });
  });
  afterEach(() => setApi(null));

  it('subscribes to health.changed by name once, applies events, and unsubscribes when the last view lets go', async () => {
    const f = fakeApi({
      'events.subscribe': () => ok({ id: 'sub-7' }),
      'events.unsubscribe': () => ok({ removed: true }),
      'health.fleet': () =>
        ok({ takenAt: '', hosts: [{ host: 'sb', snapshot: snap(acme), error: null, ms: 1 }] }),
    });
    setApi(f.api);
    const off1 = useHealth.getState().follow();
    const off2 = useHealth.getState().follow();
    await useHealth.getState().loadFleet();
    const subs = f.calls.filter((c) => c.name === 'events.subscribe');
    expect(subs.map((c) => c.input)).toEqual([{ topics: ['health.changed'] }]);
    expect(useHealth.getState().loaded).toBe(true);

    f.emit({ type: 'health.changed', host: 'sb', containers: [ctr({ state: 'exited', stats: null })] });
    f.emit({ type: 'health.changed', host: 'sb', hostHealth: HOST_HEALTH });
    const [row] = fleetRows([{ name: 'sb', labels: {} }], useHealth.getState().entries);
    expect(row?.tenants[0]?.condition).toBe('down');
    expect(useHealth.getState().live['sb']?.length).toBe(1);

    off1();
    off1();
    expect(f.calls.some((c) => c.name === 'events.unsubscribe')).toBe(false);
    off2();
    await new Promise((r) => setTimeout(r, 0));
    expect(f.calls.filter((c) => c.name === 'events.unsubscribe').map((c) => c.input)).toEqual([
      { id: 'sub-7' },
    ]);
  });

  it('after a dropped socket (browser mode) it subscribes again by name and reads the fleet again', async () => {
    const f = fakeApi({
      'events.subscribe': () => ok({ id: 'sub-1' }),
      'events.unsubscribe': () => ok({ removed: true }),
      'health.fleet': () => ok({ takenAt: '', hosts: [] }),
    });
    let onState: (s: ConnectionState) => void = () => {};
    const api: ConnectedApi = {
      ...f.api,
      connectionState: 'open',
      onConnection: (l) => {
        onState = l;
        return () => {
          onState = () => {};
        };
      },
    };
    setApi(api);
    const off = useHealth.getState().follow();
    onState('open');
    const count = (name: string): number => f.calls.filter((c) => c.name === name).length;
    expect(count('events.subscribe')).toBe(1);
    onState('closed');
    onState('open');
    await new Promise((r) => setTimeout(r, 0));
    expect(count('events.subscribe')).toBe(2);
    expect(count('health.fleet')).toBe(1);
    off();
  });

  it('a host that cannot be read keeps its reason; install reads the host again', async () => {
    let installed = false;
    const f = fakeApi({
      'health.host': () =>
        installed ? ok(snap(acme)) : fail('agent.unreachable', 'The console could not reach the agent'),
      'agent.install': () => {
        installed = true;
        return ok({ host: 'sb', state: 'answering' });
      },
    });
    setApi(f.api);
    await useHealth.getState().loadHost('sb');
    expect(useHealth.getState().entries['sb']?.error?.code).toBe('agent.unreachable');
    expect(await useHealth.getState().installAgent('sb', false)).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    expect(useHealth.getState().entries['sb']?.error).toBeNull();
    expect(useHealth.getState().agents['sb']?.state).toBe('answering');
  });
});
