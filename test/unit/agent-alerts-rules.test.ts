import { describe, expect, it } from 'vitest';
import type { AlertNotice, AlertState, AlertsConfig } from '../../src/shared/agent/alerts';
import { abnormalExit } from '../../src/agent/alerts/kinds';
import type { ContainerObservation, Observation } from '../../src/agent/alerts/observations';
import { emptyState, evaluate, nextDueAt } from '../../src/agent/alerts/rules';
import type { AlertChange } from '../../src/agent/alerts/rules';

/**
 * The rule engine (pure): durations, hysteresis, cooldowns, escalation, gone subjects, firing once
 * and resolving once, over simulated time. `Sim` evaluates like the agent does — on every
 * observation — and keeps every message and change; between evaluations the state goes through
 * JSON, as it does through the state file.
 */

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 2, 3, 12, 0, 0);

class Sim {
  state: AlertState = emptyState();
  notices: AlertNotice[] = [];
  changes: AlertChange[] = [];
  constructor(public config: AlertsConfig = { host: 'web1' }) {}

  at(t: number, obs: Observation): AlertNotice[] {
    const r = evaluate(this.config, this.state, obs, T0 + t);
    this.state = JSON.parse(JSON.stringify(r.state)) as AlertState;
    this.notices.push(...r.notices);
    this.changes.push(...r.changes);
    return r.notices;
  }

  /** Evaluate every `step` ms over [from, to), the observation chosen by the time. */
  run(from: number, to: number, step: number, obs: (t: number) => Observation): void {
    for (let t = from; t < to; t += step) this.at(t, obs(t));
  }

  sent(type?: AlertNotice['type']): Array<{ type: string; t: number; key: string; severity: string }> {
    return this.notices
      .filter((n) => !type || n.type === type)
      .map((n) => ({ type: n.type, t: n.at - T0, key: n.alert.key, severity: n.alert.severity }));
  }
}

const pg = (over: Partial<ContainerObservation> = {}): ContainerObservation => ({
  name: 'acme-postgres-1',
  tenant: 'acme',
  service: 'postgres',
  state: 'running',
  health: 'healthy',
  startedAt: T0 - DAY,
  lastExit: null,
  stopRequested: false,
  restartTimes: [],
  ...over,
});

const disk = (percent: number): Observation => ({
  disks: [{ mount: '/', totalBytes: 100e9, usedBytes: percent * 1e9, availBytes: (100 - percent) * 1e9 }],
});

describe('service down or unhealthy', () => {
  it('a 30-second blip fires nothing', () => {
    const sim = new Sim();
    sim.run(0, 10 * MIN, 5 * S, (t) => ({
      containers: [pg({ health: t >= MIN && t < MIN + 30 * S ? 'unhealthy' : 'healthy' })],
    }));
    expect(sim.notices).toEqual([]);
    expect(sim.changes.map((c) => c.type)).toEqual(['pending', 'dropped']);
  });

  it('2 minutes unhealthy fires exactly once at 120 s, and resolves once after it recovers', () => {
    const sim = new Sim();
    // unhealthy from 10 s to 6 min; evaluated every second
    sim.run(0, 20 * MIN, S, (t) => ({
      containers: [pg({ health: t >= 10 * S && t < 6 * MIN ? 'unhealthy' : 'healthy' })],
    }));
    expect(sim.sent()).toEqual([
      { type: 'fire', t: 130 * S, key: 'service-down@tenant=acme,service=postgres', severity: 'critical' },
      // healthy at 6 min, resolved once it held for clearForMs (30 s)
      {
        type: 'resolve',
        t: 6 * MIN + 30 * S,
        key: 'service-down@tenant=acme,service=postgres',
        severity: 'critical',
      },
    ]);
    const fire = sim.notices[0]!;
    expect(fire.silent).toBe(false);
    expect(fire.id).toBe(`web1/${fire.alert.id}/fire`);
    expect(fire.alert.pendingSince).toBe(T0 + 10 * S);
    expect(sim.notices[1]!.silent).toBe(true);
    expect(sim.state.records).toEqual({});
    expect(sim.state.history).toHaveLength(1);
    expect(sim.state.history[0]).toMatchObject({ reason: 'cleared', notified: true, firedAt: T0 + 130 * S });
  });

  it('a container that is down (exited, not asked to stop) counts; one stopped on request does not', () => {
    const sim = new Sim();
    sim.run(0, 5 * MIN, 10 * S, () => ({
      containers: [
        pg({ state: 'exited', lastExit: { at: T0 - S, code: 0, oomKilled: false, stopRequested: false } }),
        pg({ name: 'acme-n8n-1', service: 'n8n', state: 'exited', stopRequested: true }),
      ],
    }));
    expect(sim.sent()).toEqual([
      { type: 'fire', t: 120 * S, key: 'service-down@tenant=acme,service=postgres', severity: 'critical' },
    ]);
  });

  it('health flapping after a resolve does not fire again within the cooldown; a fault that lasts fires when it ends', () => {
    const sim = new Sim();
    // down 0–3 min (fires at 2 min, resolves at 3.5 min), then unhealthy again from 4 min for good
    sim.run(0, 15 * MIN, 10 * S, (t) => ({
      containers: [pg({ health: t < 3 * MIN || t >= 4 * MIN ? 'unhealthy' : 'healthy' })],
    }));
    expect(sim.sent().map((n) => [n.type, n.t / S])).toEqual([
      ['fire', 120],
      ['resolve', 210],
      // pending since 4 min (240 s) would be due at 360 s; the 5-minute cooldown defers it to 510 s
      ['fire', 510],
    ]);
  });

  it('a removed container resolves its alert as gone; an observation without containers leaves it', () => {
    const sim = new Sim();
    sim.run(0, 3 * MIN, 10 * S, () => ({ containers: [pg({ health: 'unhealthy' })] }));
    expect(sim.sent('fire')).toHaveLength(1);
    sim.at(4 * MIN, { host: { cores: 2, memTotalBytes: 4e9, memAvailableBytes: 2e9, load1: 0.1 } });
    expect(Object.keys(sim.state.records)).toEqual(['service-down@tenant=acme,service=postgres']);
    sim.at(5 * MIN, { containers: [] });
    expect(sim.sent('resolve')).toHaveLength(1);
    expect(sim.state.history.at(-1)?.reason).toBe('gone');
  });
});

describe('container exits and restart loops', () => {
  it('judges exit codes: 0 normal; 130/137/143 normal only after a requested stop; OOM never', () => {
    const e = (code: number, stopRequested = false, oomKilled = false) =>
      abnormalExit({ at: 0, code, stopRequested, oomKilled });
    expect([e(0), e(1), e(2), e(137), e(143), e(130)]).toEqual([false, true, true, true, true, true]);
    expect([e(0, true), e(137, true), e(143, true), e(130, true), e(1, true)]).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
    expect([e(0, false, true), e(137, true, true)]).toEqual([true, true]);
  });

  it('a crash fires at once even when the restart policy already brought it back; resolves after a minute of running', () => {
    const sim = new Sim();
    const crash = { at: T0 + 30 * S, code: 1, oomKilled: false, stopRequested: false };
    sim.run(0, 5 * MIN, 5 * S, (t) => ({
      containers: [
        t < 30 * S ? pg() : pg({ lastExit: crash, startedAt: T0 + 31 * S, restartTimes: [T0 + 31 * S] }),
      ],
    }));
    expect(sim.sent().map((n) => [n.type, n.key, n.t / S])).toEqual([
      ['fire', 'container-exited@tenant=acme,service=postgres', 30],
      ['resolve', 'container-exited@tenant=acme,service=postgres', 95],
    ]);
    expect(sim.notices[0]!.alert.facts).toMatchObject({ code: 1, oomKilled: false });
  });

  it('a restart loop (3 in 10 minutes) fires once while it goes on, and resolves once it has stopped for the window', () => {
    const sim = new Sim();
    // a restart every 90 s from 1 min to 12 min, then calm
    const restarts = Array.from({ length: 8 }, (_, i) => T0 + MIN + i * 90 * S);
    sim.run(0, 40 * MIN, 10 * S, (t) => ({
      containers: [pg({ restartTimes: restarts.filter((r) => r <= T0 + t) })],
    }));
    const loop = sim.sent().filter((n) => n.key.startsWith('restart-loop'));
    expect(loop.map((n) => [n.type, n.t / S])).toEqual([
      ['fire', 240], // the third restart, at 1 min + 180 s
      ['resolve', (MIN + 7 * 90 * S + 10 * MIN) / S], // the last restart (at 690 s) has left the window
    ]);
  });
});

describe('disk, memory, load', () => {
  it('disk past 85 % fires once; hovering between 80 and 85 % neither fires again nor resolves; below 80 resolves', () => {
    const sim = new Sim();
    const path: Array<[number, number]> = [
      [0, 70],
      [MIN, 86], // fires after 60 s
      [3 * MIN, 84],
      [4 * MIN, 81],
      [5 * MIN, 84.9],
      [6 * MIN, 86],
      [7 * MIN, 82],
      [9 * MIN, 83.5],
      [12 * MIN, 79], // clear held 60 s → resolve at 13 min
      [16 * MIN, 83],
    ];
    const at = (t: number): number => path.filter(([s]) => s <= t).at(-1)![1];
    sim.run(0, 20 * MIN, 10 * S, (t) => disk(at(t)));
    expect(sim.sent().map((n) => [n.type, n.t / MIN, n.severity])).toEqual([
      ['fire', 2, 'warning'],
      ['resolve', 13, 'warning'],
    ]);
    expect(sim.notices[0]!.silent).toBe(true);
    expect(sim.state.history[0]!.peak).toBe(86);
  });

  it('disk escalates to critical at 95 % (one escalate message, not a second alert)', () => {
    const sim = new Sim();
    sim.run(0, 10 * MIN, 10 * S, (t) => disk(t < 3 * MIN ? 88 : 96));
    expect(sim.sent().map((n) => [n.type, n.severity])).toEqual([
      ['fire', 'warning'],
      ['escalate', 'critical'],
    ]);
    expect(new Set(sim.notices.map((n) => n.alert.id)).size).toBe(1);
  });

  it('memory pressure and load use their own directions and durations', () => {
    const sim = new Sim();
    sim.run(0, 10 * MIN, 10 * S, (t) => ({
      host: {
        cores: 2,
        memTotalBytes: 8e9,
        memAvailableBytes: t < MIN ? 4e9 : 0.6e9,
        load1: t < MIN ? 1 : 5,
      },
    }));
    expect(sim.sent().map((n) => [n.key, n.t / MIN])).toEqual([
      ['memory@host', 3], // 7.5 % available from 1 min, for 2 min
      ['load@host', 6], // 2.5 per core from 1 min, for 5 min
    ]);
  });
});

describe('backups, certificates, posture, budget', () => {
  const backup = (over: Partial<NonNullable<Observation['backups']>[number]> = {}) => ({
    tenant: 'acme',
    createdAt: T0 - 30 * DAY,
    lastSuccessAt: T0 - 2 * HOUR,
    lastRun: { at: T0 - 2 * HOUR, ok: true },
    offsite: null,
    drill: { at: T0 - DAY, ok: true },
    ...over,
  });

  it('a backup older than 26 h fires; a new one resolves it', () => {
    const sim = new Sim();
    sim.at(0, { backups: [backup({ lastSuccessAt: T0 - 25 * HOUR })] });
    sim.at(HOUR + MIN, { backups: [backup({ lastSuccessAt: T0 - 25 * HOUR })] });
    sim.at(2 * HOUR, { backups: [backup({ lastSuccessAt: T0 + 2 * HOUR - MIN })] });
    expect(sim.sent().map((n) => [n.type, n.key, n.t / MIN])).toEqual([
      ['fire', 'backup-stale@tenant=acme', 61],
      ['resolve', 'backup-stale@tenant=acme', 120],
    ]);
  });

  it('a tenant never backed up fires once older than 26 h, not before', () => {
    const sim = new Sim();
    sim.at(0, { backups: [backup({ createdAt: T0 - 3 * HOUR, lastSuccessAt: null, lastRun: null })] });
    expect(sim.notices).toEqual([]);
    sim.at(24 * HOUR, {
      backups: [backup({ createdAt: T0 - 3 * HOUR, lastSuccessAt: null, lastRun: null })],
    });
    expect(sim.sent('fire').map((n) => n.key)).toEqual(['backup-stale@tenant=acme']);
  });

  it('a failed backup run fires at once; a failed offsite copy and a failed drill too', () => {
    const sim = new Sim();
    sim.at(0, {
      backups: [
        backup({
          lastRun: { at: T0 - MIN, ok: false, error: 'pg_dump: disk full' },
          offsite: { at: T0 - MIN, ok: false, error: 'Connection refused' },
          drill: { at: T0 - 2 * DAY, ok: false, error: 'counts differ' },
        }),
      ],
    });
    expect(sim.sent().map((n) => [n.key, n.severity])).toEqual([
      ['backup-failed@tenant=acme', 'critical'],
      ['drill@tenant=acme', 'warning'],
      ['offsite-failed@tenant=acme', 'warning'],
    ]);
    expect(sim.notices[0]!.alert.facts['error']).toBe('pg_dump: disk full');
  });

  it('a drill never run: fires for an old tenant, with the schedule fix when no drill weekday is set', () => {
    const sim = new Sim();
    sim.at(0, {
      backups: [
        backup({ drill: null, drillsScheduled: false }),
        backup({ tenant: 'new', createdAt: T0 - DAY, drill: null }),
      ],
    });
    expect(sim.notices.map((n) => [n.alert.key, n.alert.fix])).toEqual([
      ['drill@tenant=acme', 'drill-schedule'],
    ]);
  });

  it('a certificate at 10 days fires the warning and escalates at 3 days: one alert', () => {
    const sim = new Sim();
    const notAfter = T0 + 10 * DAY;
    for (let d = 0; d <= 8; d++)
      sim.at(d * DAY, { certs: [{ name: 'bot.acme.example', tenant: 'acme', notAfter }] });
    expect(sim.sent().map((n) => [n.type, n.t / DAY, n.severity])).toEqual([
      ['fire', 0, 'warning'],
      ['escalate', 7, 'critical'],
    ]);
    expect(sim.notices.map((n) => n.silent)).toEqual([true, false]);
    expect(sim.notices[0]!.alert.key).toBe('cert-expiry@tenant=acme,cert=bot.acme.example');
    // renewed: resolves
    sim.at(9 * DAY, { certs: [{ name: 'bot.acme.example', tenant: 'acme', notAfter: T0 + 99 * DAY }] });
    expect(sim.sent('resolve')).toHaveLength(1);
  });

  it('the host’s posture: firewall off, extra ports, fail2ban, password login — each with its fix', () => {
    const sim = new Sim();
    sim.at(0, {
      security: {
        firewall: { active: false, tool: 'ufw', openPorts: [] },
        fail2ban: { running: false, sshJail: false, tool: 'fail2ban' },
        sshd: { passwordAuthentication: true },
      },
    });
    expect(sim.notices.map((n) => [n.alert.key, n.alert.fix])).toEqual([
      ['firewall@host', 'firewall-enable'],
      ['fail2ban@host', 'fail2ban-install'],
      ['ssh-password@host', 'ssh-password'],
    ]);
    const sim2 = new Sim({
      host: 'web2',
      overrides: [{ rule: 'firewall', host: 'web2', set: { params: { allowedPorts: [2222, 80, 443] } } }],
    });
    sim2.at(0, {
      security: { firewall: { active: true, tool: 'ufw', openPorts: [2222, 80, 443, 5432, 6379] } },
    });
    expect(sim2.notices[0]!.alert).toMatchObject({
      fix: 'firewall-ports',
      facts: { extraPorts: '5432,6379' },
    });
    // a part not read this time leaves its alert; null ends it
    sim2.at(MIN, { security: {} });
    expect(Object.keys(sim2.state.records)).toEqual(['firewall@host']);
    sim2.at(2 * MIN, { security: { firewall: null } });
    expect(sim2.sent('resolve').map((n) => n.key)).toEqual(['firewall@host']);
  });

  it('budget: 80 % warns and 100 % is critical, each once in a month; the next month resolves both', () => {
    const sim = new Sim();
    const spend = (spent: number, period = '2026-12') => ({
      budgets: [{ tenant: 'acme', spent, budget: 100, currency: '₸', period }],
    });
    sim.at(0, spend(50));
    sim.at(MIN, spend(85));
    sim.at(2 * MIN, spend(99));
    sim.at(3 * MIN, spend(120));
    for (let i = 4; i < 60; i++) sim.at(i * MIN, spend(120 + i));
    sim.at(60 * MIN, spend(3, '2027-01'));
    expect(sim.sent().map((n) => [n.type, n.key])).toEqual([
      ['fire', 'budget-soft@tenant=acme'],
      ['fire', 'budget@tenant=acme'],
      ['resolve', 'budget-soft@tenant=acme'],
      ['resolve', 'budget@tenant=acme'],
    ]);
    expect(sim.notices[0]!.alert).toMatchObject({ value: 85, severity: 'warning' });
    expect(sim.notices[1]!.alert).toMatchObject({ value: 120, severity: 'critical' });
  });
});

describe('overrides, state, timers', () => {
  it('per-host and per-tenant thresholds: the most specific wins', () => {
    const config: AlertsConfig = {
      host: 'web1',
      overrides: [
        { rule: 'service-down', tenant: 'slow', set: { forMs: 5 * MIN } },
        { rule: 'service-down', host: 'web1', set: { forMs: 3 * MIN } },
        { rule: 'service-down', host: 'other', set: { forMs: 1 } },
        { rule: 'disk', host: 'web1', set: { fire: 90, clear: 88 } },
      ],
    };
    const sim = new Sim(config);
    sim.run(0, 10 * MIN, 10 * S, () => ({
      containers: [
        pg({ health: 'unhealthy' }),
        pg({ name: 'slow-n8n-1', tenant: 'slow', service: 'n8n', health: 'unhealthy' }),
      ],
      ...disk(87),
    }));
    expect(sim.sent().map((n) => [n.key, n.t / MIN])).toEqual([
      ['service-down@tenant=acme,service=postgres', 3],
      ['service-down@tenant=slow,service=n8n', 5],
    ]);
  });

  it('a disabled rule ends its alert; the engine never changes the state it is given', () => {
    const sim = new Sim();
    sim.run(0, 3 * MIN, 10 * S, () => disk(90));
    const before = JSON.stringify(sim.state);
    const frozen = JSON.parse(before) as AlertState;
    evaluate(
      { host: 'web1', overrides: [{ rule: 'disk', set: { enabled: false } }] },
      frozen,
      disk(90),
      T0 + 4 * MIN,
    );
    expect(JSON.stringify(frozen)).toBe(before);
    sim.config = { host: 'web1', overrides: [{ rule: 'disk', set: { enabled: false } }] };
    sim.at(4 * MIN, disk(90));
    expect(sim.state.history.at(-1)?.reason).toBe('disabled');
    expect(sim.sent().map((n) => n.type)).toEqual(['fire', 'resolve']);
  });

  it('nextDueAt names the moment a pending alert fires, so the agent need not wait for its next sweep', () => {
    const sim = new Sim();
    sim.at(7 * S, { containers: [pg({ health: 'unhealthy' })] });
    expect(nextDueAt(sim.config, sim.state, T0 + 8 * S)).toBe(T0 + 127 * S);
    sim.at(127 * S, { containers: [pg({ health: 'unhealthy' })] });
    expect(sim.sent('fire').map((n) => n.t)).toEqual([127 * S]);
    // firing, no repeat due for 4 h
    expect(nextDueAt(sim.config, sim.state, T0 + 128 * S)).toBe(T0 + 127 * S + 4 * HOUR);
  });
});
