/** The browser side of polling and routing: the page's visibility and its address (DOM only, kept apart from `polling.ts`, which unit tests run in Node). */
import { createPoller } from './polling';

/**
 * The screens' shared load loop: `run` now and every `intervalMs` while the page is visible, again
 * as soon as it is shown after a missed tick. Returns the clean-up, so an effect returns it as is.
 */
export function startVisiblePolling(intervalMs: number, run: () => Promise<unknown> | void): () => void {
  const poller = createPoller({ intervalMs, run, isVisible: () => document.visibilityState === 'visible' });
  poller.start();
  const onVisibility = (): void => poller.visibilityChanged();
  document.addEventListener('visibilitychange', onVisibility);
  return () => {
    document.removeEventListener('visibilitychange', onVisibility);
    poller.stop();
  };
}

/**
 * Keeps a view in step with the address: `apply(hash)` now and on every hash change while the
 * hash starts with `prefix`. Returns the clean-up.
 */
export function followHash(prefix: string, apply: (hash: string) => void): () => void {
  const sync = (): void => {
    if (!location.hash.startsWith(prefix)) return;
    apply(location.hash);
  };
  sync();
  window.addEventListener('hashchange', sync);
  return () => window.removeEventListener('hashchange', sync);
}
