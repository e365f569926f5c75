import { describe, expect, it } from 'vitest';
import { BootSlots, bootSlotsFor } from '../../src/main/core/tenants/bootslots';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** A slot asked for while `held` holds the one there is: it comes only once `held` is given back. */
async function waitsFor(slots: BootSlots, host: string, held: () => void): Promise<void> {
  let got = false;
  const late = slots.acquire(host, async () => 8).then((r) => ((got = true), r));
  await tick();
  expect(got).toBe(false);
  held();
  (await late)();
  expect(got).toBe(true);
}

describe('n8n boot slots: one per two CPUs of a host, taken in turn', () => {
  it('sizes the slots by the host CPUs, at least one', () => {
    expect([0, 1, 2, 3, 4, 7, 16, Number.NaN].map(bootSlotsFor)).toEqual([1, 1, 1, 1, 2, 3, 8, 1]);
  });

  it('on a 2-CPU host the boots take turns, in order of arrival; other hosts do not wait', async () => {
    const slots = new BootSlots();
    let asked = 0;
    const cpus = async (): Promise<number> => {
      asked += 1;
      return 2;
    };
    const order: string[] = [];
    const waits: number[] = [];
    const first = await slots.acquire('a', cpus);
    const second = slots.acquire('a', cpus, (n) => waits.push(n)).then((r) => (order.push('second'), r));
    const third = slots.acquire('a', cpus, (n) => waits.push(n)).then((r) => (order.push('third'), r));
    const other = await slots.acquire('b', async () => 2);
    await tick();
    expect(order).toEqual([]);
    expect(slots.state('a')).toEqual({ busy: 1, waiting: 2 });
    expect(waits).toEqual([1, 1]);
    first();
    first(); // a second release of the same slot changes nothing
    const r2 = await second;
    await tick();
    expect(order).toEqual(['second']);
    expect(slots.state('a')).toEqual({ busy: 1, waiting: 1 });
    r2();
    (await third)();
    expect(order).toEqual(['second', 'third']);
    expect(slots.state('a')).toEqual({ busy: 0, waiting: 0 });
    expect(asked).toBe(1);
    other();
    expect(slots.state('b')).toEqual({ busy: 0, waiting: 0 });
  });

  it('a host with 4 CPUs boots two at once; a CPU count that cannot be read means one', async () => {
    const slots = new BootSlots();
    const a = await slots.acquire('four', async () => 4);
    const b = await slots.acquire('four', async () => 4);
    // The host's CPU count is asked once: the 8 the third would say changes nothing.
    await waitsFor(slots, 'four', a);
    b();
    expect(slots.state('four')).toEqual({ busy: 0, waiting: 0 });
    const x = await slots.acquire('unknown', () => Promise.reject(new Error('no nproc')));
    await waitsFor(slots, 'unknown', x);
    expect(slots.state('unknown')).toEqual({ busy: 0, waiting: 0 });
  });
});
