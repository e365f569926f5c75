/**
 * The renderer's logic for alerts, kept apart from React so it is unit tested: which state each
 * alert is in (active, acknowledged, silenced — from its record and the host's silences and
 * maintenance windows — or resolved, in the history), the rows of every host worst first, the
 * tabs and filters, the counts of the badges, durations, and the `#/alerts/…` routes.
 */
import type {
  AlertAck,
  AlertEpisode,
  AlertKind,
  AlertRecord,
  AlertSeverity,
  AlertSubject,
  AlertsView,
  MaintenanceWindow,
  Silence,
} from '../../../../shared/agent/alerts';
import { globMatch, subjectKey } from '../../../../shared/agent/alerts';
import type { ErrorInfo } from '../../../../shared/contract';

/** One host's alerts as last read: its view, or why it could not be read. */
export interface HostAlerts {
  view: AlertsView | null;
  error: ErrorInfo | null;
  /** When it was read (ms). */
  at: number;
}
export type HostAlertsMap = Readonly<Record<string, HostAlerts>>;

/** What a row is now: still on (active, acknowledged, silenced) or over (resolved, in the history). */
export type RowState = 'active' | 'acknowledged' | 'silenced' | 'resolved';
/** The severity as the screen colours it: a pending alert (not fired yet) is grey. */
export type Mark = AlertSeverity | 'pending';
export type Tab = 'active' | 'acknowledged' | 'silenced' | 'history';
export const TABS: readonly Tab[] = ['active', 'acknowledged', 'silenced', 'history'];

/** What keeps an alert's messages back now: a silence or a maintenance window, until when. */
export interface Hold {
  by: 'silence' | 'maintenance';
  id: string;
  until: number;
}

export interface AlertRow {
  host: string;
  /** The episode id (what people acknowledge). */
  id: number;
  key: string;
  ruleId: string;
  kind: AlertKind;
  subject: AlertSubject;
  subjectKey: string;
  severity: AlertSeverity;
  mark: Mark;
  state: RowState;
  /** Since when: firing (or pending) for a live alert, fired for a finished one. */
  since: number;
  /** When it resolved (history rows). */
  resolvedAt: number | null;
  reason: AlertEpisode['reason'] | null;
  ack: AlertAck | null;
  hold: Hold | null;
  /** Whether a message was sent for it (a held or quiet one may not have been). */
  notified: boolean;
  /** The live record (null in the history). */
  record: AlertRecord | null;
  peak: number | null;
}

// ---------- subjects and globs (as the agent has them: src/agent/alerts/observations.ts) ----------

/** `tenant=acme,service=postgres`, `mount=/data`, or `host` for the host itself (the agent's own). */
export const subjectKeyOf = subjectKey;
export { globMatch };

/** The longest silence or maintenance window holding this alert now, or null. */
export function holdOf(
  rec: Pick<AlertRecord, 'ruleId' | 'subjectKey'>,
  silences: readonly Silence[],
  maintenance: readonly MaintenanceWindow[],
  now: number,
): Hold | null {
  let hold: Hold | null = null;
  const take = (h: Hold): void => {
    if (!hold || h.until > hold.until) hold = h;
  };
  for (const s of silences)
    if (s.until > now && globMatch(s.rule, rec.ruleId) && globMatch(s.subject, rec.subjectKey))
      take({ by: 'silence', id: s.id, until: s.until });
  for (const w of maintenance)
    if (
      w.start <= now &&
      w.end > now &&
      globMatch(w.rule ?? '*', rec.ruleId) &&
      globMatch(w.subject ?? '*', rec.subjectKey)
    )
      take({ by: 'maintenance', id: w.id, until: w.end });
  return hold;
}

/** A live alert's state: silenced while something holds it, else acknowledged once someone has, else active. */
export function liveState(ack: AlertAck | null, hold: Hold | null): Exclude<RowState, 'resolved'> {
  if (hold) return 'silenced';
  return ack ? 'acknowledged' : 'active';
}

export function markOf(rec: Pick<AlertRecord, 'phase' | 'severity'>): Mark {
  return rec.phase === 'pending' ? 'pending' : rec.severity;
}

function liveRow(host: string, view: AlertsView, rec: AlertRecord, now: number): AlertRow {
  const hold = holdOf(rec, view.silences, view.maintenance, now);
  return {
    host,
    id: rec.id,
    key: rec.key,
    ruleId: rec.ruleId,
    kind: rec.kind,
    subject: rec.subject,
    subjectKey: rec.subjectKey,
    severity: rec.severity,
    mark: markOf(rec),
    state: liveState(rec.ack, hold),
    since: rec.firingSince ?? rec.pendingSince,
    resolvedAt: null,
    reason: null,
    ack: rec.ack,
    hold,
    notified: rec.notifiedSeverity !== null,
    record: rec,
    peak: rec.peak,
  };
}

function historyRow(host: string, ep: AlertEpisode): AlertRow {
  return {
    host,
    id: ep.id,
    key: ep.key,
    ruleId: ep.ruleId,
    kind: ep.kind,
    subject: ep.subject,
    subjectKey: subjectKeyOf(ep.subject),
    severity: ep.severity,
    mark: ep.severity,
    state: 'resolved',
    since: ep.firedAt,
    resolvedAt: ep.resolvedAt,
    reason: ep.reason,
    ack: ep.ack,
    hold: null,
    notified: ep.notified,
    record: null,
    peak: ep.peak,
  };
}

// ---------- order ----------

const MARK_RANK: Record<Mark, number> = { critical: 0, warning: 1, pending: 2 };
const STATE_RANK: Record<RowState, number> = { active: 0, acknowledged: 1, silenced: 2, resolved: 3 };

/** Worst first: critical, warning, then pending; unhandled before handled; the longest-standing first. */
export function compareWorstFirst(a: AlertRow, b: AlertRow): number {
  return (
    MARK_RANK[a.mark] - MARK_RANK[b.mark] ||
    STATE_RANK[a.state] - STATE_RANK[b.state] ||
    a.since - b.since ||
    a.host.localeCompare(b.host) ||
    a.id - b.id
  );
}

/** The history: the latest resolved first. */
export function compareNewestFirst(a: AlertRow, b: AlertRow): number {
  return (b.resolvedAt ?? 0) - (a.resolvedAt ?? 0) || a.host.localeCompare(b.host) || b.id - a.id;
}

/** Every host's live alerts (worst first) and finished ones (newest first). */
export function alertRows(hosts: HostAlertsMap, now: number): { live: AlertRow[]; history: AlertRow[] } {
  const live: AlertRow[] = [];
  const history: AlertRow[] = [];
  for (const [host, entry] of Object.entries(hosts)) {
    const view = entry.view;
    if (!view) continue;
    for (const rec of view.active) live.push(liveRow(host, view, rec, now));
    for (const ep of view.history) history.push(historyRow(host, ep));
  }
  live.sort(compareWorstFirst);
  history.sort(compareNewestFirst);
  return { live, history };
}

// ---------- tabs, filters, counts ----------

export function tabRows(
  rows: { live: readonly AlertRow[]; history: readonly AlertRow[] },
  tab: Tab,
): AlertRow[] {
  if (tab === 'history') return [...rows.history];
  return rows.live.filter((r) => r.state === tab);
}

export function tabCounts(rows: {
  live: readonly AlertRow[];
  history: readonly AlertRow[];
}): Record<Tab, number> {
  const counts: Record<Tab, number> = {
    active: 0,
    acknowledged: 0,
    silenced: 0,
    history: rows.history.length,
  };
  for (const r of rows.live) if (r.state !== 'resolved') counts[r.state] += 1;
  return counts;
}

export interface AlertFilter {
  host: string;
  /** A tenant's slug (with `host`: that tenant on that host). */
  tenant: string;
  text: string;
}

/** Rows of one host and/or tenant whose host, rule, kind, subject or id contain the text. */
export function filterRows(
  rows: readonly AlertRow[],
  f: AlertFilter,
  words: (r: AlertRow) => string = () => '',
): AlertRow[] {
  const q = f.text.trim().toLowerCase();
  return rows.filter((r) => {
    if (f.host && r.host !== f.host) return false;
    if (f.tenant && r.subject.tenant !== f.tenant) return false;
    if (!q) return true;
    const hay = [r.host, String(r.id), r.ruleId, r.kind, r.subjectKey, words(r)].join(' ').toLowerCase();
    return hay.includes(q);
  });
}

/** The firing alerts of the severities people must see: how many on screen and how loud. */
export interface BadgeCount {
  count: number;
  /** error: an unhandled critical; warning: an unhandled warning; unknown: all handled (acknowledged or silenced). */
  tone: 'error' | 'warning' | 'unknown';
  critical: number;
}

/** Firing alerts (pending ones are not counted) on one host, or one tenant there, or everywhere. */
export function firingCount(
  hosts: HostAlertsMap,
  where: { host?: string; tenant?: string } = {},
  now: number = Date.now(),
): BadgeCount {
  let count = 0;
  let critical = 0;
  let loud: 'error' | 'warning' | 'unknown' = 'unknown';
  for (const [host, entry] of Object.entries(hosts)) {
    if (where.host !== undefined && host !== where.host) continue;
    const view = entry.view;
    if (!view) continue;
    for (const rec of view.active) {
      if (rec.phase !== 'firing') continue;
      if (where.tenant !== undefined && rec.subject.tenant !== where.tenant) continue;
      count += 1;
      if (rec.severity === 'critical') critical += 1;
      const handled = liveState(rec.ack, holdOf(rec, view.silences, view.maintenance, now)) !== 'active';
      if (handled) continue;
      if (rec.severity === 'critical') loud = 'error';
      else if (loud === 'unknown') loud = 'warning';
    }
  }
  return { count, tone: loud, critical };
}

/** Counts by colour for the summary tiles: firing critical and warning, pending, and handled. */
export function summaryCounts(live: readonly AlertRow[]): Record<Mark | 'acknowledged' | 'silenced', number> {
  const c = { critical: 0, warning: 0, pending: 0, acknowledged: 0, silenced: 0 };
  for (const r of live) {
    if (r.state === 'acknowledged') c.acknowledged += 1;
    else if (r.state === 'silenced') c.silenced += 1;
    else c[r.mark] += 1;
  }
  return c;
}

// ---------- durations ----------

export interface DurationUnits {
  d: string;
  h: string;
  min: string;
  s: string;
}

/** "45 s", "12 min", "2 h 5 min", "3 d 4 h" (zero minor parts left out). */
export function formatDuration(ms: number, u: DurationUnits): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const sec = Math.floor(ms / 1000);
  if (sec < 60) return `${sec} ${u.s}`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} ${u.min}`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} ${u.h} ${min % 60} ${u.min}` : `${h} ${u.h}`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} ${u.d} ${h % 24} ${u.h}` : `${d} ${u.d}`;
}

/** How long a row lasted (history) or has lasted so far (live). */
export function rowDuration(r: Pick<AlertRow, 'since' | 'resolvedAt'>, now: number): number {
  return Math.max(0, (r.resolvedAt ?? now) - r.since);
}

// ---------- routes ----------

export interface AlertsRoute {
  tab: Tab;
  host: string;
  tenant: string;
}

export const DEFAULT_ROUTE: AlertsRoute = { tab: 'active', host: '', tenant: '' };

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `#/alerts[/<tab>][/host/<host>[/tenant/<slug>]]`; anything else is the default. */
export function alertsRouteFromHash(hash: string): AlertsRoute {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (parts[0] !== 'alerts') return { ...DEFAULT_ROUTE };
  const route: AlertsRoute = { ...DEFAULT_ROUTE };
  let i = 1;
  const tab = parts[1];
  if (tab && (TABS as readonly string[]).includes(tab)) {
    route.tab = tab as Tab;
    i = 2;
  }
  for (; i + 1 < parts.length; i += 2) {
    const name = parts[i];
    const value = decode(parts[i + 1] ?? '');
    if (name === 'host') route.host = value;
    else if (name === 'tenant') route.tenant = value;
  }
  if (!route.host) route.tenant = '';
  return route;
}

export function hashForAlertsRoute(r: AlertsRoute): string {
  let h = '#/alerts';
  if (r.tab !== 'active') h += `/${r.tab}`;
  if (r.host) h += `/host/${encodeURIComponent(r.host)}`;
  if (r.host && r.tenant) h += `/tenant/${encodeURIComponent(r.tenant)}`;
  return h;
}

/** The address a badge links to: the Alerts screen filtered to a host or a tenant there. */
export function badgeHash(host: string, tenant?: string): string {
  return hashForAlertsRoute({ tab: 'active', host, tenant: tenant ?? '' });
}

// ---------- rows' keys ----------

/** `<host>-<id>`: the part of the row's and its buttons' test ids that names it. */
export function rowTestKey(r: Pick<AlertRow, 'host' | 'id'>): string {
  return `${r.host}-${r.id}`;
}
