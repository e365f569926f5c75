/**
 * The renderer's state: what the core told us (app info, settings, hosts, checks), what the
 * operator is doing (selected host, the add-host draft and its probe), and what to show (busy
 * flags, the one current error, toasts). Actions call the core through `call` and never throw:
 * failures land in `error` with the scope of the place that should show them.
 */
import { create } from 'zustand';
import type {
  AppEvent,
  AppInfo,
  ErrorInfo,
  HostCheck,
  HostStatus,
  HostView,
  Language,
  ProbeResult,
  Settings,
} from '../../shared/contract';
import { call, getApi, isConnectedApi, toErrorInfo } from './api';
import type { ConnectionState } from './api';
import { setLanguage as applyLanguage } from './i18n';
import { addInputFromDraft, emptyDraft, probeInputFromDraft } from './validation';
import type { HostDraft } from './validation';

export const SCREENS = [
  'fleet',
  'hosts',
  'tenants',
  'backups',
  'costs',
  'knowledge',
  'audit',
  'settings',
] as const;
export type ScreenName = (typeof SCREENS)[number];

export function isScreen(value: string): value is ScreenName {
  return (SCREENS as readonly string[]).includes(value);
}

/** Where an error is shown; there is only ever one error on screen. */
export type ErrorScope = 'global' | 'hosts' | 'addHost' | 'details' | 'settings' | 'welcome';
export interface ShownError extends ErrorInfo {
  scope: ErrorScope;
}

export type ToastKey = 'toast.hostAdded' | 'toast.hostForgotten' | 'toast.languageSaved';
export interface Toast {
  id: number;
  kind: 'success' | 'info' | 'error';
  key: ToastKey;
  values: Record<string, string>;
}

export interface LiveStatus {
  status: HostStatus;
  at: string;
}

export interface ConsoleState {
  phase: 'loading' | 'ready' | 'failed';
  startupError: ErrorInfo | null;
  connection: ConnectionState;
  info: AppInfo | null;
  settings: Settings | null;

  screen: ScreenName;

  hosts: HostView[];
  hostsLoaded: boolean;
  selectedHost: string | null;
  /** Checks the renderer ran in this session, by host name (newer than `lastCheck` until reload). */
  checks: Record<string, HostCheck>;
  /** Status events from the core, by host name. */
  liveStatus: Record<string, LiveStatus>;

  /** Busy flags: 'start', 'hosts.list', 'probe', 'add', 'addLocal', 'settings', 'check:<name>', 'forget:<name>'. */
  busy: Record<string, boolean>;
  error: ShownError | null;
  toasts: Toast[];

  addFormOpen: boolean;
  draft: HostDraft;
  /** Set while the fingerprint dialog is open. */
  probe: ProbeResult | null;

  start(): Promise<void>;
  setScreen(screen: ScreenName): void;
  loadHosts(): Promise<void>;
  selectHost(name: string | null): void;
  openAddForm(): void;
  closeAddForm(): void;
  updateDraft(patch: Partial<HostDraft>): void;
  probeDraft(): Promise<void>;
  cancelProbe(): void;
  confirmAdd(fingerprint: string): Promise<void>;
  addLocal(): Promise<void>;
  checkHost(name: string): Promise<void>;
  forgetHost(name: string): Promise<boolean>;
  changeLanguage(language: Language): Promise<void>;
  showError(scope: ErrorScope, err: unknown): void;
  clearError(): void;
  pushToast(kind: Toast['kind'], key: ToastKey, values?: Record<string, string>): void;
  dismissToast(id: number): void;
}

let toastSeq = 1;
let unsubscribeEvents: (() => void) | null = null;
let unsubscribeConnection: (() => void) | null = null;
let hostsLoad: Promise<void> | null = null;
let hostsReloadWanted = false;

const TOAST_MS = 5000;

export const useConsole = create<ConsoleState>()((set, get) => {
  function setBusy(key: string, value: boolean): void {
    set((s) => {
      const busy = { ...s.busy };
      if (value) busy[key] = true;
      else delete busy[key];
      return { busy };
    });
  }

  function upsertHost(view: HostView): void {
    set((s) => {
      const i = s.hosts.findIndex((h) => h.name === view.name);
      const hosts = [...s.hosts];
      if (i >= 0) hosts[i] = view;
      else hosts.push(view);
      return { hosts };
    });
  }

  function onEvent(event: AppEvent): void {
    switch (event.type) {
      case 'hosts.changed':
        void get().loadHosts();
        break;
      case 'status':
        if (event.subject.kind === 'host') {
          const name = event.subject.name;
          set((s) => ({ liveStatus: { ...s.liveStatus, [name]: { status: event.status, at: event.at } } }));
        }
        break;
      default:
        break;
    }
  }

  function subscribe(): void {
    const api = getApi();
    if (!unsubscribeEvents) unsubscribeEvents = api.onEvent(onEvent);
    if (!unsubscribeConnection && isConnectedApi(api)) {
      set({ connection: api.connectionState });
      unsubscribeConnection = api.onConnection((state) => {
        const before = get().connection;
        set({ connection: state });
        if (state === 'open' && before !== 'open') {
          // Events may have been missed while the socket was down; catch up.
          if (get().phase === 'failed') void get().start();
          else if (get().phase === 'ready') void get().loadHosts();
        }
      });
    }
  }

  return {
    phase: 'loading',
    startupError: null,
    connection: 'open',
    info: null,
    settings: null,
    screen: 'fleet',
    hosts: [],
    hostsLoaded: false,
    selectedHost: null,
    checks: {},
    liveStatus: {},
    busy: {},
    error: null,
    toasts: [],
    addFormOpen: false,
    draft: { ...emptyDraft },
    probe: null,

    async start() {
      if (get().busy['start']) return;
      subscribe();
      setBusy('start', true);
      set({ phase: 'loading', startupError: null });
      try {
        const [info, settings, hosts] = await Promise.all([
          call('app.info', {}),
          call('settings.get', {}),
          call('hosts.list', {}),
        ]);
        await applyLanguage(settings.language);
        set((s) => ({
          phase: 'ready',
          info,
          settings,
          hosts,
          hostsLoaded: true,
          selectedHost:
            s.selectedHost && hosts.some((h) => h.name === s.selectedHost)
              ? s.selectedHost
              : (hosts[0]?.name ?? null),
        }));
      } catch (err) {
        set({ phase: 'failed', startupError: toErrorInfo(err) });
      } finally {
        setBusy('start', false);
      }
    },

    setScreen(screen) {
      if (get().screen === screen) return;
      // An error belongs to the screen it happened on.
      const error = get().error;
      set({ screen, error: error && error.scope === 'global' ? error : null });
    },

    loadHosts() {
      if (hostsLoad) {
        hostsReloadWanted = true;
        return hostsLoad;
      }
      const run = async (): Promise<void> => {
        setBusy('hosts.list', true);
        try {
          do {
            hostsReloadWanted = false;
            const hosts = await call('hosts.list', {});
            set((s) => {
              const names = new Set(hosts.map((h) => h.name));
              const checks: Record<string, HostCheck> = {};
              for (const [k, v] of Object.entries(s.checks)) if (names.has(k)) checks[k] = v;
              return {
                hosts,
                hostsLoaded: true,
                checks,
                selectedHost:
                  s.selectedHost && names.has(s.selectedHost) ? s.selectedHost : (hosts[0]?.name ?? null),
              };
            });
          } while (hostsReloadWanted);
        } catch (err) {
          get().showError('hosts', err);
        } finally {
          setBusy('hosts.list', false);
          hostsLoad = null;
        }
      };
      hostsLoad = run();
      return hostsLoad;
    },

    selectHost(name) {
      set({ selectedHost: name });
    },

    openAddForm() {
      const error = get().error;
      set({ addFormOpen: true, error: error?.scope === 'addHost' ? error : null });
    },

    closeAddForm() {
      const error = get().error;
      set({ addFormOpen: false, probe: null, error: error?.scope === 'addHost' ? null : error });
    },

    updateDraft(patch) {
      set((s) => ({ draft: { ...s.draft, ...patch } }));
    },

    async probeDraft() {
      if (get().busy['probe']) return;
      setBusy('probe', true);
      get().clearError();
      try {
        const probe = await call('hosts.probe', probeInputFromDraft(get().draft));
        set({ probe });
      } catch (err) {
        get().showError('addHost', err);
      } finally {
        setBusy('probe', false);
      }
    },

    cancelProbe() {
      if (get().busy['add']) return;
      set({ probe: null });
    },

    async confirmAdd(fingerprint) {
      if (get().busy['add']) return;
      setBusy('add', true);
      get().clearError();
      const draft = get().draft;
      try {
        const view = await call('hosts.add', addInputFromDraft(draft, fingerprint));
        upsertHost(view);
        set({ probe: null, addFormOpen: false, draft: { ...emptyDraft }, selectedHost: view.name });
        get().pushToast('success', 'toast.hostAdded', { name: view.name });
        void get().checkHost(view.name);
      } catch (err) {
        // Keep everything the operator typed; close the dialog and show why.
        set({ probe: null });
        get().showError('addHost', err);
      } finally {
        setBusy('add', false);
      }
    },

    async addLocal() {
      if (get().busy['addLocal']) return;
      setBusy('addLocal', true);
      get().clearError();
      try {
        const view = await call('hosts.addLocal', {});
        upsertHost(view);
        set({ selectedHost: view.name });
        get().pushToast('success', 'toast.hostAdded', { name: view.name });
        void get().checkHost(view.name);
      } catch (err) {
        get().showError(get().hosts.length === 0 ? 'welcome' : 'hosts', err);
      } finally {
        setBusy('addLocal', false);
      }
    },

    async checkHost(name) {
      const key = `check:${name}`;
      if (get().busy[key]) return;
      setBusy(key, true);
      try {
        const check = await call('hosts.check', { name });
        set((s) => {
          const liveStatus = { ...s.liveStatus };
          const live = liveStatus[name];
          if (live && Date.parse(live.at) <= Date.parse(check.checkedAt)) delete liveStatus[name];
          return {
            checks: { ...s.checks, [name]: check },
            liveStatus,
            hosts: s.hosts.map((h) => (h.name === name ? { ...h, lastCheck: check } : h)),
          };
        });
      } catch (err) {
        get().showError('details', err);
      } finally {
        setBusy(key, false);
      }
    },

    async forgetHost(name) {
      const key = `forget:${name}`;
      if (get().busy[key]) return false;
      setBusy(key, true);
      get().clearError();
      try {
        await call('hosts.forget', { name });
        set((s) => {
          const hosts = s.hosts.filter((h) => h.name !== name);
          const checks = { ...s.checks };
          delete checks[name];
          const liveStatus = { ...s.liveStatus };
          delete liveStatus[name];
          return {
            hosts,
            checks,
            liveStatus,
            selectedHost: s.selectedHost === name ? (hosts[0]?.name ?? null) : s.selectedHost,
          };
        });
        get().pushToast('info', 'toast.hostForgotten', { name });
        return true;
      } catch (err) {
        get().showError('details', err);
        return false;
      } finally {
        setBusy(key, false);
      }
    },

    async changeLanguage(language) {
      if (get().busy['settings']) return;
      setBusy('settings', true);
      get().clearError();
      try {
        const settings = await call('settings.update', { language });
        await applyLanguage(settings.language);
        set({ settings });
        get().pushToast('success', 'toast.languageSaved');
      } catch (err) {
        get().showError('settings', err);
      } finally {
        setBusy('settings', false);
      }
    },

    showError(scope, err) {
      set({ error: { ...toErrorInfo(err), scope } });
    },

    clearError() {
      if (get().error) set({ error: null });
    },

    pushToast(kind, key, values = {}) {
      const id = toastSeq++;
      set((s) => ({ toasts: [...s.toasts.slice(-3), { id, kind, key, values }] }));
      setTimeout(() => get().dismissToast(id), TOAST_MS);
    },

    dismissToast(id) {
      set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
    },
  };
});

/** For tests: drop subscriptions so a fresh API can be wired. */
export function resetConsoleSubscriptions(): void {
  unsubscribeEvents?.();
  unsubscribeConnection?.();
  unsubscribeEvents = null;
  unsubscribeConnection = null;
  hostsLoad = null;
  hostsReloadWanted = false;
}
