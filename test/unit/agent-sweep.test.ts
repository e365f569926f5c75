import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { sweep, SweepTimeoutError } from '../../src/agent/sweep';

/** A fetch that takes `ms(id)` and honours its signal, counting how many run at once. */
function sleeper(ms: (id: string) => number) {
  const state = { running: 0, max: 0, aborted: [] as string[] };
  const fetch = async (id: string, signal: AbortSignal): Promise<string> => {
    state.running++;
    state.max = Math.max(state.max, state.running);
    try {
      await sleep(ms(id), undefined, { signal });
      return `stats of ${id}`;
    } catch (err) {
      if (signal.aborted) state.aborted.push(id);
      throw err;
    } finally {
      state.running--;
    }
  };
  return { fetch, state };
}

describe('sweep', () => {
  it('fetches every id with at most `concurrency` at once, results in ids order', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `c${i}`);
    const { fetch, state } = sleeper((id) => 20 + (Number(id.slice(1)) % 3) * 15);
    const started = Date.now();
    const out = await sweep(ids, fetch, { concurrency: 3, timeoutMs: 1_000 });
    const took = Date.now() - started;
    expect([...out.keys()]).toEqual(ids);
    expect([...out.values()]).toEqual(ids.map((id) => `stats of ${id}`));
    expect(state.max).toBe(3);
    expect(state.running).toBe(0);
    // 12 fetches of 20–50 ms, three at a time: well under running them one by one (~420 ms)
    expect(took).toBeGreaterThanOrEqual(4 * 20);
    expect(took).toBeLessThan(400);
  });

  it('aborts a fetch after timeoutMs; the Error names the id; the others succeed', async () => {
    const { fetch, state } = sleeper((id) => (id === 'slow' ? 5_000 : 10));
    const started = Date.now();
    const out = await sweep(['a', 'slow', 'b'], fetch, { concurrency: 2, timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(out.get('a')).toBe('stats of a');
    expect(out.get('b')).toBe('stats of b');
    const err = out.get('slow');
    expect(err).toBeInstanceOf(SweepTimeoutError);
    expect((err as Error).message).toMatch(/^slow: no answer within 100 ms/);
    await sleep(20); // the aborted fetch settles after the sweep has moved on
    expect(state.aborted).toEqual(['slow']);
    expect(state.running).toBe(0);
  });

  it('a fetch that ignores its signal still frees its slot at the timeout', async () => {
    const hung = (id: string): Promise<string> =>
      id === 'hung' ? new Promise<string>(() => {}) : sleep(10).then(() => id);
    const started = Date.now();
    const out = await sweep(['hung', 'x', 'y'], hung, { concurrency: 1, timeoutMs: 80 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((out.get('hung') as Error).message).toMatch(/^hung: /);
    expect(out.get('x')).toBe('x');
    expect(out.get('y')).toBe('y');
  });

  it("a failing fetch is that id's Error; thrown non-errors are wrapped; duplicates fetched once", async () => {
    let calls = 0;
    const out = await sweep(
      ['ok', 'bad', 'odd', 'ok'],
      async (id) => {
        calls++;
        await sleep(5);
        if (id === 'bad') throw new Error('no such container');
        if (id === 'odd') throw 'string thrown';
        return 1;
      },
      { concurrency: 8, timeoutMs: 500 },
    );
    expect(calls).toBe(3);
    expect(out.get('ok')).toBe(1);
    expect((out.get('bad') as Error).message).toBe('no such container');
    expect((out.get('odd') as Error).message).toBe('odd: string thrown');
    expect(out.size).toBe(3);
  });

  it('no ids: an empty map; concurrency below 1 counts as 1', async () => {
    expect((await sweep([], async () => 1, { concurrency: 4, timeoutMs: 10 })).size).toBe(0);
    const { fetch, state } = sleeper(() => 5);
    const out = await sweep(['a', 'b'], fetch, { concurrency: 0, timeoutMs: 500 });
    expect(out.size).toBe(2);
    expect(state.max).toBe(1);
  });
});
