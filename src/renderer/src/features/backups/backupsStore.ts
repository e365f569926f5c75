/**
 * The Backups section's state: every tenant's backup summary across the fleet (and hosts that
 * could not be read), the fleet's backup key, each opened tenant's backups, runs and restores,
 * the last drill, the restore dialog (gated by the slug typed again) with its report, and each
 * host's schedule. Which view is shown follows the address (`#/backups`, `#/backups/<host>/<slug>`).
 * Actions call the core through `call` and never throw; errors go to the console's one error
 * (scopes `backups`, `backup`, `schedule`) or, for a restore, into the dialog itself.
 */
import { create } from 'zustand';
import { busySetter } from '../../kit/busy';
import type { AppEvent, ErrorInfo } from '../../../../shared/contract';
import { call, getApi, toErrorInfo } from '../../api';
import { coalesced } from '../../kit/coalesce';
import {
  backupKey,
  hashForBackupsRoute,
  restoreConfirmMatches,
  scheduleInputFromDraft,
  type BackupEntry,
  type BackupFilter,
  type BackupKeyInfo,
  type BackupList,
  type BackupSchedule,
  type BackupSummary,
  type BackupsRoute,
  type RestoreReport,
  type ScheduleDraft,
  type ScheduleErrors,
} from './backups';
import { useConsole } from '../../app/store';

export interface ListEntry {
  list: BackupList;
  at: string;
}

export interface DrillEntry {
  report: RestoreReport;
  at: string;
}

export interface ScheduleEntry {
  schedule: BackupSchedule;
  at: string;
}

/** The restore dialog: which backup, what was typed, then the run and its report. */
export interface RestoreDialog {
  host: string;
  slug: string;
  backupId: string;
  /** The backup's time (shown human readable in the dialog). */
  createdAt: string;
  typed: string;
  skipSafetyBackup: boolean;
  phase: 'confirm' | 'running' | 'done' | 'failed';
  report: RestoreReport | null;
  error: ErrorInfo | null;
}

/** The last line the core logged about a tenant while something runs on it (backup, restore, drill). */
export interface Activity {
  message: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  at: string;
}

export interface BackupsState {
  route: BackupsRoute;
  tenants: BackupSummary[];
  unreachable: { host: string; error: string }[];
  loaded: boolean;
  loadedAt: string | null;
  /** The fleet's backup key: undefined until read, null when there is none. */
  key: BackupKeyInfo | undefined;
  filter: BackupFilter;
  lists: Record<string, ListEntry>;
  listErrors: Record<string, ErrorInfo | null>;
  drills: Record<string, DrillEntry>;
  schedules: Record<string, ScheduleEntry>;
  scheduleErrors: Record<string, ErrorInfo | null>;
  restore: RestoreDialog | null;
  activity: Record<string, Activity>;
  /** 'overview', 'key', 'keyInit', 'list:<key>', 'create:<key>', 'drill:<key>', 'restore:<key>', 'schedule:<host>', 'scheduleInfo:<host>'. */
  busy: Record<string, boolean>;

  open(route: BackupsRoute): void;
  setRoute(route: BackupsRoute): void;
  setFilter(patch: Partial<BackupFilter>): void;
  loadOverview(opts?: { quiet?: boolean }): Promise<void>;
  loadKey(): Promise<void>;
  initKey(): Promise<void>;
  loadList(host: string, slug: string, opts?: { quiet?: boolean }): Promise<void>;
  backUpNow(host: string, slug: string): Promise<BackupEntry | null>;
  drill(host: string, slug: string, backupId?: string): Promise<RestoreReport | null>;
  openRestore(host: string, slug: string, entry: Pick<BackupEntry, 'id' | 'createdAt'>): void;
  setRestoreTyped(typed: string): void;
  setSkipSafetyBackup(on: boolean): void;
  /** Runs the restore only when the slug typed matches; the dialog shows progress, then the report. */
  confirmRestore(): Promise<void>;
  closeRestore(): void;
  loadSchedule(host: string, opts?: { quiet?: boolean }): Promise<void>;
  /** Installs or changes a host's schedule; returns the fields that are wrong, or null when saved (or failed: see the error). */
  saveSchedule(host: string, draft: ScheduleDraft): Promise<ScheduleErrors | null>;
}

/** Whether the restore dialog's Restore button may be pressed. */
export function restoreReady(d: RestoreDialog | null): boolean {
  return d !== null && d.phase === 'confirm' && restoreConfirmMatches(d.typed, d.slug);
}

let unsubscribe: (() => void) | null = null;
const overviewLoad = coalesced();

/** The page's address, typed here so this module also runs in unit tests (no DOM there). */
const browser = globalThis as unknown as { location?: { hash: string } };

/** The tenant a log line is about, when its source names one (`tenant:<slug>`, `backup:<slug>`). */
function logSlug(source: string): string | null {
  const m = /^(?:tenant|backup|backups|restore|drill):([a-z][a-z0-9-]*)$/.exec(source);
  return m?.[1] ?? null;
}

export const useBackups = create<BackupsState>()((set, get) => {
  const setBusy = busySetter(set);

  /** Whether something runs on this tenant now (its log lines are followed then). */
  function working(key: string): boolean {
    const b = get().busy;
    return Boolean(b[`create:${key}`] || b[`drill:${key}`] || b[`restore:${key}`]);
  }

  function onEvent(event: AppEvent): void {
    switch (event.type) {
      case 'backups.changed': {
        if (get().loaded) void get().loadOverview({ quiet: true });
        const key = backupKey(event.host, event.slug);
        if (get().lists[key]) void get().loadList(event.host, event.slug, { quiet: true });
        return;
      }
      case 'log': {
        const slug = logSlug(event.source);
        if (!slug) return;
        for (const key of Object.keys(get().busy)) {
          const m = /^(?:create|drill|restore):(.+)$/.exec(key);
          const tenant = m?.[1];
          if (!tenant || !tenant.endsWith(`/${slug}`) || !working(tenant)) continue;
          set((s) => ({
            activity: {
              ...s.activity,
              [tenant]: { message: event.message, level: event.level, at: event.at },
            },
          }));
        }
        return;
      }
      case 'events.dropped': // events were missed: read the overview again
        if (get().loaded) void get().loadOverview({ quiet: true });
        return;
      default:
        return;
    }
  }

  function subscribe(): void {
    if (!unsubscribe) unsubscribe = getApi().onEvent(onEvent);
  }

  function clearActivity(key: string): void {
    if (working(key)) return;
    set((s) => {
      if (!s.activity[key]) return {};
      const activity = { ...s.activity };
      delete activity[key];
      return { activity };
    });
  }

  return {
    route: { view: 'list' },
    tenants: [],
    unreachable: [],
    loaded: false,
    loadedAt: null,
    key: undefined,
    filter: { host: '', text: '', attention: false },
    lists: {},
    listErrors: {},
    drills: {},
    schedules: {},
    scheduleErrors: {},
    restore: null,
    activity: {},
    busy: {},

    open(route) {
      get().setRoute(route);
      useConsole.getState().setScreen('backups');
      const loc = browser.location;
      if (loc) {
        const hash = hashForBackupsRoute(route);
        if (loc.hash !== hash) loc.hash = hash;
      }
    },

    setRoute(route) {
      if (JSON.stringify(get().route) === JSON.stringify(route)) return;
      const error = useConsole.getState().error;
      if (error && error.scope !== 'global') useConsole.getState().clearError();
      set({ route });
    },

    setFilter(patch) {
      set((s) => ({ filter: { ...s.filter, ...patch } }));
    },

    loadOverview(opts = {}) {
      subscribe();
      return overviewLoad.run(
        async () => {
          const r = await call('backups.overview', {});
          set({
            tenants: r.tenants,
            unreachable: r.unreachable,
            loaded: true,
            loadedAt: new Date().toISOString(),
          });
        },
        {
          busy: (on) => setBusy('overview', on),
          fail: (err) => {
            if (!opts.quiet) useConsole.getState().showError('backups', err);
          },
        },
      );
    },

    async loadKey() {
      if (get().busy['key']) return;
      setBusy('key', true);
      try {
        const key = await call('backups.keyInfo', {});
        set({ key });
      } catch (err) {
        useConsole.getState().showError('backups', err);
      } finally {
        setBusy('key', false);
      }
    },

    async initKey() {
      if (get().busy['keyInit'] || get().key) return;
      setBusy('keyInit', true);
      useConsole.getState().clearError();
      try {
        const key = await call('backups.keyInit', {});
        set({ key });
        useConsole.getState().pushToast('success', 'toast.backupKeyCreated');
      } catch (err) {
        useConsole.getState().showError('backups', err);
        // Someone else may have made it meanwhile: read what is there.
        void get().loadKey();
      } finally {
        setBusy('keyInit', false);
      }
    },

    async loadList(host, slug, opts = {}) {
      subscribe();
      const key = backupKey(host, slug);
      if (get().busy[`list:${key}`]) return;
      setBusy(`list:${key}`, true);
      try {
        const list = await call('backups.list', { slug, host });
        set((s) => ({
          lists: { ...s.lists, [key]: { list, at: new Date().toISOString() } },
          listErrors: { ...s.listErrors, [key]: null },
        }));
      } catch (err) {
        const info = toErrorInfo(err);
        set((s) => ({ listErrors: { ...s.listErrors, [key]: info } }));
        if (!opts.quiet && !get().lists[key]) useConsole.getState().showError('backup', err);
      } finally {
        setBusy(`list:${key}`, false);
      }
    },

    async backUpNow(host, slug) {
      subscribe();
      const key = backupKey(host, slug);
      if (get().busy[`create:${key}`]) return null;
      setBusy(`create:${key}`, true);
      useConsole.getState().clearError();
      try {
        const entry = await call('backups.create', { slug, host });
        useConsole.getState().pushToast('success', 'toast.backupCreated', { slug, id: entry.id });
        return entry;
      } catch (err) {
        useConsole.getState().showError('backup', err);
        return null;
      } finally {
        setBusy(`create:${key}`, false);
        clearActivity(key);
        void get().loadList(host, slug, { quiet: true });
        void get().loadOverview({ quiet: true });
      }
    },

    async drill(host, slug, backupId) {
      subscribe();
      const key = backupKey(host, slug);
      if (get().busy[`drill:${key}`]) return null;
      setBusy(`drill:${key}`, true);
      useConsole.getState().clearError();
      try {
        const report = await call('backups.drill', backupId ? { slug, host, backupId } : { slug, host });
        set((s) => ({ drills: { ...s.drills, [key]: { report, at: new Date().toISOString() } } }));
        return report;
      } catch (err) {
        useConsole.getState().showError('backup', err);
        return null;
      } finally {
        setBusy(`drill:${key}`, false);
        clearActivity(key);
        void get().loadList(host, slug, { quiet: true });
        void get().loadOverview({ quiet: true });
      }
    },

    openRestore(host, slug, entry) {
      if (get().restore?.phase === 'running') return;
      set({
        restore: {
          host,
          slug,
          backupId: entry.id,
          createdAt: entry.createdAt,
          typed: '',
          skipSafetyBackup: false,
          phase: 'confirm',
          report: null,
          error: null,
        },
      });
    },

    setRestoreTyped(typed) {
      const d = get().restore;
      if (!d || d.phase !== 'confirm') return;
      set({ restore: { ...d, typed } });
    },

    setSkipSafetyBackup(on) {
      const d = get().restore;
      if (!d || d.phase !== 'confirm') return;
      set({ restore: { ...d, skipSafetyBackup: on } });
    },

    async confirmRestore() {
      const d = get().restore;
      if (!d || !restoreReady(d)) return;
      subscribe();
      const key = backupKey(d.host, d.slug);
      if (get().busy[`restore:${key}`]) return;
      setBusy(`restore:${key}`, true);
      set({ restore: { ...d, phase: 'running', error: null } });
      try {
        const report = await call('backups.restore', {
          slug: d.slug,
          host: d.host,
          backupId: d.backupId,
          confirm: d.typed,
          skipSafetyBackup: d.skipSafetyBackup,
        });
        const now = get().restore;
        if (now && now.backupId === d.backupId) set({ restore: { ...now, phase: 'done', report } });
        useConsole
          .getState()
          .pushToast(
            report.ok ? 'success' : 'warning',
            report.ok ? 'toast.restored' : 'toast.restoreFailed',
            { slug: d.slug, id: d.backupId },
          );
      } catch (err) {
        const now = get().restore;
        if (now && now.backupId === d.backupId)
          set({ restore: { ...now, phase: 'failed', error: toErrorInfo(err) } });
      } finally {
        setBusy(`restore:${key}`, false);
        clearActivity(key);
        void get().loadList(d.host, d.slug, { quiet: true });
        void get().loadOverview({ quiet: true });
      }
    },

    closeRestore() {
      if (get().restore?.phase === 'running') return;
      set({ restore: null });
    },

    async loadSchedule(host, opts = {}) {
      if (get().busy[`scheduleInfo:${host}`]) return;
      setBusy(`scheduleInfo:${host}`, true);
      try {
        const schedule = await call('backups.scheduleInfo', { host });
        set((s) => ({
          schedules: { ...s.schedules, [host]: { schedule, at: new Date().toISOString() } },
          scheduleErrors: { ...s.scheduleErrors, [host]: null },
        }));
      } catch (err) {
        const info = toErrorInfo(err);
        set((s) => ({ scheduleErrors: { ...s.scheduleErrors, [host]: info } }));
        if (!opts.quiet) useConsole.getState().showError('schedule', err);
      } finally {
        setBusy(`scheduleInfo:${host}`, false);
      }
    },

    async saveSchedule(host, draft) {
      const parsed = scheduleInputFromDraft(host, draft);
      if (!parsed.ok) return parsed.errors;
      if (get().busy[`schedule:${host}`]) return null;
      setBusy(`schedule:${host}`, true);
      useConsole.getState().clearError();
      try {
        const schedule = await call('backups.schedule', parsed.input);
        set((s) => ({
          schedules: { ...s.schedules, [host]: { schedule, at: new Date().toISOString() } },
          scheduleErrors: { ...s.scheduleErrors, [host]: null },
        }));
        useConsole.getState().pushToast('success', 'toast.scheduleSaved', { host });
      } catch (err) {
        useConsole.getState().showError('schedule', err);
      } finally {
        setBusy(`schedule:${host}`, false);
      }
      return null;
    },
  };
});

/** For tests: drop the event subscription so a fresh API can be wired. */
export function resetBackupsSubscriptions(): void {
  unsubscribe?.();
  unsubscribe = null;
  overviewLoad.reset();
}
