import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type {
  AlertEpisode,
  AlertRecord,
  AlertsView,
  MaintenanceWindow,
  Silence,
} from '../../src/shared/agent/alerts';
import { ALERT_KINDS } from '../../src/shared/agent/alerts';
import { FIXES } from '../../src/agent/alerts/words';
import { globMatch as agentGlob, subjectKey as agentSubjectKey } from '../../src/agent/alerts/observations';
import {
  alertRows,
  alertsRouteFromHash,
  badgeHash,
  filterRows,
  firingCount,
  formatDuration,
  globMatch,
  hashForAlertsRoute,
  holdOf,
  rowDuration,
  subjectKeyOf,
  summaryCounts,
  tabCounts,
  tabRows,
} from '../../src/renderer/src/features/alerts/alerts';
import type { HostAlerts } from '../../src/renderer/src/features/alerts/alerts';
import { FIX_CODES, describe as describeAlert, fixText } from '../../src/renderer/src/features/alerts/fixes';
import { en } from '../../src/renderer/src/i18n/en';
import { MIN as ONE_MIN, NOW as FIXED_NOW, rec, view } from '../helpers/alerts';
import { ru } from '../../src/renderer/src/i18n/ru';

const NOW = FIXED_NOW;
const MIN = ONE_MIN;

function episode(over: Partial<AlertEpisode> = {}): AlertEpisode {
  return {
    id: 90,
    key: 'disk@mount=/data',
    ruleId: 'disk',
    kind: 'disk',
    subject: { mount: '/data' },
    severity: 'warning',
    firedAt: NOW - 5 * 60 * MIN,
    resolvedAt: NOW - 3 * 60 * MIN,
    reason: 'cleared',
    peak: 88,
    notified: true,
    ack: null,
    ...over,
  };
}

const entry = (v: AlertsView): HostAlerts => ({ view: v, error: null, at: NOW });

const silence = (over: Partial<Silence> = {}): Silence => ({
  id: 's1',
  rule: 'disk',
  subject: '*',
  until: NOW + 60 * MIN,
  by: 'ops',
  at: NOW - MIN,
  ...over,
});

describe('alerts: subjects and patterns as the agent has them', () => {
  it('subject keys and globs match the agent’s own functions', () => {
    const subjects = [
      {},
      { tenant: 'acme' },
      { tenant: 'acme', service: 'pg' },
      { mount: '/data' },
      { cert: 'a.kz' },
    ];
    for (const s of subjects) expect(subjectKeyOf(s)).toBe(agentSubjectKey(s));
    const cases: [string, string][] = [
      ['*', 'tenant=acme,service=postgres'],
      ['tenant=acme*', 'tenant=acme,service=postgres'],
      ['tenant=acme', 'tenant=acme,service=postgres'],
      ['service-*', 'service-down'],
      ['disk', 'disk'],
      ['d.sk', 'disk'],
      ['mount=/data*', 'mount=/data/x'],
      ['', ''],
    ];
    for (const [p, t] of cases) expect(globMatch(p, t)).toBe(agentGlob(p, t));
  });

  it('a silence or a window holds matching alerts while it lasts; the longest wins', () => {
    const r = rec({ kind: 'disk', ruleId: 'disk', subject: { mount: '/data' } });
    expect(holdOf(r, [silence()], [], NOW)).toEqual({ by: 'silence', id: 's1', until: NOW + 60 * MIN });
    expect(holdOf(r, [silence({ until: NOW - 1 })], [], NOW)).toBeNull();
    expect(holdOf(r, [silence({ rule: 'memory' })], [], NOW)).toBeNull();
    const w: MaintenanceWindow = { id: 'm1', start: NOW - MIN, end: NOW + 120 * MIN, by: 'ops' };
    expect(holdOf(r, [silence()], [w], NOW)?.id).toBe('m1');
    expect(holdOf(r, [], [{ ...w, start: NOW + MIN }], NOW)).toBeNull();
    expect(holdOf(r, [], [{ ...w, subject: 'tenant=*' }], NOW)).toBeNull();
  });
});

describe('alerts: rows, states and order', () => {
  const hosts = {
    h1: entry(
      view({
        active: [
          rec({ id: 1, severity: 'warning', firingSince: NOW - 60 * MIN }),
          rec({ id: 2, severity: 'critical', firingSince: NOW - 5 * MIN }),
          rec({ id: 3, phase: 'pending', firingSince: null, pendingSince: NOW - MIN }),
          rec({ id: 4, ack: { by: 'ops', at: NOW - MIN } }),
          rec({ id: 5, kind: 'disk', ruleId: 'disk', subject: { mount: '/data' }, severity: 'warning' }),
        ],
        silences: [silence()],
        history: [episode({ id: 90 }), episode({ id: 91, resolvedAt: NOW - MIN })],
      }),
    ),
    h2: entry(view({ active: [rec({ id: 1, severity: 'critical', firingSince: NOW - 90 * MIN })] })),
    h3: { view: null, error: { code: 'agent.unreachable', message: 'no agent' }, at: NOW },
  };

  it('each live alert is active, acknowledged or silenced; finished ones are resolved', () => {
    const rows = alertRows(hosts, NOW);
    const state = (host: string, id: number): string | undefined =>
      rows.live.find((r) => r.host === host && r.id === id)?.state;
    expect(state('h1', 1)).toBe('active');
    expect(state('h1', 4)).toBe('acknowledged');
    expect(state('h1', 5)).toBe('silenced');
    expect(rows.history.every((r) => r.state === 'resolved')).toBe(true);
    expect(rows.live.find((r) => r.id === 3)?.mark).toBe('pending');
  });

  it('worst first: critical (longest first), then warning, then pending; handled after unhandled', () => {
    const rows = alertRows(hosts, NOW);
    expect(rows.live.map((r) => `${r.host}:${r.id}`)).toEqual([
      'h2:1',
      'h1:2',
      'h1:4',
      'h1:1',
      'h1:5',
      'h1:3',
    ]);
    expect(rows.history.map((r) => r.id)).toEqual([91, 90]);
  });

  it('tabs and their counts', () => {
    const rows = alertRows(hosts, NOW);
    expect(tabCounts(rows)).toEqual({ active: 4, acknowledged: 1, silenced: 1, history: 2 });
    expect(tabRows(rows, 'silenced').map((r) => r.id)).toEqual([5]);
    expect(tabRows(rows, 'history')).toHaveLength(2);
    expect(summaryCounts(rows.live)).toEqual({
      critical: 2,
      warning: 1,
      pending: 1,
      acknowledged: 1,
      silenced: 1,
    });
  });

  it('filters by host, tenant and text (also the kind’s words)', () => {
    const rows = alertRows(hosts, NOW).live;
    expect(filterRows(rows, { host: 'h2', tenant: '', text: '' })).toHaveLength(1);
    expect(filterRows(rows, { host: 'h1', tenant: 'acme', text: '' }).map((r) => r.id)).toEqual([2, 4, 1, 3]);
    expect(filterRows(rows, { host: '', tenant: '', text: 'mount=/DATA' }).map((r) => r.id)).toEqual([5]);
    expect(
      filterRows(rows, { host: '', tenant: '', text: 'full' }, (r) => (r.kind === 'disk' ? 'Disk full' : '')),
    ).toHaveLength(1);
  });

  it('badges count firing alerts of a host or tenant, red only while an unhandled critical fires', () => {
    expect(firingCount(hosts, { host: 'h1' }, NOW)).toEqual({ count: 4, tone: 'error', critical: 2 });
    expect(firingCount(hosts, { host: 'h1', tenant: 'beta' }, NOW).count).toBe(0);
    expect(firingCount(hosts, {}, NOW).count).toBe(5);
    const handled = {
      h: entry(view({ active: [rec({ ack: { by: 'a', at: NOW } }), rec({ id: 2, severity: 'warning' })] })),
    };
    expect(firingCount(handled, {}, NOW).tone).toBe('warning');
    const quiet = { h: entry(view({ active: [rec({ ack: { by: 'a', at: NOW } })] })) };
    expect(firingCount(quiet, {}, NOW).tone).toBe('unknown');
  });

  it('durations: live so far, history from fired to resolved; words in a few units', () => {
    const rows = alertRows(hosts, NOW);
    const u = { d: 'd', h: 'h', min: 'min', s: 's' };
    const h2 = rows.live[0];
    expect(h2 && formatDuration(rowDuration(h2, NOW), u)).toBe('1 h 30 min');
    const old = rows.history.find((r) => r.id === 90);
    expect(old && formatDuration(rowDuration(old, NOW + 10 * MIN), u)).toBe('2 h');
    expect(formatDuration(45_000, u)).toBe('45 s');
    expect(formatDuration(12 * MIN, u)).toBe('12 min');
    expect(formatDuration((3 * 24 + 4) * 60 * MIN, u)).toBe('3 d 4 h');
    expect(formatDuration(-1, u)).toBe('—');
  });
});

describe('alerts: routes', () => {
  it('tab, host and tenant round-trip through the address', () => {
    for (const r of [
      { tab: 'active', host: '', tenant: '' },
      { tab: 'history', host: 'almaty-1', tenant: '' },
      { tab: 'silenced', host: 'h 1', tenant: 'acme' },
    ] as const) {
      expect(alertsRouteFromHash(hashForAlertsRoute(r))).toEqual(r);
    }
    expect(badgeHash('h1', 'acme')).toBe('#/alerts/host/h1/tenant/acme');
    expect(alertsRouteFromHash('#/alerts/bogus')).toEqual({ tab: 'active', host: '', tenant: '' });
    expect(alertsRouteFromHash('#/alerts/tenant/acme')).toEqual({ tab: 'active', host: '', tenant: '' });
    expect(alertsRouteFromHash('#/hosts')).toEqual({ tab: 'active', host: '', tenant: '' });
  });
});

describe('alerts: fixes and lines in words', () => {
  it('every fix code the agent sets has a fix on the screen, in English and Russian', () => {
    const kinds = readFileSync('src/agent/alerts/kinds.ts', 'utf8');
    const used = new Set<string>();
    for (const line of kinds.split('\n'))
      if (/\bfix\b/.test(line)) for (const m of line.matchAll(/'([a-z0-9-]+)'/g)) if (m[1]) used.add(m[1]);
    expect(used.size).toBeGreaterThan(10);
    for (const code of [...used, ...Object.keys(FIXES)]) {
      expect(FIX_CODES, code).toContain(code);
      expect(en.alerts.fix[code as keyof typeof en.alerts.fix], code).toBeTruthy();
      expect(ru.alerts.fix[code as keyof typeof ru.alerts.fix], code).toBeTruthy();
    }
  });

  it('security findings say exactly what to run', () => {
    const fw = fixText({ fix: 'firewall-enable', facts: { allowed: '22,80,443' }, subject: {} }, 'h1');
    expect(fw?.commands).toEqual([
      'ufw default deny incoming && ufw allow 22/tcp && ufw allow 80/tcp && ufw allow 443/tcp && ufw enable',
    ]);
    const ports = fixText({ fix: 'firewall-ports', facts: { extraPorts: '3000,8080' }, subject: {} }, 'h1');
    expect(ports?.commands).toEqual(['ufw delete allow 3000/tcp', 'ufw delete allow 8080/tcp']);
    expect(ports?.values.ports).toBe('3000, 8080');
    expect(fixText({ fix: 'fail2ban-install', facts: {}, subject: {} }, 'h1')?.commands[0]).toMatch(
      /apt-get install -y fail2ban/,
    );
    expect(fixText({ fix: 'ssh-password', facts: {}, subject: {} }, 'h1')?.commands).toEqual([
      'sshd -t && systemctl reload ssh',
    ]);
    expect(fixText({ fix: 'backup-run', facts: {}, subject: { tenant: 'acme' } }, 'h1')?.commands).toEqual([
      'truffles backup list acme',
      'truffles backup create acme',
    ]);
    expect(fixText({ fix: 'backup-schedule', facts: {}, subject: {} }, 'h9')?.commands).toEqual([
      'truffles backup schedule h9 --at 03:00',
    ]);
    expect(fixText({ fix: 'something-new', facts: {}, subject: {} }, 'h1')).toEqual({
      key: 'unknown',
      values: { code: 'something-new' },
      commands: [],
    });
    expect(fixText({ fix: null, facts: {}, subject: {} }, 'h1')).toBeNull();
  });

  it('each kind has a line, and every line and fix has its words and only known variables', () => {
    const f = { num: (n: number) => String(n), date: () => '2026-12-06' };
    const samples: AlertRecord[] = [
      ...ALERT_KINDS.map((kind) => rec({ kind, ruleId: kind, value: 91, facts: {} })),
      rec({ facts: { state: 'running' } }),
      rec({ kind: 'container-exited', facts: { oomKilled: true } }),
      rec({ kind: 'backup-stale', facts: { never: true } }),
      rec({ kind: 'backup-failed', facts: { error: 'disk full' } }),
      rec({ kind: 'drill', facts: { never: true } }),
      rec({ kind: 'drill', facts: { failed: true, error: 'x' } }),
      rec({ kind: 'cert-expiry', value: -1, facts: { notAfter: NOW } }),
      rec({ kind: 'firewall', facts: { active: true, extraPorts: '3000' } }),
      rec({ kind: 'fail2ban', facts: { running: true } }),
    ];
    for (const lang of [en, ru]) {
      for (const r of samples) {
        const w = describeAlert(r, f);
        const text = lang.alerts.what[w.key];
        expect(text, w.key).toBeTruthy();
        for (const v of text.matchAll(/{{(\w+)}}/g))
          expect(w.values, `${w.key}.${v[1]}`).toHaveProperty(v[1] ?? '');
      }
      for (const kind of ALERT_KINDS) expect(lang.alerts.kind[kind]).toBeTruthy();
    }
  });
});

describe('alerts: i18n', () => {
  function shape(o: unknown, path = ''): string[] {
    if (typeof o === 'string') return [path];
    return Object.entries(o as Record<string, unknown>).flatMap(([k, v]) =>
      shape(v, path ? `${path}.${k}` : k),
    );
  }
  const at = (o: unknown, path: string): unknown =>
    path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], o);

  it('Russian has every English key of the alerts, none empty, with the same variables', () => {
    const enKeys = shape(en.alerts).sort();
    expect(shape(ru.alerts).sort()).toEqual(enKeys);
    expect(en.nav.alerts).toBe('Alerts');
    expect(ru.nav.alerts).toBe('Оповещения');
    for (const k of enKeys) {
      const e = at(en.alerts, k) as string;
      const r = at(ru.alerts, k) as string;
      expect(r.trim(), k).not.toBe('');
      const vars = (s: string): string[] => [...s.matchAll(/{{(\w+)}}/g)].map((m) => m[1] ?? '').sort();
      expect(vars(r), k).toEqual(vars(e));
    }
  });
});
