/**
 * The host agent's request protocol (truffles-agent), shared by the agent (src/agent) and the
 * console's client (src/main/core/health). Plain types and constants: no dependency, so the
 * agent's bundle stays small.
 *
 * Transport: a Unix socket on the host (`<stateDir>/health/run/agent.sock`, mode 0660, group of
 * the Docker socket), reached by the console over the host's one SSH connection
 * (direct-streamlocal). No network port. Frames are JSON objects, one per line (UTF-8, `\n`),
 * each at most {@link MAX_FRAME_BYTES}.
 *
 *   agent → console, first:  { hello: Hello }
 *   console → agent:         { id, method, params? }         (id: a positive integer, unique per socket)
 *   agent → console:         { id, result }                   (a single answer)
 *                            { id, error: { code, message } } (a refusal or failure)
 *                            { id, event }                    (a stream's item; streams end with…)
 *                            { id, end: true }                (…this, or an error)
 *   console → agent:         { id, cancel: true }             (ends that stream; closing the socket ends all)
 *
 * A console refuses an agent whose `protocol` is not one it speaks (and says which to install);
 * the agent refuses a method it does not know with `unknown-method`.
 */
import type { AlertNotice, AlertsMethods } from './alerts';
import type { CostMethods } from './cost';

/** The protocol this code speaks. A change that an older peer would misread bumps it. */
export const AGENT_PROTOCOL = 1;
/** The agent's release; reported in `hello` and by `truffles agent status`. */
export const AGENT_VERSION = '1.0.0';
export const MAX_FRAME_BYTES = 1024 * 1024;

/** The label every container of ours carries (tenant services); the edge and the agent carry their own. */
export const TENANT_LABEL = 'org.truffles.tenant';
export const SERVICE_LABEL = 'com.docker.compose.service';
export const AGENT_LABEL = 'org.truffles.agent';
/** How long the fine history goes back, at what step; likewise the coarse one. */
export const FINE_STEP_S = 10;
export const FINE_POINTS = 360; // 1 h
export const COARSE_STEP_S = 60;
export const COARSE_POINTS = 1440; // 24 h

export interface Hello {
  /** The program: the host agent, or the knowledge-base worker (src/kbworker), which speaks the same frames. */
  agent: 'truffles-agent' | 'truffles-kb';
  version: string;
  protocol: number;
  startedAt: string;
  /** Methods this agent answers. */
  methods: string[];
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type HealthState = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ContainerStats {
  at: string;
  /** Percent of one core (200 = two cores busy). */
  cpuPercent: number;
  memBytes: number;
  memLimitBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  blkReadBytes: number;
  blkWriteBytes: number;
}

export interface ContainerHealth {
  id: string;
  name: string;
  /** The tenant's slug (org.truffles.tenant), or null for the edge and the agent. */
  tenant: string | null;
  /** The compose service (postgres, n8n …), or the container's name. */
  service: string;
  image: string;
  state: ContainerState;
  health: HealthState;
  /** The last health check's output (trimmed, at most 2 KB), when it has one. */
  healthOutput: string | null;
  failingStreak: number;
  exitCode: number | null;
  oomKilled: boolean;
  restarts: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** When the agent last saw this container change (a Docker event or a full list). */
  changedAt: string;
  stats: ContainerStats | null;
}

export interface DiskUsage {
  mount: string;
  totalBytes: number;
  usedBytes: number;
  availBytes: number;
}

export interface HostHealth {
  cores: number;
  /** Percent of the whole host (100 = every core busy); null before the second sample. */
  cpuPercent: number | null;
  memTotalBytes: number;
  memAvailableBytes: number;
  load: [number, number, number];
  uptimeSeconds: number;
  disks: DiskUsage[];
}

export interface AgentSelf {
  version: string;
  protocol: number;
  startedAt: string;
  rssBytes: number;
  /**
   * Its own memory: resident minus file-backed pages (RssAnon). The Node binary's pages, shared
   * with the page cache, are most of the rest of `rssBytes`.
   */
  anonBytes?: number;
  /** CPU time the agent used since it started. */
  cpuSeconds: number;
  /** Is Docker's events stream connected (false: a gap, the snapshot may be behind). */
  eventsConnected: boolean;
  lastEventAt: string | null;
  /** The last full list (on start and after every gap). */
  reconciledAt: string | null;
  lastSweepAt: string | null;
  lastSweepMs: number | null;
  /**
   * How the last sweep read the containers' counters: the kernel's cgroup files (v1 or v2; costs
   * Docker nothing), Docker's one-shot stats API, or both. Absent before the first sweep.
   */
  statsSource?: 'cgroup-v1' | 'cgroup-v2' | 'docker-api' | 'mixed';
}

export interface HostSnapshot {
  takenAt: string;
  agent: AgentSelf;
  host: HostHealth | null;
  containers: ContainerHealth[];
}

export type HistoryRange = '1h' | '24h';
/** One series' points: `t` seconds since the epoch, then one value per `fields`; null where no sample. */
export interface HistorySeries {
  step: number;
  fields: string[];
  points: Array<[number, ...(number | null)[]]>;
}

/** A series: the host's (cpu %, memory used, load 1) or a container's, by name (it survives a recreate). */
export type HistoryParams = { range: HistoryRange } & (
  { scope: 'host' } | { scope: 'container'; name: string }
);

/** Method → params and result (the alert methods: src/shared/agent/alerts.ts). */
export interface AgentMethods extends AlertsMethods, CostMethods {
  ping: { params: Record<string, never>; result: { pong: true; at: string } };
  snapshot: { params: Record<string, never>; result: HostSnapshot };
  history: { params: HistoryParams; result: HistorySeries };
}

/** Streams: method → params and the items they send. */
export interface AgentStreams {
  /** Every change of a container's state or health, batched (at most every 100 ms), then the sweeps' stats. */
  watch: { params: Record<string, never>; event: WatchEvent };
  /**
   * Lines of containers of ours, followed from Docker's log API: each target's lines in order,
   * in batches. `since` (RFC 3339, nanoseconds allowed) per target: where a resumed follow goes
   * on from. Ends by itself when not following, at the end of the lines.
   */
  logs: { params: LogsParams; event: LogsBatch };
}

export interface LogsParams {
  targets: Array<{ id: string; service: string; since?: string }>;
  /** Lines to start with, per container, when no `since` (at most 5000). */
  tail: number;
  follow: boolean;
  until?: string;
}

/** [RFC 3339 nanosecond timestamp, 0 stdout / 1 stderr, text] */
export type LogsWireLine = [string, 0 | 1, string];
export interface LogsBatch {
  service: string;
  lines: LogsWireLine[];
}

export type WatchEvent =
  | { kind: 'containers'; containers: ContainerHealth[] }
  | { kind: 'removed'; ids: string[] }
  | { kind: 'host'; host: HostHealth }
  | { kind: 'gap'; eventsConnected: boolean }
  /** The alert rules fired, escalated, repeated or resolved something (and how many are active now). */
  | { kind: 'alerts'; notices: AlertNotice[]; active: number };

export type AgentErrorCode =
  | 'bad-request'
  | 'unknown-method'
  | 'not-found'
  | 'busy'
  | 'internal'
  /** Something the agent asks on the host (a tenant's admin API) did not answer. */
  | 'unavailable'
  /** The change does not apply to the thing as it is (a reply to a closed conversation). */
  | 'conflict'
  /** The support door: a method that changes things, or one it does not serve, or no identity. */
  | 'forbidden';

export type ClientFrame = { id: number; method: string; params?: unknown } | { id: number; cancel: true };

export type AgentFrame =
  | { hello: Hello }
  | { id: number; result: unknown }
  | { id: number; error: { code: AgentErrorCode; message: string } }
  | { id: number; event: unknown }
  | { id: number; end: true };

/**
 * Splits a stream into its lines (`\n`), for both ends of this protocol and for Docker's events.
 * Bytes are decoded as UTF-8 across chunks, so a character cut between two chunks stays whole.
 * `pending` is what waits for its newline: a caller refuses or drops it past its own limit.
 */
export class LineSplitter {
  private rest = '';
  private readonly decoder = new TextDecoder();

  push(chunk: Uint8Array | string): string[] {
    this.rest += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const lines = this.rest.split('\n');
    this.rest = lines.pop() ?? '';
    return lines;
  }

  get pending(): number {
    return this.rest.length;
  }

  clear(): void {
    this.rest = '';
  }
}
