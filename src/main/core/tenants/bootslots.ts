/**
 * How many n8n may boot at once on one host, in this console: one per two of the host's CPUs, at
 * least one. An n8n boot is ~20 s of CPU; four at once on a 2-CPU host made each of them 4–5×
 * slower and a fleet update four at a time slower than one by one (`npm run bench:fleet`). With the
 * boots taking turns, the rest of each update (its backup, files, data services, route) still runs
 * alongside the others'.
 *
 * A slot is taken just before n8n is (re)started and given back once its route answers or the
 * operation failed (steps/stack.ts: stepN8n, endN8nBoot). Waiting is in order of arrival.
 */

export function bootSlotsFor(cpus: number): number {
  return Number.isFinite(cpus) && cpus >= 2 ? Math.floor(cpus / 2) : 1;
}

interface HostSlots {
  limit: Promise<number>;
  busy: number;
  queue: Array<() => void>;
}

export class BootSlots {
  private readonly hosts = new Map<string, HostSlots>();

  /**
   * Waits for a slot on `host` (its CPU count asked once, through `cpus`); `waiting` is told how many
   * boots are ahead when it has to wait. Resolves with the slot's release (safe to call twice).
   */
  async acquire(
    host: string,
    cpus: () => Promise<number>,
    waiting?: (booting: number) => void,
  ): Promise<() => void> {
    let h = this.hosts.get(host);
    if (!h) {
      h = {
        limit: cpus().then(bootSlotsFor, () => 1),
        busy: 0,
        queue: [],
      };
      this.hosts.set(host, h);
    }
    const slots = h;
    const limit = await slots.limit;
    if (slots.busy >= limit || slots.queue.length > 0) {
      waiting?.(slots.busy);
      await new Promise<void>((resolve) => slots.queue.push(resolve));
    } else slots.busy += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slots.queue.shift();
      // The slot passes straight to the next in line (busy stays the same), or is free.
      if (next) next();
      else slots.busy -= 1;
    };
  }

  /** Boots running and waiting on `host` now. */
  state(host: string): { busy: number; waiting: number } {
    const h = this.hosts.get(host);
    return { busy: h?.busy ?? 0, waiting: h?.queue.length ?? 0 };
  }
}
