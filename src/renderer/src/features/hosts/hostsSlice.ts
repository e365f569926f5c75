/**
 * The hosts part of the console's store: the inventory, checks and live status, the add-host draft
 * and its probe, key reviews and re-pins, forgetting. Composed into `useConsole` by `app/store.ts`.
 */
import type { HostCheck, HostStatus, HostView, ProbeResult } from '../../../../shared/contract';
import { call } from '../../api';
import type { SliceContext } from '../../app/store';
import { coalesced } from '../../kit/coalesce';
import { withoutKey } from '../../kit/records';
import { effectiveStatus, newerCheck } from '../../kit/format';
import { addInputFromDraft, emptyDraft, probeInputFromDraft } from './validation';
import type { HostDraft } from './validation';

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

/** How many hosts "Check all" checks at once. */
export const CHECK_CONCURRENCY = 6;

export interface HostsState {
  hosts: HostView[];
  hostsLoaded: boolean;
  selectedHost: string | null;
  /** Checks the renderer ran in this session, by host name (newer than `lastCheck` until reload). */
  checks: Record<string, HostCheck>;
  /** Status events from the core, by host name. */
  liveStatus: Record<string, LiveStatus>;

  addFormOpen: boolean;
  draft: HostDraft;
  /** Set while the fingerprint dialog is open. */
  probe: ProbeResult | null;

  /** Set while the key review dialog of an existing host is open. */
  keyReview: KeyReview | null;

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
  forgetHost(name: string): Promise<boolean>;
}

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

/** For tests: forget the loads, pins and check-all runs of an earlier store. */
export function resetHostsSlice(): void {
  hostsLoad.reset();
  keyPinnedAt.clear();
  checkAllRun = null;
}

export function hostsSlice({ set, get, setBusy, upsertHost }: SliceContext): HostsState {
  return {
    hosts: [],
    hostsLoaded: false,
    selectedHost: null,
    checks: {},
    liveStatus: {},
    addFormOpen: false,
    draft: { ...emptyDraft },
    probe: null,
    keyReview: null,

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
        set((s) => ({
          keyReview: null,
          checks: withoutKey(s.checks, name),
          liveStatus: withoutKey(s.liveStatus, name),
          selectedHost: name,
        }));
        get().pushToast('success', 'toast.keyPinned', { name });
        if (auditError)
          get().pushToast('warning', 'toast.auditFailed', { name, message: auditError.message });
        // A new audit line exists (or should): read it again when the Audit screen opens.
        set((s) => ({ audit: withoutKey(s.audit, name) }));
        void get().checkHost(name);
      } catch (err) {
        set({ keyReview: null });
        get().showError('details', err);
      } finally {
        setBusy('repin', false);
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
          return {
            hosts,
            checks: withoutKey(s.checks, name),
            liveStatus: withoutKey(s.liveStatus, name),
            audit: withoutKey(s.audit, name),
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
  };
}
