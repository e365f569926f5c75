/**
 * The Knowledge screen's live feed of a tenant's jobs: a `kb.watch` held while the screen shows the
 * tenant (its `kb.progress` events go to the store's event handler). Made again when the browser
 * socket comes back (with the list read again: what changed meanwhile was not sent), and 10 s after
 * the core gave a watch up (`again`: its worker unreachable for a minute). `stop` unwatches, also a
 * watch whose answer is still on its way.
 */
import type { ErrorInfo } from '../../../../shared/contract';
import { call, getApi, isConnectedApi, toErrorInfo } from '../../api';
import type { TenantRef } from './kb';

/** How long after the core ended a watch it is made again. */
export const REWATCH_MS = 10_000;

export interface JobsWatch {
  readonly tenant: TenantRef;
  /** The core ended the watch: make it again in REWATCH_MS (once, however often it is asked). */
  again(): void;
  stop(): void;
}

export interface JobsWatchHooks {
  /** The watch answered (null) or could not be made (the error). */
  status(error: ErrorInfo | null): void;
  /** The socket came back: read the list again. */
  reload(): void;
}

const noop = (): void => {};

export function watchJobs(t: TenantRef, hooks: JobsWatchHooks): JobsWatch {
  let stopped = false;
  let watchId: string | null = null;
  let againTimer: ReturnType<typeof setTimeout> | null = null;
  const start = (): void => {
    void call('kb.watch', { slug: t.slug, host: t.host }).then(
      (r) => {
        if (stopped) void call('kb.unwatch', { watchId: r.watchId }).catch(noop);
        else {
          watchId = r.watchId;
          hooks.status(null);
        }
      },
      (err: unknown) => {
        if (!stopped) hooks.status(toErrorInfo(err));
      },
    );
  };
  const cancelAgain = (): void => {
    if (againTimer) clearTimeout(againTimer);
    againTimer = null;
  };
  start();
  const api = getApi();
  let dropped = false;
  const connectionOff = isConnectedApi(api)
    ? api.onConnection((state) => {
        if (state === 'closed') dropped = true;
        if (state === 'open' && dropped && !stopped) {
          dropped = false;
          watchId = null;
          // This new watch is also the one a pending `again` would have made.
          cancelAgain();
          start();
          hooks.reload();
        }
      })
    : noop;
  return {
    tenant: t,
    again: () => {
      watchId = null;
      if (stopped || againTimer) return;
      againTimer = setTimeout(() => {
        againTimer = null;
        if (!stopped) start();
      }, REWATCH_MS);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      connectionOff();
      cancelAgain();
      if (watchId) void call('kb.unwatch', { watchId }).catch(noop);
    },
  };
}
