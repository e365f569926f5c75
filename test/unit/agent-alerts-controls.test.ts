import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlertNotice, AlertState, AlertsConfig } from '../../src/shared/agent/alerts';
import type { Observation } from '../../src/agent/alerts/observations';
import {
  acknowledge,
  addMaintenance,
  addSilence,
  emptyState,
  evaluate,
  nextDueAt,
  removeHold,
} from '../../src/agent/alerts/rules';
import { AlertStateFile, loadAlertState, saveAlertState } from '../../src/agent/alerts/statefile';
import { localMinutes, quietUntil } from '../../src/agent/alerts/suppress';

/** People's controls over the engine (acks, silences, maintenance, quiet hours) and its state file. */

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2025, 2, 3, 12, 0, 0); // 12:00 UTC, 15:00 in Moscow

const unhealthy: Observation = {
  containers: [
    {
      name: 'acme-postgres-1',
      tenant: 'acme',
      service: 'postgres',
      state: 'running',
      health: 'unhealthy',
      startedAt: T0 - HOUR,
      lastExit: null,
      stopRequested: false,
      restartTimes: [],
    },
  ],
};
const healthy: Observation = { containers: [{ ...unhealthy.containers![0]!, health: 'healthy' }] };
const disk90: Observation = { disks: [{ mount: '/', totalBytes: 100, usedBytes: 90, availBytes: 10 }] };

function sim(config: AlertsConfig = { host: 'web1' }) {
  let state: AlertState = emptyState();
  const notices: AlertNotice[] = [];
  return {
    get state() {
      return state;
    },
    set state(s: AlertState) {
      state = s;
    },
    notices,
    at(t: number, obs: Observation) {
      const r = evaluate(config, state, obs, T0 + t);
      state = r.state;
      notices.push(...r.notices);
    },
    sent: () => notices.map((n) => `${n.type}@${(n.at - T0) / MIN}`),
  };
}

describe('acknowledgements and repeats', () => {
  it('a critical alert repeats every 4 h until acknowledged; the ack names who and when', () => {
    const s = sim();
    for (let t = 0; t <= 10 * HOUR; t += 10 * MIN) s.at(t, unhealthy);
    expect(s.sent()).toEqual(['fire@10', 'repeat@250', 'repeat@490']);
    expect(s.notices.map((n) => n.id.split('/').slice(2).join('/'))).toEqual([
      'fire',
      'repeat-1',
      'repeat-2',
    ]);

    const id = s.notices[0]!.alert.id;
    const acked = acknowledge(s.state, id, 'alice', T0 + 10 * HOUR, 'on it');
    expect(acked?.alert.ack).toEqual({ by: 'alice', at: T0 + 10 * HOUR, note: 'on it' });
    s.state = acked!.state;
    for (let t = 10 * HOUR; t <= 20 * HOUR; t += 10 * MIN) s.at(t, unhealthy);
    s.at(20 * HOUR + MIN, healthy);
    s.at(20 * HOUR + 2 * MIN, healthy);
    expect(s.sent().slice(3)).toEqual(['resolve@1202']);
    expect(s.state.history[0]!.ack?.by).toBe('alice');
    expect(acknowledge(s.state, id, 'bob', T0)).toBeNull();
  });

  it('an escalation clears the acknowledgement and is sent', () => {
    const s = sim();
    const disk = (p: number): Observation => ({
      disks: [{ mount: '/', totalBytes: 100, usedBytes: p, availBytes: 100 - p }],
    });
    s.at(0, disk(90));
    s.at(MIN, disk(90));
    s.state = acknowledge(s.state, 'disk@mount=/', 'alice', T0 + MIN)!.state;
    s.at(2 * MIN, disk(97));
    expect(s.sent()).toEqual(['fire@1', 'escalate@2']);
    expect(s.state.records['disk@mount=/']!.ack).toBeNull();
  });
});

describe('silences and maintenance windows', () => {
  it('a silenced alert fires but is not sent; when the silence ends it is sent if it still fires', () => {
    const s = sim();
    s.state = addSilence(s.state, {
      rule: 'service-*',
      subject: 'tenant=acme*',
      until: T0 + 30 * MIN,
      by: 'bob',
      at: T0,
    }).state;
    for (let t = 0; t <= 40 * MIN; t += MIN) s.at(t, unhealthy);
    expect(s.state.records['service-down@tenant=acme,service=postgres']!.phase).toBe('firing');
    expect(s.sent()).toEqual(['fire@30']);
    expect(s.notices[0]!.alert.firingSince).toBe(T0 + 2 * MIN);
    expect(s.state.silences).toEqual([]);
  });

  it('an alert that fired and resolved under a silence sends nothing, not even a resolve', () => {
    const s = sim();
    const { state, silence } = addSilence(s.state, {
      rule: '*',
      subject: '*',
      until: T0 + HOUR,
      by: 'bob',
      at: T0,
    });
    s.state = state;
    for (let t = 0; t <= 10 * MIN; t += MIN) s.at(t, unhealthy);
    for (let t = 11 * MIN; t <= 20 * MIN; t += MIN) s.at(t, healthy);
    expect(s.notices).toEqual([]);
    expect(s.state.history[0]).toMatchObject({ notified: false, reason: 'cleared' });
    expect(removeHold(s.state, silence.id)?.silences).toEqual([]);
    expect(removeHold(s.state, 'nope')).toBeNull();
  });

  it('a silence added after the fire does not hold the resolve', () => {
    const s = sim();
    for (let t = 0; t <= 3 * MIN; t += MIN) s.at(t, unhealthy);
    s.state = addSilence(s.state, { rule: '*', subject: '*', until: T0 + HOUR, by: 'bob', at: T0 }).state;
    s.at(4 * MIN, healthy);
    s.at(5 * MIN, healthy);
    expect(s.sent()).toEqual(['fire@2', 'resolve@5']);
  });

  it('a maintenance window scheduled ahead holds only while it is open', () => {
    const s = sim();
    s.state = addMaintenance(s.state, {
      start: T0 + 10 * MIN,
      end: T0 + 20 * MIN,
      by: 'ops',
      reason: 'fleet update',
    }).state;
    for (let t = 0; t <= 3 * MIN; t += MIN) s.at(t, unhealthy);
    for (let t = 4 * MIN; t <= 9 * MIN; t += MIN) s.at(t, healthy);
    for (let t = 10 * MIN; t <= 25 * MIN; t += MIN) s.at(t, disk90); // fires at 11 min, inside the window
    expect(s.sent()).toEqual(['fire@2', 'resolve@5', 'fire@20']);
    expect(s.notices[2]!.alert.key).toBe('disk@mount=/');
  });
});

describe('quiet hours', () => {
  it('reads the local time of the zone, across midnight', () => {
    expect(localMinutes(T0, 'UTC')).toBe(12 * 60);
    expect(localMinutes(T0, 'Europe/Moscow')).toBe(15 * 60);
    expect(localMinutes(T0, 'No/Such_Zone')).toBe(12 * 60);
    const q = { from: '22:00', to: '07:30', timeZone: 'Europe/Moscow' };
    expect(quietUntil(q, T0)).toBeNull();
    const night = Date.UTC(2025, 2, 3, 20, 15, 42); // 23:15:42 in Moscow
    expect(quietUntil(q, night)).toBe(Date.UTC(2025, 2, 4, 4, 30)); // 07:30 Moscow
    expect(quietUntil({ ...q, from: 'late' }, night)).toBeNull();
  });

  it('hold warnings (sent when they end, if still firing); critical alerts go out at once', () => {
    const config: AlertsConfig = {
      host: 'web1',
      quietHours: { from: '11:00', to: '13:00', timeZone: 'UTC' },
    };
    const s = sim(config);
    for (let t = 0; t <= 70 * MIN; t += MIN) s.at(t, { ...unhealthy, ...disk90 });
    expect(s.notices.map((n) => [n.type, n.alert.kind, (n.at - T0) / MIN])).toEqual([
      ['fire', 'service-down', 2],
      ['fire', 'disk', 60], // quiet hours end at 13:00
    ]);
    const s2 = sim(config);
    s2.at(0, disk90);
    s2.at(MIN, disk90);
    expect(nextDueAt(config, s2.state, T0 + MIN)).toBe(T0 + HOUR);
  });
});

describe('the state file', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'alerts-state-'));

  it('round-trips, written atomically (no temporary file left)', async () => {
    const d = dir();
    const path = join(d, 'alerts-state.json');
    const s = sim();
    for (let t = 0; t <= 3 * MIN; t += MIN) s.at(t, unhealthy);
    await saveAlertState(path, s.state);
    expect(readdirSync(d)).toEqual(['alerts-state.json']);
    const loaded = await loadAlertState(path);
    expect(loaded).toEqual({ state: s.state, problem: null });
    // and the engine goes on from it: healthy again (for clearForMs) resolves what fired before the "restart"
    const r1 = evaluate({ host: 'web1' }, loaded.state, healthy, T0 + 10 * MIN);
    const r2 = evaluate({ host: 'web1' }, r1.state, healthy, T0 + 11 * MIN);
    expect([...r1.notices, ...r2.notices].map((n) => n.type)).toEqual(['resolve']);
  });

  it('a missing file starts clean quietly; a corrupt one starts clean, is kept aside and reported', async () => {
    const d = dir();
    const path = join(d, 'alerts-state.json');
    expect(await loadAlertState(path)).toEqual({ state: emptyState(), problem: null });
    writeFileSync(path, '{"version":1,"seq":3,"records":{"x":');
    const torn = await loadAlertState(path);
    expect(torn.state).toEqual(emptyState());
    expect(torn.problem).toMatch(/not JSON.*kept as .*alerts-state\.json\.corrupt; starting clean/);
    expect(readdirSync(d)).toEqual(['alerts-state.json.corrupt']);
    writeFileSync(path, JSON.stringify({ ...emptyState(), records: { k: { id: 'one' } } }));
    expect((await loadAlertState(path)).problem).toMatch(/record k is malformed/);
    writeFileSync(path, JSON.stringify({ ...emptyState(), version: 2 }));
    expect((await loadAlertState(path)).problem).toMatch(/version 2, expected 1/);
  });

  it('AlertStateFile saves in order and writes only the newest of those waiting', async () => {
    const d = dir();
    const f = new AlertStateFile(join(d, 'state.json'));
    const states = [1, 2, 3, 4, 5].map((seq) => ({ ...emptyState(), seq }));
    await Promise.all(states.map((st) => f.save(st)));
    expect(JSON.parse(readFileSync(f.path, 'utf8')).seq).toBe(5);
    expect((await f.load()).state.seq).toBe(5);
  });
});
