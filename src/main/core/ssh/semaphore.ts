import { CoreError } from '../errors';
import { DEFAULT_SLOT_WAIT_MS } from './types';

/**
 * A counting semaphore with a FIFO queue: at most `limit` holders at once, the rest wait their
 * turn — for at most `waitMs` (then `ssh.busy`, naming what holds the slots). Guards the server's
 * session-channel budget (MaxSessions).
 */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<{ grant: () => void }> = [];
  private readonly holders = new Map<number, string>();
  private nextHolder = 1;
  constructor(
    private readonly limit: number,
    private readonly waitMs: number = DEFAULT_SLOT_WAIT_MS,
    private readonly where: string = 'the host',
  ) {}
  get inUse(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiters.length;
  }
  get capacity(): number {
    return this.limit;
  }
  /** What holds the slots now ("3× exec docker, 1× sftp"). */
  describeHolders(): string {
    const counts = new Map<string, number>();
    for (const what of this.holders.values()) counts.set(what, (counts.get(what) ?? 0) + 1);
    return [...counts].map(([what, n]) => `${n}× ${what}`).join(', ') || 'nothing';
  }
  async acquire(what = 'a command'): Promise<() => void> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const waiter = { grant: (): void => undefined };
        const timer = setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(
            new CoreError(
              'ssh.busy',
              `${what} waited ${Math.round(this.waitMs / 1000)} s for a session channel on ${this.where} and gave up: all ${this.limit} are in use (${this.describeHolders()}), ${this.waiters.length} more waiting.`,
              "Other operations on this host hold its channels: let them finish (or lower the fleet concurrency), then retry. More channels: raise MaxSessions in the host's sshd_config.",
              { inUse: this.active, limit: this.limit, holders: this.describeHolders() },
            ),
          );
        }, this.waitMs);
        timer.unref?.();
        waiter.grant = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.push(waiter);
      });
    } else this.active += 1;
    const id = this.nextHolder++;
    this.holders.set(id, what);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders.delete(id);
      const next = this.waiters.shift();
      if (next) next.grant();
      else this.active -= 1;
    };
  }
}
