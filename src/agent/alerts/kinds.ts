/**
 * The alert kinds: their default rules and their evaluators (an observation in, one finding per
 * subject out). Numeric kinds give a value and the engine applies the thresholds (fire, clear,
 * critical) with their direction; the other kinds say whether their condition holds.
 *
 * Exit codes (container-exited): 0 is a normal end; with a stop asked for (docker stop, compose
 * down, the console), 130 (SIGINT: PostgreSQL's stop signal), 137 (SIGKILL after the stop's
 * grace) and 143 (SIGTERM) are too. Anything else, and any OOM kill, is a crash. A container
 * that ended normally but stays down is the service-down rule's (after its 2 minutes).
 */
import type { AlertKind, AlertRule, AlertSubject, RuleParams, RuleSettings } from '../../shared/agent/alerts';
import type { ContainerObservation, ExitObservation, Observation } from './observations';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export type Direction = 'above' | 'below';

/** Numeric kinds and the way their value goes bad. */
export const NUMERIC: Partial<Record<AlertKind, Direction>> = {
  'restart-loop': 'above',
  disk: 'above',
  memory: 'below',
  load: 'above',
  'backup-stale': 'above',
  'cert-expiry': 'below',
  budget: 'above',
};

const base = (
  kind: AlertKind,
  severity: RuleSettings['severity'],
  forMs: number,
  rest: Partial<RuleSettings> = {},
): AlertRule => ({
  id: kind,
  kind,
  enabled: true,
  severity,
  forMs,
  clearForMs: 0,
  cooldownMs: 0,
  repeatMs: null,
  ...rest,
});

export const DEFAULT_RULES: readonly AlertRule[] = [
  base('service-down', 'critical', 2 * MIN, { clearForMs: 30_000, cooldownMs: 5 * MIN, repeatMs: 4 * HOUR }),
  base('container-exited', 'critical', 0, { cooldownMs: 10 * MIN, params: { stableMs: MIN } }),
  base('restart-loop', 'critical', 0, {
    fire: 3,
    clear: 1,
    cooldownMs: 10 * MIN,
    params: { windowMs: 10 * MIN },
  }),
  base('disk', 'warning', MIN, { fire: 85, clear: 80, critical: 95, clearForMs: MIN, cooldownMs: 30 * MIN }),
  base('memory', 'warning', 2 * MIN, {
    fire: 10,
    clear: 15,
    critical: 5,
    clearForMs: MIN,
    cooldownMs: 15 * MIN,
  }),
  base('load', 'warning', 5 * MIN, { fire: 2, clear: 1.5, clearForMs: 2 * MIN, cooldownMs: 30 * MIN }),
  base('backup-stale', 'critical', 0, { fire: 26, clear: 26 }),
  base('backup-failed', 'critical', 0),
  base('drill', 'warning', 0, { params: { maxAgeMs: 8 * DAY, graceMs: 8 * DAY } }),
  base('offsite-failed', 'warning', 0),
  base('cert-expiry', 'warning', 0, { fire: 14, clear: 14, critical: 3 }),
  base('firewall', 'warning', 0, { params: { allowedPorts: [22, 80, 443] } }),
  base('fail2ban', 'warning', 0),
  base('ssh-password', 'warning', 0),
  // A tenant's monthly AI budget (calendar month, Asia/Almaty): 80 % warns, 100 % is critical.
  // Spend only grows within a month, so each fires once a month and clears when the month turns.
  { ...base('budget', 'warning', 0, { fire: 80, clear: 80 }), id: 'budget-soft' },
  base('budget', 'critical', 0, { fire: 100, clear: 100 }),
];

/** One subject's state under one rule. */
export interface Finding {
  subject: AlertSubject;
  /** Numeric kinds: the value the thresholds apply to (null: none, the condition does not hold). */
  value: number | null;
  /** Does the condition hold: the other kinds always say; a numeric kind when its value cannot (it wins). */
  active?: boolean;
  /** When the condition began, when the observation knows it (an exit, a failed run). */
  since?: number;
  facts: Record<string, string | number | boolean | null>;
  fix: string | null;
}

export type SettingsFor = (subject: AlertSubject) => AlertRule;
type Evaluator = (obs: Observation, now: number, rule: SettingsFor) => Finding[] | null;

const containerSubject = (c: ContainerObservation): AlertSubject =>
  c.tenant ? { tenant: c.tenant, service: c.service } : { service: c.name };

const NORMAL_ON_STOP = new Set([0, 130, 137, 143]);

/** Is this exit a crash (see the header). */
export function abnormalExit(e: ExitObservation): boolean {
  if (e.oomKilled) return true;
  if (e.code === 0) return false;
  return !(e.stopRequested && NORMAL_ON_STOP.has(e.code));
}

const DOWN_STATES = new Set(['created', 'restarting', 'exited', 'dead']);

const param = <K extends keyof RuleParams>(r: AlertRule, k: K, dflt: NonNullable<RuleParams[K]>) =>
  (r.params?.[k] ?? dflt) as NonNullable<RuleParams[K]>;

const pct = (part: number, whole: number): number => (whole > 0 ? (part / whole) * 100 : 0);
const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

export const EVALUATORS: Record<AlertKind, Evaluator> = {
  'service-down': (o) =>
    o.containers?.map((c) => {
      const down = DOWN_STATES.has(c.state) && !c.stopRequested;
      const unhealthy = c.state === 'running' && c.health === 'unhealthy';
      return {
        subject: containerSubject(c),
        value: null,
        active: down || unhealthy,
        facts: { state: c.state, health: c.health, output: c.healthOutput ?? null },
        fix: null,
      };
    }) ?? null,

  'container-exited': (o, now, rule) =>
    o.containers?.map((c) => {
      const e = c.lastExit;
      const stableMs = param(rule(containerSubject(c)), 'stableMs', MIN);
      const runningSince = c.state === 'running' && c.startedAt !== null ? c.startedAt : null;
      const active =
        e !== null &&
        abnormalExit(e) &&
        (runningSince === null || runningSince < e.at || now - runningSince < stableMs);
      return {
        subject: containerSubject(c),
        value: e?.code ?? null,
        active,
        ...(e ? { since: e.at } : {}),
        facts: { code: e?.code ?? null, oomKilled: e?.oomKilled ?? false },
        fix: e?.oomKilled ? 'raise-memory' : null,
      };
    }) ?? null,

  'restart-loop': (o, now, rule) =>
    o.containers?.map((c) => {
      const windowMs = param(rule(containerSubject(c)), 'windowMs', 10 * MIN);
      const n = c.restartTimes.filter((t) => t > now - windowMs && t <= now).length;
      return {
        subject: containerSubject(c),
        value: n,
        facts: { windowMin: round(windowMs / MIN, 0) },
        fix: null,
      };
    }) ?? null,

  disk: (o) =>
    o.disks?.map((d) => ({
      subject: { mount: d.mount },
      value: round(pct(d.usedBytes, d.usedBytes + d.availBytes)),
      facts: { availBytes: d.availBytes, totalBytes: d.totalBytes },
      fix: 'disk',
    })) ?? null,

  memory: (o) =>
    o.host
      ? [
          {
            subject: {},
            value: round(pct(o.host.memAvailableBytes, o.host.memTotalBytes)),
            facts: { availBytes: o.host.memAvailableBytes, totalBytes: o.host.memTotalBytes },
            fix: null,
          },
        ]
      : null,

  load: (o) =>
    o.host
      ? [
          {
            subject: {},
            value: round(o.host.load1 / Math.max(1, o.host.cores), 2),
            facts: { load1: o.host.load1, cores: o.host.cores },
            fix: null,
          },
        ]
      : null,

  'backup-stale': (o, now) =>
    o.backups?.map((b): Finding => {
      const subject = { tenant: b.tenant };
      if (b.lastSuccessAt !== null)
        return {
          subject,
          value: round((now - b.lastSuccessAt) / HOUR),
          facts: { lastSuccessAt: b.lastSuccessAt, never: false },
          fix: 'backup-run',
        };
      // Never backed up: counted from the tenant's creation; unknown creation counts as old.
      if (b.createdAt === null)
        return { subject, value: null, active: true, facts: { never: true }, fix: 'backup-schedule' };
      return {
        subject,
        value: round((now - b.createdAt) / HOUR),
        facts: { never: true },
        fix: 'backup-schedule',
      };
    }) ?? null,

  'backup-failed': (o) =>
    o.backups?.map((b) => ({
      subject: { tenant: b.tenant },
      value: null,
      active: b.lastRun !== null && !b.lastRun.ok,
      ...(b.lastRun ? { since: b.lastRun.at } : {}),
      facts: { error: b.lastRun?.error ?? null },
      fix: 'backup-run',
    })) ?? null,

  drill: (o, now, rule) =>
    o.backups?.map((b) => {
      const subject = { tenant: b.tenant };
      const r = rule(subject);
      const maxAge = param(r, 'maxAgeMs', 8 * DAY);
      const grace = param(r, 'graceMs', 8 * DAY);
      const d = b.drill;
      const scheduled = b.drillsScheduled !== false;
      const facts = {
        scheduled,
        failed: d !== null && !d.ok,
        lastAt: d?.at ?? null,
        error: d?.error ?? null,
      };
      const fix = scheduled ? 'drill-run' : 'drill-schedule';
      if (d === null) {
        const young = b.createdAt !== null && now - b.createdAt < grace;
        return { subject, value: null, active: !young, facts: { ...facts, never: true }, fix };
      }
      return {
        subject,
        value: null,
        active: !d.ok || now - d.at > maxAge,
        facts: { ...facts, never: false },
        fix,
      };
    }) ?? null,

  'offsite-failed': (o) =>
    o.backups?.map((b) => ({
      subject: { tenant: b.tenant },
      value: null,
      active: b.offsite !== null && !b.offsite.ok,
      ...(b.offsite ? { since: b.offsite.at } : {}),
      facts: { error: b.offsite?.error ?? null },
      fix: 'offsite',
    })) ?? null,

  'cert-expiry': (o, now) =>
    o.certs?.map((c) => ({
      subject: c.tenant ? { tenant: c.tenant, cert: c.name } : { cert: c.name },
      value: round((c.notAfter - now) / DAY),
      facts: { notAfter: c.notAfter },
      fix: 'cert',
    })) ?? null,

  firewall: (o, _now, rule) => {
    const fw = o.security?.firewall;
    if (!fw) return fw === null ? [] : null;
    const allowed = new Set(param(rule({}), 'allowedPorts', [22, 80, 443]));
    const extra: Array<number | 'all'> = fw.openAll
      ? ['all']
      : [...new Set(fw.openPorts)].filter((p) => !allowed.has(p)).sort((a, b) => a - b);
    return [
      {
        subject: {},
        value: null,
        active: !fw.active || extra.length > 0,
        facts: {
          active: fw.active,
          tool: fw.tool,
          extraPorts: extra.join(','),
          allowed: [...allowed].join(','),
        },
        fix: !fw.active ? 'firewall-enable' : fw.openAll ? 'firewall-default' : 'firewall-ports',
      },
    ];
  },

  fail2ban: (o) => {
    const f = o.security?.fail2ban;
    if (!f) return f === null ? [] : null;
    return [
      {
        subject: {},
        value: null,
        active: !f.running || !f.sshJail,
        facts: { running: f.running, sshJail: f.sshJail, tool: f.tool },
        fix: f.running ? 'fail2ban-jail' : 'fail2ban-install',
      },
    ];
  },

  'ssh-password': (o) => {
    const s = o.security?.sshd;
    if (!s) return s === null ? [] : null;
    return [{ subject: {}, value: null, active: s.passwordAuthentication, facts: {}, fix: 'ssh-password' }];
  },

  budget: (o) =>
    o.budgets?.map((b) => ({
      subject: { tenant: b.tenant },
      value: b.budget > 0 ? round(pct(b.spent, b.budget)) : null,
      ...(b.budget > 0 ? {} : { active: b.spent > 0 }),
      facts: { spent: b.spent, budget: b.budget, currency: b.currency ?? null, period: b.period ?? null },
      fix: 'budget',
    })) ?? null,
};

/** The rules in force: the defaults, with the config's rules added or replacing them by id. */
export function baseRules(extra: readonly AlertRule[] = []): AlertRule[] {
  const byId = new Map<string, AlertRule>(DEFAULT_RULES.map((r) => [r.id, r]));
  for (const r of extra) byId.set(r.id, r);
  return [...byId.values()];
}
