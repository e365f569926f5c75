/**
 * The agent's picture of the containers of ours on its host, kept from Docker's events stream:
 * one full list on start and after every gap in the stream, then one inspect per event of a
 * container (never a poll). Listeners hear every change, batched by the caller.
 */
import type { ContainerHealth, ContainerState, HealthState } from '../shared/agent/protocol';
import { AGENT_LABEL, SERVICE_LABEL, TENANT_LABEL } from '../shared/agent/protocol';
import { DockerError } from './docker';
import type { DockerApi } from './docker';

/** The fields of `GET /containers/{id}/json` the agent reads (never Config.Env: it holds secrets). */
export interface InspectJson {
  Id: string;
  Name: string;
  RestartCount?: number;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  State?: {
    Status?: string;
    /** The container's first process on the host (0 when it is not running): its cgroup and network are read through it. */
    Pid?: number;
    ExitCode?: number;
    StartedAt?: string;
    FinishedAt?: string;
    OOMKilled?: boolean;
    Health?: {
      Status?: string;
      FailingStreak?: number;
      Log?: Array<{ Output?: string; ExitCode?: number }> | null;
    };
  };
}

const STATES: readonly ContainerState[] = [
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
];
const HEALTHS: readonly HealthState[] = ['healthy', 'unhealthy', 'starting'];
const NEVER = '0001-01-01T00:00:00Z';
export const HEALTH_OUTPUT_LIMIT = 2048;

/** Is a container ours: a tenant's service, the edge or the agent (labels org.truffles.*). */
export function isOurs(labels: Record<string, string> | null | undefined): boolean {
  return Object.keys(labels ?? {}).some((k) => k.startsWith('org.truffles.'));
}

/** A container's health record from its inspect answer; null when it is not one of ours. */
export function containerFromInspect(j: InspectJson, at: Date): ContainerHealth | null {
  const labels = j.Config?.Labels ?? {};
  if (!isOurs(labels)) return null;
  const state = j.State ?? {};
  const name = j.Name.replace(/^\//, '');
  const status = (STATES as readonly string[]).includes(state.Status ?? '')
    ? (state.Status as ContainerState)
    : 'dead';
  const h = state.Health;
  const health = (HEALTHS as readonly string[]).includes(h?.Status ?? '')
    ? (h?.Status as HealthState)
    : 'none';
  const last = h?.Log?.at(-1);
  const output = last?.Output?.trim() ?? '';
  const time = (t: string | undefined): string | null => (t && t !== NEVER ? t : null);
  return {
    id: j.Id,
    name,
    tenant: labels[TENANT_LABEL] ?? null,
    service: labels[SERVICE_LABEL] ?? (labels[AGENT_LABEL] !== undefined ? 'agent' : name),
    image: j.Config?.Image ?? '',
    state: status,
    health,
    healthOutput: health === 'none' || !output ? null : output.slice(-HEALTH_OUTPUT_LIMIT),
    failingStreak: h?.FailingStreak ?? 0,
    exitCode: status === 'running' || status === 'created' ? null : (state.ExitCode ?? null),
    oomKilled: state.OOMKilled ?? false,
    restarts: j.RestartCount ?? 0,
    startedAt: time(state.StartedAt),
    finishedAt: time(state.FinishedAt),
    changedAt: at.toISOString(),
    stats: null,
  };
}

/** What a changed record tells a listener. */
export type TableChange = { kind: 'upsert'; container: ContainerHealth } | { kind: 'remove'; id: string };

/** A Docker event, as the events stream writes it (the fields the agent reads). */
interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  /** Nanoseconds since the epoch. */
  timeNano?: number;
}

/** A container event as the alert rules need it: what happened, to which container (by name), when. */
export interface ContainerEventNote {
  action: string;
  id: string;
  name: string | null;
  /** ms since the epoch. */
  at: number;
  attributes: Record<string, string>;
}

export class ContainerTable {
  private readonly byId = new Map<string, ContainerHealth>();
  /** Each running container's first process on the host (not part of the record: the console has no use for it). */
  private readonly pids = new Map<string, number>();
  private readonly listeners = new Set<(change: TableChange) => void>();
  private readonly eventListeners = new Set<(e: ContainerEventNote) => void>();
  /** Inspects in flight, and whether another event came meanwhile (then one more inspect). */
  private readonly inflight = new Map<string, boolean>();
  /**
   * Containers Docker destroyed (ids are never reused), the latest few thousand: an inspect that
   * was in flight when the destroy came answers `removing`, and must not bring the row back.
   */
  private readonly destroyed = new Set<string>();
  eventsConnected = false;
  lastEventAt: string | null = null;
  reconciledAt: string | null = null;

  constructor(
    private readonly docker: DockerApi,
    private readonly now: () => Date = () => new Date(),
  ) {}

  onChange(listener: (change: TableChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every container event of ours as it comes (die with its exit code, kill, stop …), before the inspect. */
  onEvent(listener: (e: ContainerEventNote) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  list(): ContainerHealth[] {
    return [...this.byId.values()].sort(
      (a, b) => (a.tenant ?? '').localeCompare(b.tenant ?? '') || a.service.localeCompare(b.service),
    );
  }

  running(): ContainerHealth[] {
    return this.list().filter((c) => c.state === 'running');
  }

  /** The running container's first process on the host; null when unknown or not running. */
  pidOf(id: string): number | null {
    const pid = this.pids.get(id);
    return pid && pid > 0 ? pid : null;
  }

  /** Keep a sweep's stats on the record (no change event: stats go out with the sweep). */
  setStats(id: string, stats: ContainerHealth['stats']): void {
    const c = this.byId.get(id);
    if (c) c.stats = stats;
  }

  /** Every container of ours, read afresh (after a gap, something may have changed unseen). */
  async reconcile(signal?: AbortSignal): Promise<void> {
    const all = await this.docker.json<Array<{ Id: string; Labels?: Record<string, string> }>>(
      '/containers/json?all=1',
      { signal },
    );
    const ours = all.filter((c) => isOurs(c.Labels));
    const seen = new Set(ours.map((c) => c.Id));
    for (const id of [...this.byId.keys()]) if (!seen.has(id)) this.remove(id);
    // A handful at a time: a host of 200 containers reconciles in well under a second.
    for (let i = 0; i < ours.length; i += 8) {
      await Promise.all(ours.slice(i, i + 8).map((c) => this.refresh(c.Id)));
    }
    this.reconciledAt = this.now().toISOString();
  }

  /** One line of Docker's events stream. */
  onEventLine(line: string): void {
    let ev: DockerEvent;
    try {
      ev = JSON.parse(line) as DockerEvent;
    } catch {
      return;
    }
    const action = ev.Action ?? ev.status ?? '';
    const id = ev.Actor?.ID ?? ev.id;
    if ((ev.Type && ev.Type !== 'container') || !id || action.startsWith('exec_')) return;
    this.lastEventAt = this.now().toISOString();
    const attributes = ev.Actor?.Attributes ?? {};
    if (this.eventListeners.size && isOurs(attributes)) {
      const note: ContainerEventNote = {
        action,
        id,
        name: attributes['name'] ?? null,
        at: ev.timeNano ? Math.floor(ev.timeNano / 1e6) : this.now().getTime(),
        attributes,
      };
      for (const l of this.eventListeners) l(note);
    }
    if (action === 'destroy') {
      this.destroyed.add(id);
      if (this.destroyed.size > 5000) this.destroyed.delete(this.destroyed.values().next().value as string);
      this.remove(id);
    } else void this.refresh(id);
  }

  /** Inspect one container now (coalescing events that arrive while an inspect runs). */
  async refresh(id: string): Promise<void> {
    if (this.inflight.has(id)) {
      this.inflight.set(id, true);
      return;
    }
    this.inflight.set(id, false);
    try {
      do {
        this.inflight.set(id, false);
        await this.inspectOnce(id);
      } while (this.inflight.get(id));
    } finally {
      this.inflight.delete(id);
    }
  }

  private async inspectOnce(id: string): Promise<void> {
    let j: InspectJson;
    try {
      j = await this.docker.json<InspectJson>(`/containers/${encodeURIComponent(id)}/json`, {
        timeoutMs: 5_000,
      });
    } catch (err) {
      if (err instanceof DockerError && err.status === 404) this.remove(id);
      return;
    }
    // Destroyed while this inspect was on its way: the destroy is the last word.
    if (this.destroyed.has(id) || this.destroyed.has(j.Id)) return;
    const next = containerFromInspect(j, this.now());
    if (!next) return;
    if (j.State?.Pid && j.State.Pid > 0) this.pids.set(j.Id, j.State.Pid);
    else this.pids.delete(j.Id);
    const prev = this.byId.get(j.Id);
    if (prev && sameState(prev, next)) return;
    next.stats = prev?.stats ?? null;
    this.byId.set(j.Id, next);
    this.emit({ kind: 'upsert', container: next });
  }

  private remove(id: string): void {
    const full = this.byId.has(id) ? id : [...this.byId.keys()].find((k) => k.startsWith(id));
    if (!full || !this.byId.delete(full)) return;
    this.pids.delete(full);
    this.emit({ kind: 'remove', id: full });
  }

  private emit(change: TableChange): void {
    for (const l of this.listeners) l(change);
  }
}

function sameState(a: ContainerHealth, b: ContainerHealth): boolean {
  return (
    a.state === b.state &&
    a.health === b.health &&
    a.healthOutput === b.healthOutput &&
    a.failingStreak === b.failingStreak &&
    a.exitCode === b.exitCode &&
    a.restarts === b.restarts &&
    a.startedAt === b.startedAt &&
    a.finishedAt === b.finishedAt &&
    a.image === b.image &&
    a.name === b.name
  );
}
