/**
 * The health views' state: every host as its agent last showed it (read once with `health.fleet`
 * or `health.host`, then kept live by `health.changed` events — nothing polls), each host's agent
 * status, the history series the charts show and the live samples appended to them. The live
 * feed runs while a view holds it (`follow()`): the page subscribes to `health.changed` by name,
 * which makes the core follow the hosts' agents, and ends that subscription when the last view
 * lets go. Actions never throw: errors go to the console's error in the scope the view names.
 */
import { create } from 'zustand';
import type { AgentStatus, AppEvent, ErrorInfo } from '../../../../shared/contract';
import type { ContainerHealth } from '../../../../shared/agent/protocol';
import { call, getApi, isConnectedApi, toErrorInfo } from '../../api';
import type { ErrorScope } from '../../app/store';
import { useConsole } from '../../app/store';
import { busySetter } from '../../kit/busy';
import { busyRunner, eventSubscription } from '../../kit/listStore';
import {
  appendLive,
  applyFleet,
  applyHealthEvent,
  containerSample,
  emptyEntry,
  entryFromSnapshot,
  historyPoints,
  hostSample,
} from './health';
import type { ChartPoint, HostEntries } from './health';

export type Range = '1h' | '24h';

/** A history as read: its points, or why it could not be read. */
export interface HistoryEntry {
  points: ChartPoint[];
  error: string | null;
  at: number;
}

export interface HealthState {
  entries: HostEntries;
  /** Whether the fleet was read once. */
  loaded: boolean;
  agents: Record<string, AgentStatus>;
  /** Why a host's agent status could not be read (null once it is). */
  agentErrors: Record<string, ErrorInfo | null>;
  /** By `historyKey(host, range, container)`. */
  history: Record<string, HistoryEntry>;
  /** Live samples by host (`host`) or container name (`host/name`). */
  live: Record<string, ChartPoint[]>;
  /** 'fleet', 'host:<h>', 'agent:<h>', 'install:<h>', 'update:<h>', 'history:<key>'. */
  busy: Record<string, boolean>;

  /** Keep the live feed while the returned function is not called. */
  follow(): () => void;
  loadFleet(scope?: ErrorScope): Promise<void>;
  loadHost(host: string, scope?: ErrorScope): Promise<void>;
  loadAgent(host: string): Promise<void>;
  /** Install (or update) the host's agent; then read the host at once (the feed follows it too). */
  installAgent(host: string, update: boolean, scope?: ErrorScope): Promise<boolean>;
  loadHistory(host: string, range: Range, container?: string): Promise<void>;
}

export function historyKey(host: string, range: Range, container?: string): string {
  return `${host}|${range}|${container ?? ''}`;
}

export function liveKey(host: string, container?: string): string {
  return container ? `${host}/${container}` : host;
}

const events = eventSubscription();
let followers = 0;
/** The named subscription's id (or the promise of it while it is asked for). */
let subscription: Promise<string | null> | null = null;
let connectionOff: (() => void) | null = null;

function subscribeByName(): void {
  subscription = call('events.subscribe', { topics: ['health.changed'] })
    .then((r) => r.id)
    .catch(() => null);
}

function unsubscribeByName(): void {
  const s = subscription;
  subscription = null;
  void s?.then((id) => (id ? call('events.unsubscribe', { id }).catch(() => undefined) : undefined));
}

export const useHealth = create<HealthState>()((set, get) => {
  const setBusy = busySetter(set);
  const act = busyRunner(() => get().busy, setBusy);

  function liveSamples(host: string, containers: readonly ContainerHealth[] | undefined): void {
    if (!containers) return;
    const live = { ...get().live };
    let changed = false;
    for (const c of containers) {
      const p = containerSample(c);
      if (!p) continue;
      const key = liveKey(host, c.name);
      const next = appendLive(live[key] ?? [], p);
      if (next !== live[key]) {
        live[key] = next;
        changed = true;
      }
    }
    if (changed) set({ live });
  }

  function onEvent(e: AppEvent): void {
    if (e.type === 'events.dropped') {
      if (followers > 0) void get().loadFleet();
      return;
    }
    if (e.type !== 'health.changed') return;
    set((s) => ({ entries: applyHealthEvent(s.entries, e) }));
    if (e.hostHealth) {
      const key = liveKey(e.host);
      const live = get().live;
      set({ live: { ...live, [key]: appendLive(live[key] ?? [], hostSample(e.hostHealth, Date.now())) } });
    }
    liveSamples(e.host, e.containers);
  }

  const fail = (scope: ErrorScope | undefined) => (err: unknown) => {
    if (scope) useConsole.getState().showError(scope, err);
  };

  return {
    entries: {},
    loaded: false,
    agents: {},
    agentErrors: {},
    history: {},
    live: {},
    busy: {},

    follow() {
      events.ensure(onEvent);
      followers += 1;
      if (followers === 1) {
        subscribeByName();
        // In browser mode the subscription ends with the socket: ask again on a new one, and
        // read the fleet again (what changed meanwhile was not sent).
        const api = getApi();
        if (isConnectedApi(api)) {
          let dropped = false;
          connectionOff = api.onConnection((state) => {
            if (state === 'closed') dropped = true;
            if (state === 'open' && dropped && followers > 0) {
              dropped = false;
              subscribeByName();
              void get().loadFleet();
            }
          });
        }
      }
      let done = false;
      return () => {
        if (done) return;
        done = true;
        followers -= 1;
        if (followers === 0) {
          connectionOff?.();
          connectionOff = null;
          unsubscribeByName();
        }
      };
    },

    loadFleet(scope) {
      events.ensure(onEvent);
      const startedAt = Date.now();
      return act('fleet', undefined, {
        run: async () => {
          const fleet = await call('health.fleet', {});
          set((s) => ({ entries: applyFleet(s.entries, fleet, startedAt), loaded: true }));
        },
        fail: fail(scope),
      });
    },

    loadHost(host, scope) {
      events.ensure(onEvent);
      const startedAt = Date.now();
      return act(`host:${host}`, undefined, {
        run: async () => {
          try {
            const snap = await call('health.host', { host });
            set((s) => {
              const current = s.entries[host];
              if (current && current.eventAt > startedAt && !current.error) return {};
              return { entries: { ...s.entries, [host]: entryFromSnapshot(host, snap, current?.eventAt) } };
            });
          } catch (err) {
            const info = toErrorInfo(err);
            set((s) => ({
              entries: {
                ...s.entries,
                [host]: { ...(s.entries[host] ?? emptyEntry(host)), error: info },
              },
            }));
          }
        },
        fail: fail(scope),
      });
    },

    loadAgent(host) {
      return act(`agent:${host}`, undefined, {
        run: async () => {
          const status = await call('agent.status', { host });
          set((s) => ({
            agents: { ...s.agents, [host]: status },
            agentErrors: { ...s.agentErrors, [host]: null },
          }));
        },
        fail: (err) => set((s) => ({ agentErrors: { ...s.agentErrors, [host]: toErrorInfo(err) } })),
      });
    },

    installAgent(host, update, scope) {
      return act(`${update ? 'update' : 'install'}:${host}`, false, {
        clearsError: true,
        run: async () => {
          const status = await call(update ? 'agent.update' : 'agent.install', { host });
          set((s) => ({
            agents: { ...s.agents, [host]: status },
            agentErrors: { ...s.agentErrors, [host]: null },
          }));
          void get().loadHost(host);
          return true;
        },
        fail: (err) => {
          fail(scope ?? 'global')(err);
          return false;
        },
      });
    },

    loadHistory(host, range, container) {
      const key = historyKey(host, range, container);
      return act(`history:${key}`, undefined, {
        run: async () => {
          const series = await call('health.history', {
            host,
            range,
            ...(container ? { container } : {}),
          });
          set((s) => ({
            history: { ...s.history, [key]: { points: historyPoints(series), error: null, at: Date.now() } },
          }));
        },
        fail: (err) =>
          set((s) => ({
            history: {
              ...s.history,
              [key]: {
                points: s.history[key]?.points ?? [],
                error: err instanceof Error ? err.message : String(err),
                at: Date.now(),
              },
            },
          })),
      });
    },
  };
});

/** For tests: drop the subscriptions so a fresh API can be wired. */
export function resetHealthSubscriptions(): void {
  events.reset();
  followers = 0;
  subscription = null;
  connectionOff?.();
  connectionOff = null;
}
