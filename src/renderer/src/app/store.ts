/**
 * The renderer's state: what the core told us (app info, settings, hosts, checks), what the
 * operator is doing (selected host, the add-host draft and its probe), and what to show (busy
 * flags, the one current error, toasts). Actions call the core through `call` and never throw:
 * failures land in `error` with the scope of the place that should show them.
 */
import { create } from 'zustand';
import { busySetter } from '../kit/busy';
import type { StoreApi } from 'zustand';
import type { AppEvent, AppInfo, ErrorInfo, HostView, Language, Settings } from '../../../shared/contract';
import { call, getApi, isConnectedApi, toErrorInfo } from '../api';
import type { ConnectionState } from '../api';
import { auditSlice } from '../features/audit/auditSlice';
import type { AuditState } from '../features/audit/auditSlice';
import { hostsSlice, resetHostsSlice } from '../features/hosts/hostsSlice';
import type { HostsState } from '../features/hosts/hostsSlice';
import { importSlice } from '../features/hosts/importSlice';
import type { ImportState } from '../features/hosts/importSlice';
import type { ScreenName } from '../features/routes';
import { setLanguage as applyLanguage } from '../i18n';

export type { ScreenName } from '../features/routes';
export type { AuditLog } from '../features/audit/auditSlice';
export { CHECK_CONCURRENCY } from '../features/hosts/hostsSlice';
export type { KeyReview, KeyReviewMode, LiveStatus } from '../features/hosts/hostsSlice';
export type { ImportResult } from '../features/hosts/importSlice';

/** Where an error is shown; there is only ever one error on screen. */
export type ErrorScope =
  | 'global'
  | 'hosts'
  | 'addHost'
  | 'details'
  | 'settings'
  | 'welcome'
  | 'import'
  | 'audit'
  | 'tenants'
  | 'tenant'
  | 'wizard'
  | 'backups'
  | 'backup'
  | 'schedule'
  | 'updates'
  | 'alerts'
  | 'knowledge';
export interface ShownError extends ErrorInfo {
  scope: ErrorScope;
}

export type ToastKey =
  | 'toast.hostAdded'
  | 'toast.hostForgotten'
  | 'toast.languageSaved'
  | 'toast.keyPinned'
  | 'toast.auditFailed'
  | 'toast.imported'
  | 'toast.tenantCreated'
  | 'toast.tenantDeleted'
  | 'toast.tenantDeletedWithBackup'
  | 'toast.backupKeyCreated'
  | 'toast.backupCreated'
  | 'toast.restored'
  | 'toast.escalated'
  | 'toast.restoreFailed'
  | 'toast.scheduleSaved'
  | 'toast.fleetDone'
  | 'toast.kbDeleted'
  | 'toast.kbReindex';
export interface Toast {
  id: number;
  kind: 'success' | 'info' | 'warning' | 'error';
  key: ToastKey;
  values: Record<string, string>;
}

/** The shell's own state: start-up, the connection, settings, the section shown, busy flags, errors, toasts. */
export interface ShellState {
  phase: 'loading' | 'ready' | 'failed';
  startupError: ErrorInfo | null;
  connection: ConnectionState;
  info: AppInfo | null;
  settings: Settings | null;

  screen: ScreenName;

  /** Busy flags: 'start', 'hosts.list', 'probe', 'add', 'addLocal', 'settings', 'check:<name>', 'forget:<name>'. */
  busy: Record<string, boolean>;
  error: ShownError | null;
  toasts: Toast[];

  start(): Promise<void>;
  setScreen(screen: ScreenName): void;
  changeLanguage(language: Language): Promise<void>;
  showError(scope: ErrorScope, err: unknown): void;
  clearError(): void;
  pushToast(kind: Toast['kind'], key: ToastKey, values?: Record<string, string>): void;
  dismissToast(id: number): void;
}

/** The console's one store: the shell's state and the parts the features add. */
export interface ConsoleState extends ShellState, HostsState, ImportState, AuditState {}

/** What a part of the store gets to build itself: zustand's set and get, and shared helpers. */
export interface SliceContext {
  set: StoreApi<ConsoleState>['setState'];
  get: () => ConsoleState;
  setBusy(key: string, value: boolean): void;
  upsertHost(view: HostView): void;
}

let toastSeq = 1;
let unsubscribeEvents: (() => void) | null = null;
let unsubscribeConnection: (() => void) | null = null;
const TOAST_MS = 5000;
/** Warnings and errors stay longer: they say something the operator should read. */
const TOAST_LONG_MS = 15000;

export const useConsole = create<ConsoleState>()((set, get) => {
  const setBusy = busySetter(set);

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
      case 'events.dropped': // events were missed: read the hosts again
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

  const ctx: SliceContext = { set, get, setBusy, upsertHost };

  return {
    phase: 'loading',
    startupError: null,
    connection: 'open',
    info: null,
    settings: null,
    screen: 'fleet',
    busy: {},
    error: null,
    toasts: [],
    ...hostsSlice(ctx),
    ...importSlice(ctx),
    ...auditSlice(ctx),

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
      setTimeout(
        () => get().dismissToast(id),
        kind === 'warning' || kind === 'error' ? TOAST_LONG_MS : TOAST_MS,
      );
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
  resetHostsSlice();
}
