/**
 * The Tenants section's state: the fleet's tenants (and hosts that could not be read), the module
 * catalog, the provisioning wizard's draft, the one create in progress (its steps followed by
 * opId, its log lines, its outcome), each open tenant's status and verification, and which view
 * is shown (`#/tenants`, `#/tenants/new`, `#/tenants/<host>/<slug>`). Actions call the core through
 * `call` and never throw; errors go to the console's one error (scopes `tenants`, `tenant`,
 * `wizard`) or, for a create, to the create itself. Toasts are the console's.
 */
import { create } from 'zustand';
import { busySetter } from '../../kit/busy';
import type {
  AppEvent,
  CommandInput,
  CommandOutput,
  ErrorInfo,
  ModuleInfo,
  PlanName,
  TenantStatus,
  TenantView,
} from '../../../../shared/contract';
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
import { useConsole } from '../../app/store';
import {
  appendLog,
  changePlan,
  createInputFromDraft,
  emptyTenantDraft,
  hashForTenantRoute,
  initialProgress,
  reduceProgress,
  tenantKey,
  toggleModule,
} from './tenants';
import type { CreateProgress, LogLine, TenantDraft, TenantFilter, TenantRoute } from './tenants';

export type VerifyResult = CommandOutput<'tenants.verify'> & { at: string };

/** A log line, or a marker where a retry began. */
export type CreationLogLine = LogLine & { retry?: number };

export interface Creation {
  /** 1 for the first create, 2 for the first retry, … */
  attempt: number;
  input: CommandInput<'tenants.create'>;
  phase: 'running' | 'failed' | 'succeeded';
  progress: CreateProgress;
  logs: readonly CreationLogLine[];
  error: ErrorInfo | null;
  result: TenantView | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface StatusEntry {
  view: TenantStatus;
  at: string;
}

export interface TenantsState {
  route: TenantRoute;
  tenants: TenantView[];
  unreachable: { host: string; error: ErrorInfo }[];
  loaded: boolean;
  loadedAt: string | null;
  catalog: ModuleInfo[] | null;
  filter: TenantFilter;
  draft: TenantDraft;
  /** Modules unticked by the last plan change (the wizard says so). */
  droppedModules: string[];
  creation: Creation | null;
  /** Each tenant's last status, by `host/slug`. */
  status: Record<string, StatusEntry>;
  /** Why the last status read of a tenant failed (null once one succeeds). */
  statusError: Record<string, ErrorInfo | null>;
  verify: Record<string, VerifyResult>;
  /** 'list', 'catalog', 'create', 'status:<key>', 'verify:<key>', 'delete:<key>'. */
  busy: Record<string, boolean>;

  /** Show a view (and put it in the address, so Back works). */
  open(route: TenantRoute): void;
  /** The address changed: show what it says. */
  setRoute(route: TenantRoute): void;
  loadTenants(opts?: { quiet?: boolean }): Promise<void>;
  loadCatalog(): Promise<void>;
  setFilter(patch: Partial<TenantFilter>): void;
  updateDraft(patch: Partial<TenantDraft>): void;
  setEnv(name: string, value: string): void;
  toggleModule(name: string, on: boolean): void;
  setPlan(plan: PlanName): void;
  resetDraft(): void;
  /** Create the tenant of the draft; progress and logs arrive as events. */
  create(): Promise<void>;
  /** The same create again (the core resumes what the failed one left). */
  retry(): Promise<void>;
  /** Back from the progress view to the form (the draft is kept). */
  closeCreation(): void;
  loadStatus(host: string, slug: string, opts?: { quiet?: boolean }): Promise<void>;
  verifyTenant(host: string, slug: string): Promise<void>;
  /** Deletes a tenant; unless skipFinalBackup, the host takes a final backup first. */
  deleteTenant(host: string, slug: string, confirm: string, skipFinalBackup?: boolean): Promise<boolean>;
}

const events = eventSubscription();
const listLoad = coalesced();
let logSeq = 1;

export const useTenants = create<TenantsState>()((set, get) => {
  const setBusy = busySetter(set);
  const act = busyRunner(() => get().busy, setBusy);

  function onEvent(event: AppEvent): void {
    switch (event.type) {
      case 'progress': {
        const c = get().creation;
        if (!c) return;
        const progress = reduceProgress(c.progress, event);
        if (progress !== c.progress) set({ creation: { ...c, progress } });
        return;
      }
      case 'log': {
        const c = get().creation;
        if (!c) return;
        const logs = appendLog(c.logs, event, c.input.slug, logSeq);
        if (logs !== c.logs) {
          logSeq += 1;
          set({ creation: { ...c, logs } });
        }
        return;
      }
      case 'tenants.changed':
      case 'events.dropped': // events were missed: read the tenants again
        if (get().loaded) void get().loadTenants({ quiet: true });
        return;
      default:
        return;
    }
  }

  function subscribe(): void {
    events.ensure(onEvent);
  }

  async function runCreate(
    input: CommandInput<'tenants.create'>,
    ignore: string[],
    attempt: number,
  ): Promise<void> {
    if (get().busy['create']) return;
    subscribe();
    setBusy('create', true);
    const previous = get().creation;
    const logs: CreationLogLine[] =
      attempt > 1 && previous
        ? [
            ...previous.logs,
            { id: logSeq++, at: new Date().toISOString(), level: 'info', message: '', retry: attempt },
          ]
        : [];
    set({
      creation: {
        attempt,
        input,
        phase: 'running',
        progress: initialProgress(input.slug, ignore),
        logs,
        error: null,
        result: null,
        startedAt: new Date().toISOString(),
        finishedAt: null,
      },
    });
    try {
      const view = await call('tenants.create', input);
      const c = get().creation;
      if (c) {
        // Every step reported done; also when some events were missed (a reconnect).
        const progress: CreateProgress = {
          ...c.progress,
          steps: c.progress.steps.map((s) => ({ ...s, state: 'done' })),
          percent: 100,
          current: c.progress.stepCount - 1,
          state: 'done',
        };
        set({
          creation: {
            ...c,
            phase: 'succeeded',
            result: view,
            progress,
            finishedAt: new Date().toISOString(),
          },
        });
      }
      // The list shows the new state at once; the reload that tenants.changed starts confirms it.
      set({
        tenants: [...get().tenants.filter((x) => !(x.slug === view.slug && x.host === view.host)), view].sort(
          (a, b) => a.slug.localeCompare(b.slug),
        ),
      });
      useConsole.getState().pushToast('success', 'toast.tenantCreated', { slug: view.slug, host: view.host });
    } catch (err) {
      const c = get().creation;
      if (c) {
        const progress: CreateProgress = { ...c.progress, state: 'failed' };
        set({
          creation: {
            ...c,
            phase: 'failed',
            error: toErrorInfo(err),
            progress,
            finishedAt: new Date().toISOString(),
          },
        });
      }
    } finally {
      setBusy('create', false);
      void get().loadTenants({ quiet: true });
    }
  }

  return {
    route: { view: 'list' },
    tenants: [],
    unreachable: [],
    loaded: false,
    loadedAt: null,
    catalog: null,
    filter: { host: '', text: '' },
    draft: { ...emptyTenantDraft },
    droppedModules: [],
    creation: null,
    status: {},
    statusError: {},
    verify: {},
    busy: {},

    open(route) {
      get().setRoute(route);
      showInAddress('tenants', hashForTenantRoute(route));
    },

    setRoute(route) {
      if (!routeChanges(get().route, route)) return;
      // Coming back to the wizard after a finished create: a fresh form.
      if (route.view === 'new' && get().creation?.phase === 'succeeded')
        set({ creation: null, draft: { ...emptyTenantDraft, host: get().draft.host }, droppedModules: [] });
      set({ route });
    },

    loadTenants(opts = {}) {
      subscribe();
      const read = () => call('tenants.list', {});
      return loadHostList(listLoad, read, set, (on) => setBusy('list', on), 'tenants', opts.quiet);
    },

    async loadCatalog() {
      if (get().catalog) return;
      await act('catalog', undefined, {
        run: async () => set({ catalog: await call('modules.catalog', {}) }),
        fail: (err) => useConsole.getState().showError('wizard', err),
      });
    },

    setFilter(patch) {
      set((s) => ({ filter: { ...s.filter, ...patch } }));
    },

    updateDraft(patch) {
      set((s) => ({ draft: { ...s.draft, ...patch } }));
    },

    setEnv(name, value) {
      set((s) => ({ draft: { ...s.draft, env: { ...s.draft.env, [name]: value } } }));
    },

    toggleModule(name, on) {
      const catalog = get().catalog;
      if (!catalog) return;
      set((s) => ({ draft: toggleModule(s.draft, catalog, name, on), droppedModules: [] }));
    },

    setPlan(plan) {
      const catalog = get().catalog ?? [];
      const { draft, dropped } = changePlan(get().draft, catalog, plan);
      set({ draft, droppedModules: dropped });
    },

    resetDraft() {
      set((s) => ({
        draft: { ...emptyTenantDraft, host: s.draft.host },
        droppedModules: [],
        creation: null,
      }));
    },

    async create() {
      const { catalog, draft } = get();
      if (!catalog) return;
      await runCreate(createInputFromDraft(draft, catalog), [], 1);
    },

    async retry() {
      const c = get().creation;
      if (!c || c.phase !== 'failed') return;
      const ignore = [...c.progress.ignore, ...(c.progress.opId ? [c.progress.opId] : [])];
      await runCreate(c.input, ignore, c.attempt + 1);
    },

    closeCreation() {
      if (get().creation?.phase === 'running') return;
      set({ creation: null });
    },

    loadStatus(host, slug, opts = {}) {
      const key = tenantKey(host, slug);
      return act(
        `status:${key}`,
        undefined,
        entryRead(
          () => call('tenants.status', { slug, host }),
          (view, at) =>
            set((s) => ({
              status: { ...s.status, [key]: { view, at } },
              statusError: { ...s.statusError, [key]: null },
            })),
          (info) => set((s) => ({ statusError: { ...s.statusError, [key]: info } })),
          () => Boolean(get().status[key]),
          'tenant',
          opts.quiet,
        ),
      );
    },

    verifyTenant(host, slug) {
      const key = tenantKey(host, slug);
      return act(`verify:${key}`, undefined, {
        clearsError: true,
        run: async () => {
          const r = await call('tenants.verify', { slug, host });
          set((s) => ({ verify: { ...s.verify, [key]: { ...r, at: new Date().toISOString() } } }));
        },
        fail: (err) => useConsole.getState().showError('tenant', err),
      });
    },

    async deleteTenant(host, slug, confirm, skipFinalBackup = false) {
      const key = tenantKey(host, slug);
      if (get().busy[`delete:${key}`]) return false;
      setBusy(`delete:${key}`, true);
      useConsole.getState().clearError();
      try {
        const done = await call('tenants.delete', { slug, host, confirm, skipFinalBackup });
        set((s) => {
          const status = { ...s.status };
          delete status[key];
          const statusError = { ...s.statusError };
          delete statusError[key];
          const verify = { ...s.verify };
          delete verify[key];
          return {
            tenants: s.tenants.filter((t) => !(t.host === host && t.slug === slug)),
            status,
            statusError,
            verify,
          };
        });
        if (done.finalBackupId)
          useConsole
            .getState()
            .pushToast('info', 'toast.tenantDeletedWithBackup', { slug, host, backupId: done.finalBackupId });
        else useConsole.getState().pushToast('info', 'toast.tenantDeleted', { slug, host });
        const r = get().route;
        if (r.view === 'tenant' && r.host === host && r.slug === slug) get().open({ view: 'list' });
        void get().loadTenants({ quiet: true });
        return true;
      } catch (err) {
        useConsole.getState().showError('tenant', err);
        return false;
      } finally {
        setBusy(`delete:${key}`, false);
      }
    },
  };
});

/** For tests: drop the event subscription so a fresh API can be wired. */
export function resetTenantsSubscriptions(): void {
  events.reset();
  listLoad.reset();
  logSeq = 1;
}
