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
  AuditEntry,
  CommandOutput,
  ErrorInfo,
  HostCheck,
  HostStatus,
  HostView,
  ImportPreview,
  Language,
  ProbeResult,
  Settings,
} from '../../../shared/contract';
import { call, getApi, isConnectedApi, toErrorInfo } from '../api';
import { coalesced } from '../kit/coalesce';
import type { ConnectionState } from '../api';
import { effectiveStatus, newerCheck } from '../kit/format';
import { setLanguage as applyLanguage } from '../i18n';
import {
  addInputFromDraft,
  defaultImportSelection,
  emptyDraft,
  probeInputFromDraft,
} from '../features/hosts/validation';
import type { HostDraft, ImportSource } from '../features/hosts/validation';
import type { ScreenName } from '../features/routes';

export type { ScreenName } from '../features/routes';

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
  | 'updates';
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
  | 'toast.restoreFailed'
  | 'toast.scheduleSaved'
  | 'toast.fleetDone';
export interface Toast {
  id: number;
  kind: 'success' | 'info' | 'warning' | 'error';
  key: ToastKey;
  values: Record<string, string>;
}

export interface LiveStatus {
  status: HostStatus;
  at: string;
}

/**
 * Why the operator is looking at a host's key: it changed (red, both fingerprints), it was never
 * confirmed (an imported host: first-connect style), or an explicit re-pin from the details.
 */
export type KeyReviewMode = 'changed' | 'unconfirmed' | 'repin';
export interface KeyReview {
  host: string;
  mode: KeyReviewMode;
  probe: ProbeResult;
}

export type ImportResult = CommandOutput<'hosts.import'>;

export interface AuditLog {
  entries: AuditEntry[];
  loadedAt: string;
}

/** How many hosts "Check all" checks at once. */
export const CHECK_CONCURRENCY = 6;

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

  /** Set while the key review dialog of an existing host is open. */
  keyReview: KeyReview | null;

  importOpen: boolean;
  importPreview: ImportPreview | null;
  /** The paths the preview was read from (an import uses the same). */
  importSource: ImportSource | null;
  importResult: ImportResult | null;
  /** Which previewed aliases are ticked for import. */
  importSelection: Record<string, boolean>;

  /** Audit trails read in this session, by host name. */
  audit: Record<string, AuditLog>;
  auditHost: string | null;

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
  /** `quiet`: a background check; a failed call is not shown as an error banner. */
  checkHost(name: string, opts?: { quiet?: boolean }): Promise<void>;
  /** Checks every host, a few at a time; hosts already being checked are left to that check. */
  checkAll(opts?: { quiet?: boolean }): Promise<void>;
  /** Reads the key a host offers now and opens the key dialog for it. */
  reviewKey(name: string, mode?: KeyReviewMode): Promise<void>;
  cancelKeyReview(): void;
  /** Pins the fingerprint the operator confirmed in the key dialog, then checks the host again. */
  confirmRepin(fingerprint: string): Promise<void>;
  openImport(): void;
  closeImport(): void;
  previewImport(source: ImportSource): Promise<void>;
  setImportSelection(selection: Record<string, boolean>): void;
  runImport(aliases: string[]): Promise<void>;
  selectAuditHost(name: string | null): void;
  loadAudit(name: string): Promise<void>;
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
const hostsLoad = coalesced();
let checkAllRun: Promise<void> | null = null;
/**
 * When the renderer last pinned a host's key: a stored check older than that was made against the
 * old key (or none) and is not shown.
 */
const keyPinnedAt = new Map<string, number>();

function dropChecksBeforePin(view: HostView): HostView {
  const pinned = keyPinnedAt.get(view.name);
  if (pinned === undefined || !view.lastCheck) return view;
  return Date.parse(view.lastCheck.checkedAt) < pinned ? { ...view, lastCheck: null } : view;
}

const TOAST_MS = 5000;
/** Warnings and errors stay longer: they say something the operator should read. */
const TOAST_LONG_MS = 15000;

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
    keyReview: null,
    importOpen: false,
    importPreview: null,
    importSource: null,
    importResult: null,
    importSelection: {},
    audit: {},
    auditHost: null,

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
      return hostsLoad.run(
        async () => {
          const hosts = (await call('hosts.list', {})).map(dropChecksBeforePin);
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
        },
        { busy: (on) => setBusy('hosts.list', on), fail: (err) => get().showError('hosts', err) },
      );
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

    async checkHost(name, opts = {}) {
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
        if (!opts.quiet) get().showError('details', err);
      } finally {
        setBusy(key, false);
      }
    },

    checkAll(opts = {}) {
      // One "check all" at a time: a second request joins the one running.
      if (checkAllRun) return checkAllRun;
      const queue = get()
        .hosts.map((h) => h.name)
        .filter((n) => !get().busy[`check:${n}`]);
      const worker = async (): Promise<void> => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          // Forgotten meanwhile: nothing to check.
          if (!get().hosts.some((h) => h.name === name)) continue;
          await get().checkHost(name, opts);
        }
      };
      checkAllRun = Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, queue.length) }, worker))
        .then(() => undefined)
        .finally(() => {
          checkAllRun = null;
        });
      return checkAllRun;
    },

    async reviewKey(name, mode) {
      if (get().busy['keyProbe'] || get().busy['repin']) return;
      const host = get().hosts.find((h) => h.name === name);
      if (!host || host.kind !== 'ssh') return;
      const status = effectiveStatus(
        host,
        newerCheck(get().checks[name], host.lastCheck) ?? undefined,
        get().liveStatus[name],
      );
      const resolved: KeyReviewMode =
        mode ??
        (status === 'key-changed' ? 'changed' : status === 'key-unconfirmed' ? 'unconfirmed' : 'repin');
      setBusy('keyProbe', true);
      setBusy(`keyProbe:${name}`, true);
      set({ selectedHost: name });
      get().clearError();
      try {
        const probe = await call('hosts.probe', { address: host.address, port: host.port, jump: host.jump });
        set({ keyReview: { host: name, mode: resolved, probe } });
      } catch (err) {
        get().showError('details', err);
      } finally {
        setBusy('keyProbe', false);
        setBusy(`keyProbe:${name}`, false);
      }
    },

    cancelKeyReview() {
      if (get().busy['repin']) return;
      set({ keyReview: null });
    },

    async confirmRepin(fingerprint) {
      const review = get().keyReview;
      if (!review || get().busy['repin']) return;
      const name = review.host;
      setBusy('repin', true);
      get().clearError();
      try {
        const pinnedAt = Date.now();
        const { auditError, ...view } = await call('hosts.repin', { name, acceptFingerprint: fingerprint });
        keyPinnedAt.set(name, pinnedAt);
        // The last check was of the old key (or of none): it no longer says anything.
        upsertHost({ ...view, lastCheck: null });
        set((s) => {
          const checks = { ...s.checks };
          delete checks[name];
          const liveStatus = { ...s.liveStatus };
          delete liveStatus[name];
          return { keyReview: null, checks, liveStatus, selectedHost: name };
        });
        get().pushToast('success', 'toast.keyPinned', { name });
        if (auditError)
          get().pushToast('warning', 'toast.auditFailed', { name, message: auditError.message });
        // A new audit line exists (or should): read it again when the Audit screen opens.
        set((s) => {
          const audit = { ...s.audit };
          delete audit[name];
          return { audit };
        });
        void get().checkHost(name);
      } catch (err) {
        set({ keyReview: null });
        get().showError('details', err);
      } finally {
        setBusy('repin', false);
      }
    },

    openImport() {
      const error = get().error;
      set({
        importOpen: true,
        importPreview: null,
        importSource: null,
        importResult: null,
        importSelection: {},
        error: error?.scope === 'import' ? null : error,
      });
    },

    closeImport() {
      if (get().busy['import.run']) return;
      const error = get().error;
      set({
        importOpen: false,
        importPreview: null,
        importSource: null,
        importResult: null,
        importSelection: {},
        error: error?.scope === 'import' ? null : error,
      });
    },

    async previewImport(source) {
      if (get().busy['import.preview'] || get().busy['import.run']) return;
      setBusy('import.preview', true);
      get().clearError();
      set({ importResult: null });
      try {
        const preview = await call('hosts.importPreview', source);
        set({
          importPreview: preview,
          importSource: source,
          importSelection: defaultImportSelection(preview.candidates),
        });
      } catch (err) {
        set({ importPreview: null, importSource: null, importSelection: {} });
        get().showError('import', err);
      } finally {
        setBusy('import.preview', false);
      }
    },

    setImportSelection(selection) {
      set({ importSelection: selection });
    },

    async runImport(aliases) {
      const source = get().importSource;
      if (!source || aliases.length === 0 || get().busy['import.run']) return;
      setBusy('import.run', true);
      get().clearError();
      try {
        const result = await call('hosts.import', { ...source, aliases });
        for (const view of result.added) upsertHost(view);
        set({ importResult: result, importPreview: null, importSelection: {} });
        if (result.added.length > 0) {
          get().pushToast('success', 'toast.imported', { count: String(result.added.length) });
          set((s) => ({ selectedHost: s.selectedHost ?? result.added[0]?.name ?? null }));
        }
        await get().loadHosts();
        for (const view of result.added) void get().checkHost(view.name, { quiet: true });
      } catch (err) {
        get().showError('import', err);
      } finally {
        setBusy('import.run', false);
      }
    },

    selectAuditHost(name) {
      const error = get().error;
      set({ auditHost: name, error: error?.scope === 'audit' ? null : error });
    },

    async loadAudit(name) {
      const key = `audit:${name}`;
      if (get().busy[key]) return;
      setBusy(key, true);
      const error = get().error;
      if (error?.scope === 'audit') set({ error: null });
      try {
        const entries = await call('hosts.audit', { name, limit: 200 });
        set((s) => ({ audit: { ...s.audit, [name]: { entries, loadedAt: new Date().toISOString() } } }));
      } catch (err) {
        // Only if the operator is still looking at this host's trail.
        if (get().auditHost === name) get().showError('audit', err);
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
          const audit = { ...s.audit };
          delete audit[name];
          return {
            hosts,
            checks,
            liveStatus,
            audit,
            auditHost: s.auditHost === name ? null : s.auditHost,
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
  hostsLoad.reset();
  keyPinnedAt.clear();
  checkAllRun = null;
}
