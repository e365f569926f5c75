/**
 * The renderer's logic for health, kept apart from React so it is unit tested: what the store
 * holds per host (the last snapshot, kept up to date by `health.changed` events), how a container,
 * a tenant and a host are judged (green, grey, amber, red), the fleet's rows worst first, the label
 * filter, disk levels, and the chart points (history read once, then the live samples the feed
 * brings appended).
 */
import type { AppEvent, ErrorInfo, FleetHealth, HostView } from '../../../../shared/contract';
import type {
  ContainerHealth,
  HistorySeries,
  HostHealth,
  HostSnapshot,
} from '../../../../shared/agent/protocol';

// ---------- what the store holds ----------

export type AgentSelf = HostSnapshot['agent'];

/** One host as the console last saw it through its agent. */
export interface HostEntry {
  host: string;
  agent: AgentSelf | null;
  hostHealth: HostHealth | null;
  /** Every container of ours on the host, by id. */
  containers: Record<string, ContainerHealth>;
  eventsConnected: boolean | null;
  /** Why the host's agent cannot be read now (null while it can). */
  error: ErrorInfo | null;
  /** Whether anything was ever read of it (a snapshot or an event). */
  seen: boolean;
  /** When (ms) the last event for it arrived: a fleet read begun before that is older. */
  eventAt: number;
}

export type HostEntries = Readonly<Record<string, HostEntry>>;

export function emptyEntry(host: string): HostEntry {
  return {
    host,
    agent: null,
    hostHealth: null,
    containers: {},
    eventsConnected: null,
    error: null,
    seen: false,
    eventAt: 0,
  };
}

function byId(containers: readonly ContainerHealth[]): Record<string, ContainerHealth> {
  return Object.fromEntries(containers.map((c) => [c.id, c]));
}

/** A snapshot (from `health.host` or `health.fleet`) as the host's entry. */
export function entryFromSnapshot(host: string, snap: HostSnapshot, eventAt = 0): HostEntry {
  return {
    host,
    agent: snap.agent,
    hostHealth: snap.host,
    containers: byId(snap.containers),
    eventsConnected: snap.agent.eventsConnected,
    error: null,
    seen: true,
    eventAt,
  };
}

/**
 * The fleet read, over what the store holds: a host whose event arrived after the read began
 * (`startedAt`, ms) keeps what the event said (it is newer); hosts no longer configured go.
 */
export function applyFleet(entries: HostEntries, fleet: FleetHealth, startedAt: number): HostEntries {
  const out: Record<string, HostEntry> = {};
  for (const row of fleet.hosts) {
    const current = entries[row.host];
    if (current && current.eventAt > startedAt) {
      // The events say nothing of the agent itself: take that from the read.
      const snap = row.snapshot;
      out[row.host] =
        snap && !current.error
          ? { ...current, agent: current.agent ?? snap.agent, hostHealth: current.hostHealth ?? snap.host }
          : current;
    } else if (row.snapshot) {
      out[row.host] = entryFromSnapshot(row.host, row.snapshot, current?.eventAt ?? 0);
    } else {
      out[row.host] = {
        ...(current ?? emptyEntry(row.host)),
        error: row.error ?? { code: 'health.unknown', message: 'No answer.' },
      };
    }
  }
  return out;
}

type HealthChanged = Extract<AppEvent, { type: 'health.changed' }>;

/**
 * One `health.changed` event applied to the host's entry. The picture the core sends when a
 * host's stream opens (containers with the events stream's state) replaces the host's
 * containers; later ones change or remove single records. An error says why the host cannot be
 * followed now (what was last seen stays, shown as stale); anything else clears it.
 */
export function applyHealthEvent(entries: HostEntries, e: HealthChanged, now = Date.now()): HostEntries {
  const current = entries[e.host] ?? emptyEntry(e.host);
  const next: HostEntry = { ...current, eventAt: now };
  if (e.error) {
    next.error = e.error;
    return { ...entries, [e.host]: next };
  }
  next.error = null;
  next.seen = true;
  if (e.containers) {
    const full = e.eventsConnected !== undefined;
    next.containers = full ? byId(e.containers) : { ...current.containers, ...byId(e.containers) };
  }
  if (e.removed && e.removed.length > 0) {
    const containers = { ...next.containers };
    for (const id of e.removed) delete containers[id];
    next.containers = containers;
  }
  if (e.hostHealth) next.hostHealth = e.hostHealth;
  if (e.eventsConnected !== undefined) {
    next.eventsConnected = e.eventsConnected;
    if (next.agent) next.agent = { ...next.agent, eventsConnected: e.eventsConnected };
  }
  return { ...entries, [e.host]: next };
}

// ---------- judging ----------

/** The colours: green, grey (on its way or not known), amber, red. */
export type Tone = 'ok' | 'unknown' | 'warning' | 'error';

/**
 * What a container is shown as: `healthy` (running and passing its check, or running with no
 * check), `starting`, `unhealthy`, `down` (exited, dead, restarting), `paused`, `unknown`.
 */
export type Condition = 'healthy' | 'starting' | 'unhealthy' | 'down' | 'paused' | 'unknown';

const SEVERITY: Record<Condition, number> = {
  down: 0,
  unhealthy: 1,
  paused: 2,
  starting: 3,
  unknown: 4,
  healthy: 5,
};

export function conditionTone(c: Condition): Tone {
  if (c === 'down') return 'error';
  if (c === 'unhealthy' || c === 'paused') return 'warning';
  if (c === 'healthy') return 'ok';
  return 'unknown';
}

export function containerCondition(c: Pick<ContainerHealth, 'state' | 'health'>): Condition {
  switch (c.state) {
    case 'exited':
    case 'dead':
    case 'restarting':
      return 'down';
    case 'paused':
      return 'paused';
    case 'created':
    case 'removing':
      return 'starting';
    default:
      break;
  }
  if (c.health === 'unhealthy') return 'unhealthy';
  if (c.health === 'starting') return 'starting';
  return 'healthy';
}

/** The worse of two conditions. */
export function worse(a: Condition, b: Condition): Condition {
  return SEVERITY[a] <= SEVERITY[b] ? a : b;
}

export function severity(c: Condition): number {
  return SEVERITY[c];
}

/** Disk fill: amber from 85 %, red from 95 %. */
export function diskTone(pct: number): Tone {
  if (pct >= 95) return 'error';
  if (pct >= 85) return 'warning';
  return 'ok';
}

export function percentOf(used: number, total: number): number {
  if (!Number.isFinite(used) || !Number.isFinite(total) || total <= 0) return 0;
  return Math.max(0, Math.min(100, (used / total) * 100));
}

// ---------- the fleet ----------

export interface TenantRow {
  host: string;
  slug: string;
  condition: Condition;
  running: number;
  total: number;
  cpuPercent: number;
  memBytes: number;
  containers: ContainerHealth[];
}

/** How a host's agent is: read, not installed, of another protocol, not reachable, not read yet. */
export type HostAgentState = 'ok' | 'no-agent' | 'incompatible' | 'unreachable' | 'loading';

export interface HostRow {
  host: string;
  labels: Readonly<Record<string, string>>;
  agentState: HostAgentState;
  error: ErrorInfo | null;
  agent: AgentSelf | null;
  cpuPercent: number | null;
  memUsedBytes: number | null;
  memTotalBytes: number | null;
  worstDiskPercent: number | null;
  eventsConnected: boolean | null;
  /** The host's worst: its tenants' worst, or `down` when it cannot be read. */
  condition: Condition;
  tenants: TenantRow[];
}

export function agentStateOf(entry: HostEntry | undefined): HostAgentState {
  if (!entry) return 'loading';
  if (entry.error) {
    if (entry.error.code === 'agent.unreachable') return 'no-agent';
    if (entry.error.code === 'agent.protocol' || entry.error.code === 'agent.protocol-version')
      return 'incompatible';
    return 'unreachable';
  }
  return entry.seen ? 'ok' : 'loading';
}

/** The tenants of a host's containers (those labelled with a tenant), worst first then by slug. */
export function tenantRows(entry: HostEntry): TenantRow[] {
  const bySlug = new Map<string, ContainerHealth[]>();
  for (const c of Object.values(entry.containers)) {
    if (!c.tenant) continue;
    const list = bySlug.get(c.tenant) ?? [];
    list.push(c);
    bySlug.set(c.tenant, list);
  }
  const rows: TenantRow[] = [];
  for (const [slug, list] of bySlug) {
    list.sort((a, b) => a.service.localeCompare(b.service));
    let condition: Condition = 'healthy';
    let cpu = 0;
    let mem = 0;
    let running = 0;
    for (const c of list) {
      condition = worse(condition, containerCondition(c));
      if (c.state === 'running') running += 1;
      if (c.state === 'running' && c.stats) {
        cpu += c.stats.cpuPercent;
        mem += c.stats.memBytes;
      }
    }
    rows.push({
      host: entry.host,
      slug,
      condition,
      running,
      total: list.length,
      cpuPercent: cpu,
      memBytes: mem,
      containers: list,
    });
  }
  return rows.sort((a, b) => SEVERITY[a.condition] - SEVERITY[b.condition] || a.slug.localeCompare(b.slug));
}

export function hostRow(host: Pick<HostView, 'name' | 'labels'>, entry: HostEntry | undefined): HostRow {
  const agentState = agentStateOf(entry);
  const hh = entry?.hostHealth ?? null;
  // A host that cannot be read now: its tenants as last seen, in grey (not known now).
  const tenants = (entry ? tenantRows(entry) : []).map((t) =>
    agentState === 'ok' ? t : { ...t, condition: 'unknown' as const },
  );
  const disks = hh?.disks ?? [];
  const worstDisk = disks.length ? Math.max(...disks.map((d) => percentOf(d.usedBytes, d.totalBytes))) : null;
  let condition: Condition = agentState === 'ok' ? 'healthy' : agentState === 'loading' ? 'unknown' : 'down';
  for (const t of tenants) condition = worse(condition, t.condition);
  return {
    host: host.name,
    labels: host.labels,
    agentState,
    error: entry?.error ?? null,
    agent: entry?.agent ?? null,
    cpuPercent: hh?.cpuPercent ?? null,
    memUsedBytes: hh ? Math.max(0, hh.memTotalBytes - hh.memAvailableBytes) : null,
    memTotalBytes: hh?.memTotalBytes ?? null,
    worstDiskPercent: worstDisk,
    eventsConnected: entry?.eventsConnected ?? null,
    condition,
    tenants,
  };
}

/** Every configured host's row, worst first (then by name). */
export function fleetRows(
  hosts: readonly Pick<HostView, 'name' | 'labels'>[],
  entries: HostEntries,
): HostRow[] {
  return hosts
    .map((h) => hostRow(h, entries[h.name]))
    .sort((a, b) => SEVERITY[a.condition] - SEVERITY[b.condition] || a.host.localeCompare(b.host));
}

export interface FleetCounts {
  healthy: number;
  starting: number;
  unhealthy: number;
  down: number;
  /** Hosts whose agent cannot be read (not installed, another protocol, unreachable). */
  unreachable: number;
}

/** Tenants by their worst service, and the hosts that cannot be read. */
export function fleetCounts(rows: readonly HostRow[]): FleetCounts {
  const out: FleetCounts = { healthy: 0, starting: 0, unhealthy: 0, down: 0, unreachable: 0 };
  for (const r of rows) {
    if (r.agentState !== 'ok' && r.agentState !== 'loading') {
      out.unreachable += 1;
      continue;
    }
    for (const t of r.tenants) {
      if (t.condition === 'down') out.down += 1;
      else if (t.condition === 'unhealthy' || t.condition === 'paused') out.unhealthy += 1;
      else if (t.condition === 'healthy') out.healthy += 1;
      else out.starting += 1;
    }
  }
  return out;
}

/** `key=value` of every host's labels, sorted and once each. */
export function labelChoices(hosts: readonly Pick<HostView, 'labels'>[]): string[] {
  const set = new Set<string>();
  for (const h of hosts) for (const [k, v] of Object.entries(h.labels)) set.add(`${k}=${v}`);
  return [...set].sort();
}

export interface FleetFilter {
  /** `key=value`, or '' for every host. */
  label: string;
  /** Words a host's name or a tenant's slug must contain. */
  text: string;
}

/**
 * The rows the filter lets through: hosts carrying the label; with words, the hosts whose name
 * has them (all their tenants) or only the tenants whose slug has them.
 */
export function filterFleet(rows: readonly HostRow[], f: FleetFilter): HostRow[] {
  const [key, ...rest] = f.label.split('=');
  const value = rest.join('=');
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  const has = (s: string): boolean => words.every((w) => s.toLowerCase().includes(w));
  const out: HostRow[] = [];
  for (const r of rows) {
    if (f.label && (key === undefined || r.labels[key] !== value)) continue;
    if (words.length === 0 || has(r.host)) {
      out.push(r);
      continue;
    }
    const tenants = r.tenants.filter((t) => has(t.slug));
    if (tenants.length > 0) out.push({ ...r, tenants });
  }
  return out;
}

/** The list's rows in the order shown: each host, then its tenants. */
export type FleetLine = { kind: 'host'; row: HostRow } | { kind: 'tenant'; row: TenantRow };

export function fleetLines(rows: readonly HostRow[]): FleetLine[] {
  const out: FleetLine[] = [];
  for (const r of rows) {
    out.push({ kind: 'host', row: r });
    for (const t of r.tenants) out.push({ kind: 'tenant', row: t });
  }
  return out;
}

// ---------- charts ----------

/** One point of a chart: `t` in ms, then the series' values (null where no sample). */
export type ChartPoint = { t: number } & Record<string, number | null>;

/** A history series as chart points (`t` from seconds to ms). */
export function historyPoints(series: HistorySeries): ChartPoint[] {
  return series.points.map((p) => {
    const point: ChartPoint = { t: p[0] * 1000 };
    series.fields.forEach((f, i) => {
      const v = p[i + 1];
      point[f] = typeof v === 'number' ? v : null;
    });
    return point;
  });
}

/** How far back a range goes, in ms. */
export function rangeMs(range: '1h' | '24h'): number {
  return range === '1h' ? 3_600_000 : 86_400_000;
}

/**
 * The history read once, then the live samples that came after its last point, inside the range
 * that ends at `now`.
 */
export function mergePoints(
  history: readonly ChartPoint[],
  live: readonly ChartPoint[],
  range: '1h' | '24h',
  now = Date.now(),
): ChartPoint[] {
  const last = history.length > 0 ? (history[history.length - 1]?.t ?? 0) : 0;
  const from = now - rangeMs(range);
  return [...history, ...live.filter((p) => p.t > last)].filter((p) => p.t >= from);
}

/** Keep at most `max` live samples (a host sends one every 10 s: an hour is 360). */
export const LIVE_MAX = 360;

export function appendLive(list: readonly ChartPoint[], point: ChartPoint, max = LIVE_MAX): ChartPoint[] {
  const last = list[list.length - 1];
  if (last && last.t >= point.t) return list as ChartPoint[];
  const next = [...list, point];
  return next.length > max ? next.slice(next.length - max) : next;
}

/** A host's live sample as a chart point (the host series' fields). */
export function hostSample(h: HostHealth, t: number): ChartPoint {
  return {
    t,
    cpuPercent: h.cpuPercent,
    memUsedBytes: Math.max(0, h.memTotalBytes - h.memAvailableBytes),
    load1: h.load[0],
  };
}

/** A container's stats as a chart point (the container series' fields), or null without stats. */
export function containerSample(c: ContainerHealth): ChartPoint | null {
  if (!c.stats) return null;
  const t = Date.parse(c.stats.at);
  if (Number.isNaN(t)) return null;
  return { t, cpuPercent: c.stats.cpuPercent, memBytes: c.stats.memBytes };
}
