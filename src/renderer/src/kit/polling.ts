/**
 * Periodic work while a screen is open: run at once, then every `intervalMs` while the page is
 * visible. A run is never started while the previous one is still going; a tick missed while the
 * page was hidden runs as soon as it is shown again. Timers are injected so tests control time.
 */
export interface PollerOptions {
  intervalMs: number;
  run: () => Promise<unknown> | void;
  isVisible?: () => boolean;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  now?: () => number;
}

export interface Poller {
  /** Runs now and starts the timer. */
  start(): void;
  /** Stops the timer; a run in flight finishes on its own. */
  stop(): void;
  /** Call when the page's visibility changes: a due run happens when it becomes visible. */
  visibilityChanged(): void;
  /** Whether a run is in flight. */
  readonly running: boolean;
}

export function createPoller(o: PollerOptions): Poller {
  const isVisible = o.isVisible ?? (() => true);
  const setTimer = o.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = o.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const now = o.now ?? (() => Date.now());
  let timer: unknown = null;
  let active = false;
  let running = false;
  let lastStart = Number.NEGATIVE_INFINITY;

  function schedule(): void {
    if (timer !== null) clearTimer(timer);
    timer = active ? setTimer(tick, o.intervalMs) : null;
  }

  function runNow(): void {
    if (running || !active) return;
    running = true;
    lastStart = now();
    let result: Promise<unknown> | void;
    try {
      result = o.run();
    } catch {
      result = undefined;
    }
    void Promise.resolve(result)
      .catch(() => undefined)
      .finally(() => {
        running = false;
      });
  }

  function tick(): void {
    timer = null;
    if (isVisible()) runNow();
    schedule();
  }

  return {
    start() {
      if (active) return;
      active = true;
      if (isVisible()) runNow();
      schedule();
    },
    stop() {
      active = false;
      if (timer !== null) clearTimer(timer);
      timer = null;
    },
    visibilityChanged() {
      if (!active || !isVisible()) return;
      if (now() - lastStart >= o.intervalMs) {
        runNow();
        schedule();
      }
    },
    get running() {
      return running;
    },
  };
}
