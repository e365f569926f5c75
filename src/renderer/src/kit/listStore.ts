/**
 * What the stores of the fleet-wide lists (Tenants, Backups) share: one event subscription, the
 * list's load (rows and the hosts that could not be read), the route kept in the address, and the
 * filter. Plain functions over the store's own `set`/`get`, so the store modules stay as they are
 * to read and to test.
 */
import type { AppEvent, ErrorInfo } from '../../../shared/contract';
import { getApi, toErrorInfo } from '../api';
import { useConsole } from '../app/store';
import type { ErrorScope, ScreenName } from '../app/store';
import type { Coalesced } from './coalesce';

/** The one `onEvent` subscription of a store, made on its first load and dropped by tests. */
export interface EventSubscription {
  ensure(onEvent: (event: AppEvent) => void): void;
  reset(): void;
}

export function eventSubscription(): EventSubscription {
  let unsubscribe: (() => void) | null = null;
  return {
    ensure(onEvent) {
      if (!unsubscribe) unsubscribe = getApi().onEvent(onEvent);
    },
    reset() {
      unsubscribe?.();
      unsubscribe = null;
    },
  };
}

/** A fleet-wide list as a store holds it. */
export interface HostList<Row, Unreachable> {
  tenants: Row[];
  unreachable: Unreachable[];
  loaded: boolean;
  loadedAt: string | null;
}

/**
 * Reads the list once (a call while one runs is folded into it): the rows, the unreachable hosts
 * and when. `busy` flags the read; a failure shows in `scope` unless `quiet`.
 */
export function loadHostList<Row, Unreachable>(
  load: Coalesced,
  read: () => Promise<{ tenants: Row[]; unreachable: Unreachable[] }>,
  set: (patch: HostList<Row, Unreachable>) => void,
  busy: (on: boolean) => void,
  scope: ErrorScope,
  quiet: boolean | undefined,
): Promise<void> {
  return load.run(
    async () => {
      const r = await read();
      set({
        tenants: r.tenants,
        unreachable: r.unreachable,
        loaded: true,
        loadedAt: new Date().toISOString(),
      });
    },
    {
      busy,
      fail: (err) => {
        if (!quiet) useConsole.getState().showError(scope, err);
      },
    },
  );
}

/** The page's address, typed here so the stores also run in unit tests (no DOM there). */
const browser = globalThis as unknown as { location?: { hash: string } };

/** Shows `screen` and puts `hash` in the address (so Back works). */
export function showInAddress(screen: ScreenName, hash: string): void {
  useConsole.getState().setScreen(screen);
  const loc = browser.location;
  if (loc && loc.hash !== hash) loc.hash = hash;
}

/**
 * Whether `next` is another route than `current`; when it is, a screen's error (not a global
 * one) is cleared, as it belonged to the view being left.
 */
export function routeChanges(current: unknown, next: unknown): boolean {
  if (JSON.stringify(current) === JSON.stringify(next)) return false;
  const error = useConsole.getState().error;
  if (error && error.scope !== 'global') useConsole.getState().clearError();
  return true;
}

/** One piece of a store's work, run under a busy flag by `busyRunner`. */
export interface BusyWork<T> {
  /** A user's action: the console's error is cleared first (background reads leave it). */
  clearsError?: boolean;
  run: () => Promise<T>;
  /** What a failure does (show it, store it) and what the action gives then. */
  fail: (err: unknown) => T;
  /** After either, once the busy flag is down. */
  done?: () => void;
}

/**
 * The stores' guard around an action: `runner(key, idle, work)` gives `idle` at once when `key`
 * is busy already; otherwise it raises the flag, runs `work` (its `fail` on an error) and lowers
 * the flag, then `done`.
 */
export function busyRunner(
  busy: () => Record<string, boolean>,
  setBusy: (key: string, on: boolean) => void,
): <T>(key: string, idle: T, work: BusyWork<T>) => Promise<T> {
  return async (key, idle, work) => {
    if (busy()[key]) return idle;
    setBusy(key, true);
    if (work.clearsError) useConsole.getState().clearError();
    try {
      return await work.run();
    } catch (err) {
      return work.fail(err);
    } finally {
      setBusy(key, false);
      work.done?.();
    }
  };
}

/**
 * The work of reading one entry (a tenant's backups or status, a host's schedule), for
 * `busyRunner`: `keep` stores what was read with when (and clears the entry's error); a failure
 * is stored with `failed`, and shown in `scope` unless `quiet` or an entry read before is still
 * `shown()`.
 */
export function entryRead<T>(
  read: () => Promise<T>,
  keep: (value: T, at: string) => void,
  failed: (info: ErrorInfo) => void,
  shown: () => boolean,
  scope: ErrorScope,
  quiet: boolean | undefined,
): BusyWork<void> {
  return {
    run: async () => {
      const value = await read();
      keep(value, new Date().toISOString());
    },
    fail: (err) => {
      failed(toErrorInfo(err));
      if (!quiet && !shown()) useConsole.getState().showError(scope, err);
    },
  };
}
