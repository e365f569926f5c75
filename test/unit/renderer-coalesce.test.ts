import { describe, expect, it } from 'vitest';
import { coalesced } from '../../src/renderer/src/kit/coalesce';

/** A step that waits until released, counting its runs. */
function gated(): { step: () => Promise<void>; release: () => void; runs: () => number } {
  let runs = 0;
  let open: (() => void) | null = null;
  return {
    step: () => {
      runs += 1;
      return new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    release: () => {
      const o = open;
      open = null;
      o?.();
    },
    runs: () => runs,
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('coalesced reloads', () => {
  it('calls during a run share its promise and make exactly one more fetch', async () => {
    const c = coalesced();
    const g = gated();
    const busy: boolean[] = [];
    const hooks = { busy: (on: boolean) => busy.push(on), fail: () => {} };
    const first = c.run(g.step, hooks);
    const second = c.run(g.step, hooks);
    const third = c.run(g.step, hooks);
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(g.runs()).toBe(1);
    g.release();
    await tick();
    expect(g.runs()).toBe(2); // the two calls made while it ran fold into one more fetch
    g.release();
    await first;
    expect(g.runs()).toBe(2);
    expect(busy).toEqual([true, false]);
    // Done: the next call starts a new run.
    const next = c.run(g.step, hooks);
    expect(next).not.toBe(first);
    g.release();
    await next;
    expect(g.runs()).toBe(3);
  });

  it('a failing fetch ends the run, is reported once, and the next call runs again', async () => {
    const c = coalesced();
    const failures: unknown[] = [];
    const busy: boolean[] = [];
    await c.run(() => Promise.reject(new Error('host down')), {
      busy: (on) => busy.push(on),
      fail: (e) => failures.push((e as Error).message),
    });
    expect(failures).toEqual(['host down']);
    expect(busy).toEqual([true, false]);
    let ran = 0;
    await c.run(
      async () => {
        ran += 1;
      },
      { busy: () => {}, fail: (e) => failures.push(e) },
    );
    expect(ran).toBe(1);
    expect(failures).toHaveLength(1);
  });
});
