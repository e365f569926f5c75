/**
 * The agent's alert rule engine: pure. `evaluate` takes the config, the state, one observation
 * and the time, and gives the next state, the messages to send and what changed; nothing here
 * reads a clock, a file or the network.
 *
 * Per rule and subject (an alert, keyed `<rule>@<subject>`):
 *   nothing → pending      when the fire condition holds (numeric: the value reaches `fire`);
 *   pending → nothing      when it stops holding before `forMs`;
 *   pending → firing       once it has held `forMs` and the cooldown after its last resolve is
 *                          over (a cooldown defers a fire, it does not drop it);
 *   firing  → resolved     once the clear condition (numeric: back past `clear`, the hysteresis)
 *                          has held `clearForMs`, or its subject is gone, or its rule is disabled.
 * A firing numeric alert escalates to critical when the value reaches `critical` (one alert, one
 * `escalate` message; never back down within an episode). Escalation clears an acknowledgement.
 *
 * Messages: one `fire`, at most one `escalate`, `repeat`s every `repeatMs` while unacknowledged,
 * one `resolve` — and the resolve only when the fire was sent. A silence, a maintenance window or
 * quiet hours (warnings) hold fires, escalations and repeats; the fire is sent when the hold ends
 * if the alert still fires. Resolves are never held (nobody is left with an alert that looks open).
 */
import type {
  AlertEpisode,
  AlertNotice,
  AlertRecord,
  AlertRule,
  AlertSeverity,
  AlertState,
  AlertSubject,
  AlertsConfig,
  MaintenanceWindow,
  Silence,
} from '../../shared/agent/alerts';
import { ALERT_HISTORY_LIMIT } from '../../shared/agent/alerts';
import { baseRules, EVALUATORS, NUMERIC } from './kinds';
import type { Finding } from './kinds';
import { subjectKey } from './observations';
import type { Observation } from './observations';
import { holdOf } from './suppress';

export { DEFAULT_RULES } from './kinds';

/** How long a resolve is remembered for cooldowns (at least every rule's cooldown). */
const RESOLVED_MEMORY_MS = 7 * 24 * 3600_000;

export interface AlertChange {
  type: 'pending' | 'dropped' | 'fire' | 'escalate' | 'clearing' | 'resolve';
  at: number;
  key: string;
  id: number;
  severity: AlertSeverity;
  value: number | null;
  reason?: AlertEpisode['reason'];
}

export interface EvaluateResult {
  state: AlertState;
  notices: AlertNotice[];
  changes: AlertChange[];
}

export function emptyState(): AlertState {
  return { version: 1, seq: 0, records: {}, resolvedAt: {}, silences: [], maintenance: [], history: [] };
}

export function alertKey(ruleId: string, subject: AlertSubject): string {
  return `${ruleId}@${subjectKey(subject)}`;
}

const RANK: Record<AlertSeverity, number> = { warning: 0, critical: 1 };

/** A rule's settings for a subject: its overrides for this host, then this tenant, then both, in order. */
export function settingsFor(config: AlertsConfig, rule: AlertRule, subject: AlertSubject): AlertRule {
  const weight = (o: { host?: string; tenant?: string }): number => (o.host ? 1 : 0) + (o.tenant ? 2 : 0);
  const matching = (config.overrides ?? [])
    .filter(
      (o) =>
        o.rule === rule.id &&
        (o.host === undefined || o.host === config.host) &&
        (o.tenant === undefined || o.tenant === subject.tenant),
    )
    .map((o, i) => ({ o, i }))
    .sort((a, b) => weight(a.o) - weight(b.o) || a.i - b.i);
  const r: AlertRule = { ...rule, params: { ...rule.params } };
  for (const { o } of matching) {
    const { params, ...set } = o.set;
    Object.assign(r, set);
    if (params) r.params = { ...r.params, ...params };
  }
  for (const k of ['forMs', 'clearForMs', 'cooldownMs'] as const) r[k] = Math.max(0, Number(r[k]) || 0);
  if (r.repeatMs !== null && !(r.repeatMs > 0)) r.repeatMs = null;
  const dir = NUMERIC[r.kind];
  if (dir && r.fire !== undefined && r.clear !== undefined) {
    // hysteresis: the clear threshold is never on the bad side of the fire one
    r.clear = dir === 'above' ? Math.min(r.clear, r.fire) : Math.max(r.clear, r.fire);
  }
  return r;
}

interface Judged {
  fires: boolean;
  holds: boolean;
  severity: AlertSeverity;
}

/** The fire condition, the stay condition (hysteresis) and the severity of a finding under a rule. */
export function judge(r: AlertRule, f: Finding): Judged {
  const dir = NUMERIC[r.kind];
  if (!dir || f.active !== undefined) {
    const on = f.active ?? false;
    return { fires: on, holds: on, severity: escalates(r, f.value, dir) ? 'critical' : r.severity };
  }
  const v = f.value;
  if (v === null || !Number.isFinite(v)) return { fires: false, holds: false, severity: r.severity };
  const past = (t: number | undefined, inclusive: boolean): boolean =>
    t !== undefined && (dir === 'above' ? (inclusive ? v >= t : v > t) : inclusive ? v <= t : v < t);
  const fires = past(r.fire, true);
  // it stays while the value has not gone back past `clear`
  const clear = r.clear ?? r.fire;
  const holds = clear === undefined ? false : dir === 'above' ? v >= clear : v <= clear;
  return { fires, holds: holds || fires, severity: escalates(r, v, dir) ? 'critical' : r.severity };
}

function escalates(r: AlertRule, v: number | null, dir: 'above' | 'below' | undefined): boolean {
  if (!dir || r.critical === undefined || v === null || !Number.isFinite(v)) return false;
  return dir === 'above' ? v >= r.critical : v <= r.critical;
}

class Run {
  readonly notices: AlertNotice[] = [];
  readonly changes: AlertChange[] = [];
  constructor(
    readonly config: AlertsConfig,
    readonly state: AlertState,
    readonly now: number,
  ) {}

  change(type: AlertChange['type'], rec: AlertRecord, reason?: AlertEpisode['reason']): void {
    this.changes.push({
      type,
      at: this.now,
      key: rec.key,
      id: rec.id,
      severity: rec.severity,
      value: rec.value,
      ...(reason ? { reason } : {}),
    });
  }

  notice(type: AlertNotice['type'], rec: AlertRecord, extra: Partial<AlertNotice> = {}): void {
    const suffix = type === 'repeat' ? `repeat-${rec.repeats}` : type;
    this.notices.push({
      id: `${this.config.host}/${rec.id}/${suffix}`,
      type,
      at: this.now,
      host: this.config.host,
      silent: type === 'resolve' || rec.severity === 'warning',
      alert: structuredClone(rec),
      ...extra,
    });
  }

  step(rule: AlertRule, r: AlertRule, f: Finding, key: string): void {
    const { now, state } = this;
    const j = judge(r, f);
    let rec = state.records[key];
    if (!rec) {
      if (!j.fires) return;
      rec = {
        id: ++state.seq,
        key,
        ruleId: rule.id,
        kind: rule.kind,
        subject: f.subject,
        subjectKey: subjectKey(f.subject),
        phase: 'pending',
        severity: j.severity,
        pendingSince: Math.min(now, f.since ?? now),
        firingSince: null,
        clearingSince: null,
        value: f.value,
        peak: f.value,
        facts: f.facts,
        fix: f.fix,
        notifiedSeverity: null,
        lastNotifiedAt: null,
        repeats: 0,
        ack: null,
      };
      state.records[key] = rec;
      this.change('pending', rec);
    }
    if (rec.phase === 'pending') {
      if (!j.fires) {
        delete state.records[key];
        this.change('dropped', rec);
        return;
      }
      this.observe(rec, f, r);
      rec.severity = j.severity;
      const lastResolved = state.resolvedAt[key];
      const due = Math.max(
        rec.pendingSince + r.forMs,
        lastResolved === undefined ? -Infinity : lastResolved + r.cooldownMs,
      );
      if (now >= due) {
        rec.phase = 'firing';
        rec.firingSince = now;
        this.change('fire', rec);
      }
      return;
    }
    this.observe(rec, f, r);
    if (j.holds) {
      if (rec.clearingSince !== null) rec.clearingSince = null;
      if (RANK[j.severity] > RANK[rec.severity]) {
        rec.severity = j.severity;
        rec.ack = null;
        this.change('escalate', rec);
      }
      return;
    }
    if (rec.clearingSince === null) {
      rec.clearingSince = now;
      if (r.clearForMs > 0) this.change('clearing', rec);
    }
    if (now - rec.clearingSince >= r.clearForMs) this.end(rec, 'cleared');
  }

  private observe(rec: AlertRecord, f: Finding, r: AlertRule): void {
    rec.value = f.value;
    rec.facts = f.facts;
    rec.fix = f.fix;
    const dir = NUMERIC[r.kind];
    if (f.value !== null && Number.isFinite(f.value) && dir) {
      const worse = rec.peak === null || (dir === 'above' ? f.value > rec.peak : f.value < rec.peak);
      if (worse) rec.peak = f.value;
    }
  }

  end(rec: AlertRecord, reason: AlertEpisode['reason']): void {
    const { state, now } = this;
    delete state.records[rec.key];
    if (rec.phase === 'pending') {
      this.change('dropped', rec, reason);
      return;
    }
    state.resolvedAt[rec.key] = now;
    state.history.push({
      id: rec.id,
      key: rec.key,
      ruleId: rec.ruleId,
      kind: rec.kind,
      subject: rec.subject,
      severity: rec.severity,
      firedAt: rec.firingSince ?? rec.pendingSince,
      resolvedAt: now,
      reason,
      peak: rec.peak,
      notified: rec.notifiedSeverity !== null,
      ack: rec.ack,
    });
    if (state.history.length > ALERT_HISTORY_LIMIT)
      state.history.splice(0, state.history.length - ALERT_HISTORY_LIMIT);
    this.change('resolve', rec, reason);
    if (rec.notifiedSeverity !== null) this.notice('resolve', rec, { resolvedAt: now, reason });
  }

  /** Send what is due for a firing record, unless something holds it. */
  deliver(rec: AlertRecord, r: AlertRule | null): void {
    if (rec.phase !== 'firing') return;
    if (holdOf(rec, this.state, this.config, this.now)) return;
    const { now } = this;
    let type: AlertNotice['type'];
    if (rec.notifiedSeverity === null) type = 'fire';
    else if (RANK[rec.severity] > RANK[rec.notifiedSeverity]) type = 'escalate';
    else if (
      r?.repeatMs &&
      !rec.ack &&
      rec.lastNotifiedAt !== null &&
      now - rec.lastNotifiedAt >= r.repeatMs
    ) {
      type = 'repeat';
      rec.repeats++;
    } else return;
    rec.notifiedSeverity = rec.severity;
    rec.lastNotifiedAt = now;
    this.notice(type, rec);
  }
}

/** One evaluation: the next state (the given one is not changed), messages to send, and what changed. */
export function evaluate(
  config: AlertsConfig,
  state: AlertState,
  obs: Observation,
  now: number,
): EvaluateResult {
  const run = new Run(config, structuredClone(state), now);
  const next = run.state;
  next.silences = next.silences.filter((s) => s.until > now);
  next.maintenance = next.maintenance.filter((w) => w.end > now);

  const rules = baseRules(config.rules);
  const ruleIds = new Set(rules.map((r) => r.id));
  for (const rule of rules) {
    const findings = EVALUATORS[rule.kind](obs, now, (s) => settingsFor(config, rule, s));
    if (findings === null) continue; // not observed this time: left as it is
    const seen = new Set<string>();
    for (const f of findings) {
      const key = alertKey(rule.id, f.subject);
      if (seen.has(key)) continue;
      seen.add(key);
      const r = settingsFor(config, rule, f.subject);
      const rec = next.records[key];
      if (!r.enabled) {
        if (rec) run.end(rec, 'disabled');
        continue;
      }
      run.step(rule, r, f, key);
    }
    for (const rec of Object.values(next.records))
      if (rec.ruleId === rule.id && !seen.has(rec.key)) run.end(rec, 'gone');
  }
  for (const rec of Object.values(next.records)) if (!ruleIds.has(rec.ruleId)) run.end(rec, 'disabled');

  const byId = new Map(rules.map((r) => [r.id, r]));
  for (const rec of Object.values(next.records)) {
    const rule = byId.get(rec.ruleId);
    run.deliver(rec, rule ? settingsFor(config, rule, rec.subject) : null);
  }
  for (const [key, at] of Object.entries(next.resolvedAt))
    if (now - at > RESOLVED_MEMORY_MS) delete next.resolvedAt[key];
  return { state: next, notices: run.notices, changes: run.changes };
}

/**
 * When the engine next has something to do with no new observation (a pending alert's `forMs`,
 * a clear's `clearForMs`, a cooldown, a repeat, a hold ending); null: nothing. Conditions that
 * age by themselves (a backup growing stale, a certificate nearing its end, a restart leaving the
 * window) are seen by the agent's regular evaluations, not here.
 */
export function nextDueAt(config: AlertsConfig, state: AlertState, now: number): number | null {
  const rules = new Map(baseRules(config.rules).map((r) => [r.id, r]));
  let due = Infinity;
  const at = (t: number): void => {
    if (t < due) due = Math.max(t, now);
  };
  for (const rec of Object.values(state.records)) {
    const rule = rules.get(rec.ruleId);
    if (!rule) continue;
    const r = settingsFor(config, rule, rec.subject);
    if (rec.phase === 'pending') {
      const resolved = state.resolvedAt[rec.key];
      at(Math.max(rec.pendingSince + r.forMs, resolved === undefined ? -Infinity : resolved + r.cooldownMs));
      continue;
    }
    if (rec.clearingSince !== null) at(rec.clearingSince + r.clearForMs);
    const hold = holdOf(rec, state, config, now);
    const owed = rec.notifiedSeverity === null || RANK[rec.severity] > RANK[rec.notifiedSeverity];
    if (hold && (owed || r.repeatMs)) at(hold.until);
    else if (!hold && owed) at(now);
    else if (r.repeatMs && !rec.ack && rec.lastNotifiedAt !== null) at(rec.lastNotifiedAt + r.repeatMs);
  }
  return Number.isFinite(due) ? due : null;
}

/** The firing record with this episode id or key, or null. */
export function findAlert(state: AlertState, ref: number | string): AlertRecord | null {
  for (const rec of Object.values(state.records)) if (rec.id === ref || rec.key === ref) return rec;
  return null;
}

/** Acknowledge a firing alert: no more repeats (an escalation clears it). Null when there is no such firing alert. */
export function acknowledge(
  state: AlertState,
  ref: number | string,
  by: string,
  now: number,
  note?: string,
): { state: AlertState; alert: AlertRecord } | null {
  const next = structuredClone(state);
  const rec = findAlert(next, ref);
  if (!rec || rec.phase !== 'firing') return null;
  rec.ack = { by, at: now, ...(note ? { note } : {}) };
  return { state: next, alert: rec };
}

export function addSilence(
  state: AlertState,
  s: Omit<Silence, 'id'>,
): { state: AlertState; silence: Silence } {
  const next = structuredClone(state);
  const silence: Silence = { id: `silence-${++next.seq}`, ...s };
  next.silences.push(silence);
  return { state: next, silence };
}

export function addMaintenance(
  state: AlertState,
  w: Omit<MaintenanceWindow, 'id'>,
): { state: AlertState; window: MaintenanceWindow } {
  const next = structuredClone(state);
  const window: MaintenanceWindow = { id: `maintenance-${++next.seq}`, ...w };
  next.maintenance.push(window);
  return { state: next, window };
}

/** Remove a silence or maintenance window by id; null when there is none. */
export function removeHold(state: AlertState, id: string): AlertState | null {
  const next = structuredClone(state);
  const before = next.silences.length + next.maintenance.length;
  next.silences = next.silences.filter((s) => s.id !== id);
  next.maintenance = next.maintenance.filter((w) => w.id !== id);
  return next.silences.length + next.maintenance.length === before ? null : next;
}
