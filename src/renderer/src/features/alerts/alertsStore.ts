/**
 * The alerts' state: every host's alerts as its agent last showed them (read with `alerts.list`
 * for all hosts, then per host again on each `alerts.changed` about it), the hosts this console
 * cannot reach (from the same events), the Alerts screen's route and filter, and whether desktop
 * notifications may be shown. The page follows `alerts.changed` by name while the console runs
 * (`follow()`, held by the sidebar's badge): the events drive the badges and the desktop
 * notifications; nothing polls (the screen adds a slow refresh while it is visible). Actions never
 * throw: a dialog's action answers with its error, the others show it in the screen's scope.
 */
import { create } from 'zustand';
import type { AlertRecord, AlertsView, MaintenanceWindow, Silence } from '../../../../shared/agent/alerts';
import type { AppEvent, ErrorInfo } from '../../../../shared/contract';
import { call, getApi, isConnectedApi, toErrorInfo } from '../../api';
import { useConsole } from '../../app/store';
import { busySetter } from '../../kit/busy';
import { coalesced } from '../../kit/coalesce';
import type { Coalesced } from '../../kit/coalesce';
import { busyRunner, eventSubscription, routeChanges, showInAddress } from '../../kit/listStore';
import { DEFAULT_ROUTE, hashForAlertsRoute } from './alerts';
import type { AlertsRoute, HostAlerts } from './alerts';
import type { ConfigureInput, MaintenanceInput, SilenceInput } from './forms';
import { RecentIds, notesFor, notifyMode, requestNotifyPermission, showNotes } from './notify';
import type { NotifyMode } from './notify';

/** The console lost this host at `since` (ISO), for `minutes` so far. */
export interface Unreachable {
  since: string;
  minutes: number;
  error: ErrorInfo;
}

/** What a dialog's action answers: the value, or the error to show in the dialog. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export interface AlertsState {
  hosts: Record<string, HostAlerts>;
  /** Whether every host was read once. */
  loaded: boolean;
  /** Why the last read of every host failed (null once one succeeds). */
  listError: ErrorInfo | null;
  unreachable: Record<string, Unreachable>;
  route: AlertsRoute;
  text: string;
  notify: NotifyMode;
  /** 'list', 'host:<h>', 'ack:<h>:<id>', 'silence:<h>', 'maintenance:<h>', 'unhold:<h>:<id>', 'configure:<h>', 'test:<h>'. */
  busy: Record<string, boolean>;
  /** The last thing a host's panel did (a test queued, settings saved), for its status line. */
  done: Record<string, { what: 'test' | 'saved'; count: number; at: number }>;

  /** Keep the `alerts.changed` feed while the returned function is not called. */
  follow(): () => void;
  load(opts?: { quiet?: boolean }): Promise<void>;
  loadHost(host: string): Promise<void>;
  setRoute(route: AlertsRoute): void;
  /** Shows the route and puts it in the address. */
  open(route: AlertsRoute): void;
  setText(text: string): void;
  ack(host: string, id: number, note: string): Promise<Outcome<AlertRecord> | null>;
  silence(input: SilenceInput): Promise<Outcome<Silence> | null>;
  maintenance(input: MaintenanceInput): Promise<Outcome<MaintenanceWindow> | null>;
  unhold(host: string, id: string): Promise<void>;
  configure(input: ConfigureInput): Promise<Outcome<AlertsView> | null>;
  test(host: string): Promise<void>;
  /** Asks the browser for notifications (from a click only). */
  askNotify(): Promise<void>;
}

const events = eventSubscription();
const listLoad = coalesced();
const hostLoads = new Map<string, Coalesced>();
const seen = new RecentIds();
let followers = 0;
let subscription: Promise<string | null> | null = null;
let connectionOff: (() => void) | null = null;

function subscribeByName(): void {
  subscription = call('events.subscribe', { topics: ['alerts.changed'] })
    .then((r) => r.id)
    .catch(() => null);
}

function unsubscribeByName(): void {
  const s = subscription;
  subscription = null;
  void s?.then((id) => (id ? call('events.unsubscribe', { id }).catch(() => undefined) : undefined));
}

function hostLoad(host: string): Coalesced {
  let c = hostLoads.get(host);
  if (!c) {
    c = coalesced();
    hostLoads.set(host, c);
  }
  return c;
}

export const useAlerts = create<AlertsState>()((set, get) => {
  const setBusy = busySetter(set);
  const act = busyRunner(() => get().busy, setBusy);

  function putHost(host: string, entry: HostAlerts): void {
    set((s) => ({ hosts: { ...s.hosts, [host]: entry } }));
  }

  /** Changes a host's view in place (an answer arrived before the host is read again). */
  function patchView(host: string, fn: (v: AlertsView) => AlertsView): void {
    const entry = get().hosts[host];
    if (entry?.view) putHost(host, { ...entry, view: fn(entry.view) });
  }

  function onEvent(e: AppEvent): void {
    if (e.type === 'events.dropped') {
      void get().load({ quiet: true });
      return;
    }
    if (e.type === 'hosts.changed') {
      if (get().loaded) void get().load({ quiet: true });
      return;
    }
    if (e.type !== 'alerts.changed') return;
    if (e.unreachable !== undefined) {
      const u = e.unreachable;
      set((s) => {
        const next = { ...s.unreachable };
        if (u) next[e.host] = u;
        else delete next[e.host];
        return { unreachable: next };
      });
    }
    if (get().notify === 'granted') showNotes(notesFor(e, seen));
    else notesFor(e, seen); // remembered, so a later permission does not replay them
    if (e.notices?.length || e.active !== undefined) void get().loadHost(e.host);
  }

  /** A dialog's action: its value or its error; null when it runs already (the click is ignored). */
  function attempt<T>(key: string, run: () => Promise<T>): Promise<Outcome<T> | null> {
    return act<Outcome<T> | null>(key, null, {
      run: async () => ({ ok: true, value: await run() }),
      fail: (err) => ({ ok: false, error: toErrorInfo(err) }),
    });
  }

  return {
    hosts: {},
    loaded: false,
    listError: null,
    unreachable: {},
    route: { ...DEFAULT_ROUTE },
    text: '',
    notify: 'electron',
    busy: {},
    done: {},

    follow() {
      events.ensure(onEvent);
      set({ notify: notifyMode() });
      followers += 1;
      if (followers === 1) {
        subscribeByName();
        const api = getApi();
        if (isConnectedApi(api)) {
          // The subscription ends with the socket: ask again on a new one, and read again.
          let dropped = false;
          connectionOff = api.onConnection((state) => {
            if (state === 'closed') dropped = true;
            if (state === 'open' && dropped && followers > 0) {
              dropped = false;
              subscribeByName();
              void get().load({ quiet: true });
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

    load(opts) {
      events.ensure(onEvent);
      return listLoad.run(
        async () => {
          const startedAt = Date.now();
          const fleet = await call('alerts.list', {});
          set((s) => {
            const hosts: Record<string, HostAlerts> = {};
            for (const h of fleet.hosts) {
              const current = s.hosts[h.host];
              // A host read again since this list was asked for keeps its newer view.
              hosts[h.host] =
                current && current.at > startedAt ? current : { view: h.view, error: h.error, at: startedAt };
            }
            return { hosts, loaded: true, listError: null };
          });
        },
        {
          busy: (on) => setBusy('list', on),
          fail: (err) => {
            set({ listError: toErrorInfo(err) });
            // Before the first read the screen shows the error in place of the list.
            if (!opts?.quiet && get().loaded) useConsole.getState().showError('alerts', err);
          },
        },
      );
    },

    loadHost(host) {
      return hostLoad(host).run(
        async () => {
          const at = Date.now();
          try {
            const r = await call('alerts.list', { host });
            const h = r.hosts.find((x) => x.host === host);
            if (h) putHost(host, { view: h.view, error: h.error, at });
          } catch (err) {
            const current = get().hosts[host];
            putHost(host, { view: current?.view ?? null, error: toErrorInfo(err), at });
          }
        },
        { busy: (on) => setBusy(`host:${host}`, on), fail: () => undefined },
      );
    },

    setRoute(route) {
      if (routeChanges(get().route, route)) set({ route });
    },

    open(route) {
      get().setRoute(route);
      showInAddress('alerts', hashForAlertsRoute(route));
    },

    setText(text) {
      set({ text });
    },

    async ack(host, id, note) {
      const r = await attempt(`ack:${host}:${id}`, () =>
        call('alerts.ack', { host, ref: id, ...(note.trim() ? { note: note.trim() } : {}) }),
      );
      if (r?.ok) {
        patchView(host, (v) => ({ ...v, active: v.active.map((a) => (a.id === r.value.id ? r.value : a)) }));
        void get().loadHost(host);
      }
      return r;
    },

    async silence(input) {
      const r = await attempt(`silence:${input.host}`, () => call('alerts.silence', input));
      if (r?.ok) {
        patchView(input.host, (v) => ({ ...v, silences: [...v.silences, r.value] }));
        void get().loadHost(input.host);
      }
      return r;
    },

    async maintenance(input) {
      const r = await attempt(`maintenance:${input.host}`, () => call('alerts.maintenance', input));
      if (r?.ok) {
        patchView(input.host, (v) => ({ ...v, maintenance: [...v.maintenance, r.value] }));
        void get().loadHost(input.host);
      }
      return r;
    },

    async unhold(host, id) {
      await act(`unhold:${host}:${id}`, undefined, {
        clearsError: true,
        run: async () => {
          await call('alerts.unhold', { host, id });
          patchView(host, (v) => ({
            ...v,
            silences: v.silences.filter((s) => s.id !== id),
            maintenance: v.maintenance.filter((w) => w.id !== id),
          }));
          void get().loadHost(host);
        },
        fail: (err) => useConsole.getState().showError('alerts', err),
      });
    },

    async configure(input) {
      const r = await attempt(`configure:${input.host}`, () => call('alerts.configure', input));
      if (r?.ok) {
        putHost(input.host, { view: r.value, error: null, at: Date.now() });
        set((s) => ({ done: { ...s.done, [input.host]: { what: 'saved', count: 0, at: Date.now() } } }));
      }
      return r;
    },

    async test(host) {
      await act(`test:${host}`, undefined, {
        clearsError: true,
        run: async () => {
          const r = await call('alerts.test', { host });
          set((s) => ({ done: { ...s.done, [host]: { what: 'test', count: r.queued, at: Date.now() } } }));
          void get().loadHost(host);
        },
        fail: (err) => useConsole.getState().showError('alerts', err),
      });
    },

    async askNotify() {
      set({ notify: await requestNotifyPermission() });
    },
  };
});

/** For tests: drop the subscriptions and loads so a fresh API can be wired. */
export function resetAlertsSubscriptions(): void {
  events.reset();
  listLoad.reset();
  hostLoads.clear();
  followers = 0;
  subscription = null;
  connectionOff?.();
  connectionOff = null;
}
