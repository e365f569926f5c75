/**
 * One pass over many containers (a stats sweep): at most `concurrency` requests at once, each
 * given `timeoutMs` before it is aborted. A failure or a timeout is that id's result, never the
 * sweep's.
 */

/** The result of an id whose fetch did not answer in time. */
export class SweepTimeoutError extends Error {
  constructor(
    readonly id: string,
    readonly timeoutMs: number,
  ) {
    super(`${id}: no answer within ${timeoutMs} ms`);
    this.name = 'SweepTimeoutError';
  }
}

export interface SweepOptions {
  /** How many fetches run at once (at least 1). */
  concurrency: number;
  /** How long one fetch may take before its signal aborts and its result becomes a SweepTimeoutError. */
  timeoutMs: number;
}

/**
 * Fetch every id (duplicates once). The map holds each id's value or Error, in `ids` order.
 * A fetch that ignores its signal still frees its slot at the timeout, so a sweep of n ids lasts
 * at most about ⌈n / concurrency⌉ × timeoutMs.
 */
export async function sweep<T>(
  ids: string[],
  fetch: (id: string, signal: AbortSignal) => Promise<T>,
  opts: SweepOptions,
): Promise<Map<string, T | Error>> {
  const unique = [...new Set(ids)];
  const results = new Map<string, T | Error>(unique.map((id) => [id, new Error(`${id}: not fetched`)]));
  const workers = Math.max(1, Math.min(Math.floor(opts.concurrency) || 1, unique.length));
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < unique.length) {
      const id = unique[next++]!;
      results.set(id, await one(id, fetch, opts.timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: unique.length === 0 ? 0 : workers }, work));
  return results;
}

async function one<T>(
  id: string,
  fetch: (id: string, signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
): Promise<T | Error> {
  const ac = new AbortController();
  const timeout = new SweepTimeoutError(id, timeoutMs);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(timeout);
      ac.abort(timeout);
    }, timeoutMs);
  });
  expired.catch(() => {}); // handled by the race below, or unneeded when the fetch wins
  try {
    return await Promise.race([Promise.resolve().then(() => fetch(id, ac.signal)), expired]);
  } catch (err) {
    if (ac.signal.aborted) return timeout;
    return err instanceof Error ? err : new Error(`${id}: ${String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
