/**
 * The worker's queue: jobs in the order they came, at most `concurrency` running (and one per
 * document), each with an AbortController the cancel method and the shutdown use.
 */
import type { KbJob } from '../shared/kb/protocol';
import type { JobStore } from './jobs';

export class Queue {
  private readonly waiting: KbJob[] = [];
  private readonly running = new Map<string, AbortController>();
  private stopped = false;

  constructor(
    private readonly store: JobStore,
    private readonly run: (job: KbJob, signal: AbortSignal) => Promise<void>,
    readonly concurrency: number,
  ) {}

  get counts(): { running: number; queued: number } {
    return { running: this.running.size, queued: this.waiting.length };
  }

  push(job: KbJob): void {
    this.waiting.push(job);
    this.pump();
  }

  /** Cancel a queued job at once, a running one at its next step. False when it is not here. */
  async cancel(id: string): Promise<boolean> {
    const i = this.waiting.findIndex((j) => j.id === id);
    if (i >= 0) {
      const [job] = this.waiting.splice(i, 1);
      await this.store.update(job!, { phase: 'cancelled' });
      return true;
    }
    const c = this.running.get(id);
    if (!c) return false;
    c.abort(new Error('cancelled'));
    return true;
  }

  /** Stop taking jobs and abort the running ones (they resume on the next start: their files still say running). */
  stop(): void {
    this.stopped = true;
    for (const c of this.running.values()) c.abort(new Error('shutdown'));
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.concurrency) {
      const busyDocs = new Set(
        [...this.running.keys()].map((id) => this.store.get(id)?.documentId).filter(Boolean),
      );
      const i = this.waiting.findIndex((j) => !j.documentId || !busyDocs.has(j.documentId));
      if (i < 0) return;
      const [job] = this.waiting.splice(i, 1);
      const c = new AbortController();
      this.running.set(job!.id, c);
      void this.run(job!, c.signal)
        .catch(() => undefined)
        .finally(() => {
          this.running.delete(job!.id);
          this.pump();
        });
    }
  }
}
