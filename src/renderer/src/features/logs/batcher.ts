/**
 * Lines come in many small events; the pane takes them in once per animation frame. The queue
 * collects what arrives and hands it over in one call per frame (never per line or per event).
 */
export type Schedule = (run: () => void) => () => void;

/** requestAnimationFrame when there is one (a page), else a timer (tests, a hidden page's fallback). */
export const frameSchedule: Schedule = (run) => {
  const g = globalThis as {
    requestAnimationFrame?: (cb: () => void) => number;
    cancelAnimationFrame?: (id: number) => void;
  };
  if (g.requestAnimationFrame && g.cancelAnimationFrame) {
    const id = g.requestAnimationFrame(run);
    const cancel = g.cancelAnimationFrame;
    return () => cancel(id);
  }
  const id = setTimeout(run, 16);
  return () => clearTimeout(id);
};

export interface FrameQueue<T> {
  push(items: readonly T[]): void;
  /** Hands over what is queued now, without waiting for the frame. */
  flush(): void;
  /** Forgets what is queued and cancels the pending frame. */
  clear(): void;
  readonly pending: number;
}

export function frameQueue<T>(
  deliver: (items: T[]) => void,
  schedule: Schedule = frameSchedule,
): FrameQueue<T> {
  let queue: T[] = [];
  let cancel: (() => void) | null = null;
  const flush = (): void => {
    cancel?.();
    cancel = null;
    if (!queue.length) return;
    const items = queue;
    queue = [];
    deliver(items);
  };
  return {
    push(items) {
      if (!items.length) return;
      for (const item of items) queue.push(item);
      cancel ??= schedule(() => {
        cancel = null;
        flush();
      });
    },
    flush,
    clear() {
      cancel?.();
      cancel = null;
      queue = [];
    },
    get pending() {
      return queue.length;
    },
  };
}
