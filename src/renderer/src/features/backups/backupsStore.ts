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
import { call, toErrorInfo } from '../../api';
import { coalesced } from '../../kit/coalesce';
import {
  busyRunner,
  eventSubscription,
  entryRead,
  loadHostList,
  routeChanges,
  showInAddress,
} from '../../kit/listStore';
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

const events = eventSubscription();
const overviewLoad = coalesced();

/** The tenant a log line is about, when its source names one (`tenant:<slug>`, `backup:<slug>`). */
function logSlug(source: string): string | null {
  const m = /^(?:tenant|backup|backups|restore|drill):([a-z][a-z0-9-]*)$/.exec(source);
  return m?.[1] ?? null;
}

export const useBackups = create<BackupsState>()((set, get) => {
  const setBusy = busySetter(set);
  const act = busyRunner(() => get().busy, setBusy);

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
    events.ensure(onEvent);
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

  /** After a backup, drill or restore of a tenant: its log line goes, its list and the overview are read again. */
  function afterWork(host: string, slug: string): void {
    clearActivity(backupKey(host, slug));
    void get().loadList(host, slug, { quiet: true });
    void get().loadOverview({ quiet: true });
  }

  /** A backup or a drill of one tenant (`kind:<host>/<slug>` busy meanwhile); null when it failed. */
  function onTenant<T>(
    kind: 'create' | 'drill',
    host: string,
    slug: string,
    run: () => Promise<T>,
  ): Promise<T | null> {
    subscribe();
    return act<T | null>(`${kind}:${backupKey(host, slug)}`, null, {
      clearsError: true,
      run,
      fail: (err) => {
        useConsole.getState().showError('backup', err);
        return null;
      },
      done: () => afterWork(host, slug),
    });
  }

  /** The restore dialog's fields, while it still asks for confirmation. */
  function editRestore(patch: Pick<Partial<RestoreDialog>, 'typed' | 'skipSafetyBackup'>): void {
    const d = get().restore;
    if (!d || d.phase !== 'confirm') return;
    set({ restore: { ...d, ...patch } });
  }

  function keepSchedule(host: string, schedule: BackupSchedule, at = new Date().toISOString()): void {
    set((s) => ({
      schedules: { ...s.schedules, [host]: { schedule, at } },
      scheduleErrors: { ...s.scheduleErrors, [host]: null },
    }));
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
      showInAddress('backups', hashForBackupsRoute(route));
    },

    setRoute(route) {
      if (routeChanges(get().route, route)) set({ route });
    },

    setFilter(patch) {
      set((s) => ({ filter: { ...s.filter, ...patch } }));
    },

    loadOverview(opts = {}) {
      subscribe();
      const read = () => call('backups.overview', {});
      return loadHostList(overviewLoad, read, set, (on) => setBusy('overview', on), 'backups', opts.quiet);
    },

    loadKey() {
      return act('key', undefined, {
        run: async () => set({ key: await call('backups.keyInfo', {}) }),
        fail: (err) => useConsole.getState().showError('backups', err),
      });
    },

    async initKey() {
      if (get().key) return;
      await act('keyInit', undefined, {
        clearsError: true,
        run: async () => {
          set({ key: await call('backups.keyInit', {}) });
          useConsole.getState().pushToast('success', 'toast.backupKeyCreated');
        },
        fail: (err) => {
          useConsole.getState().showError('backups', err);
          // Someone else may have made it meanwhile: read what is there.
          void get().loadKey();
        },
      });
    },

    loadList(host, slug, opts = {}) {
      subscribe();
      const key = backupKey(host, slug);
      return act(
        `list:${key}`,
        undefined,
        entryRead(
          () => call('backups.list', { slug, host }),
          (list, at) =>
            set((s) => ({
              lists: { ...s.lists, [key]: { list, at } },
              listErrors: { ...s.listErrors, [key]: null },
            })),
          (info) => set((s) => ({ listErrors: { ...s.listErrors, [key]: info } })),
          () => Boolean(get().lists[key]),
          'backup',
          opts.quiet,
        ),
      );
    },

    backUpNow(host, slug) {
      return onTenant('create', host, slug, async () => {
        const entry = await call('backups.create', { slug, host });
        useConsole.getState().pushToast('success', 'toast.backupCreated', { slug, id: entry.id });
        return entry;
      });
    },

    drill(host, slug, backupId) {
      return onTenant('drill', host, slug, async () => {
        const report = await call('backups.drill', backupId ? { slug, host, backupId } : { slug, host });
        const key = backupKey(host, slug);
        set((s) => ({ drills: { ...s.drills, [key]: { report, at: new Date().toISOString() } } }));
        return report;
      });
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
      editRestore({ typed });
    },

    setSkipSafetyBackup(on) {
      editRestore({ skipSafetyBackup: on });
    },

    async confirmRestore() {
      const d = get().restore;
      if (!d || !restoreReady(d)) return;
      subscribe();
      const key = backupKey(d.host, d.slug);
      /** The dialog moves on only if it still shows this backup. */
      const finish = (patch: Partial<RestoreDialog>): void => {
        const now = get().restore;
        if (now && now.backupId === d.backupId) set({ restore: { ...now, ...patch } });
      };
      await act(`restore:${key}`, undefined, {
        run: async () => {
          set({ restore: { ...d, phase: 'running', error: null } });
          const report = await call('backups.restore', {
            slug: d.slug,
            host: d.host,
            backupId: d.backupId,
            confirm: d.typed,
            skipSafetyBackup: d.skipSafetyBackup,
          });
          finish({ phase: 'done', report });
          useConsole
            .getState()
            .pushToast(
              report.ok ? 'success' : 'warning',
              report.ok ? 'toast.restored' : 'toast.restoreFailed',
              { slug: d.slug, id: d.backupId },
            );
        },
        fail: (err) => finish({ phase: 'failed', error: toErrorInfo(err) }),
        done: () => afterWork(d.host, d.slug),
      });
    },

    closeRestore() {
      if (get().restore?.phase === 'running') return;
      set({ restore: null });
    },

    loadSchedule(host, opts = {}) {
      return act(
        `scheduleInfo:${host}`,
        undefined,
        entryRead(
          () => call('backups.scheduleInfo', { host }),
          (schedule, at) => keepSchedule(host, schedule, at),
          (info) => set((s) => ({ scheduleErrors: { ...s.scheduleErrors, [host]: info } })),
          () => false,
          'schedule',
          opts.quiet,
        ),
      );
    },

    async saveSchedule(host, draft) {
      const parsed = scheduleInputFromDraft(host, draft);
      if (!parsed.ok) return parsed.errors;
      await act(`schedule:${host}`, undefined, {
        clearsError: true,
        run: async () => {
          keepSchedule(host, await call('backups.schedule', parsed.input));
          useConsole.getState().pushToast('success', 'toast.scheduleSaved', { host });
        },
        fail: (err) => useConsole.getState().showError('schedule', err),
      });
      return null;
    },
  };
});

/** For tests: drop the event subscription so a fresh API can be wired. */
export function resetBackupsSubscriptions(): void {
  events.reset();
  overviewLoad.reset();
}
