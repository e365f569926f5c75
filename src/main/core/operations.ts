import { randomUUID } from 'node:crypto';
import { CoreError } from './errors';

/**
 * Long operations that can be cancelled. Each has an id (the caller's `opId`, so it can cancel
 * before the answer comes, or a new one), a kind and a subject, and an AbortSignal that reaches
 * the host command (`exec`'s `signal`: the command gets TERM, then KILL, on the host). An
 * operation is listed from its start to its end, whichever way it ends.
 */
export interface OperationView {
  opId: string;
  kind: string;
  subject: string;
  startedAt: string;
  cancelled: boolean;
}

interface Running extends OperationView {
  controller: AbortController;
}

export interface Operation {
  opId: string;
  signal: AbortSignal;
}

export class Operations {
  private readonly running = new Map<string, Running>();

  /** Run `work` as an operation; a second operation with a running id is refused. */
  async run<T>(
    opId: string | undefined,
    kind: string,
    subject: string,
    work: (op: Operation) => Promise<T>,
  ): Promise<T> {
    const id = opId ?? randomUUID();
    if (this.running.has(id))
      throw new CoreError(
        'op.duplicate',
        `An operation with id ${id} is already running.`,
        'Give each operation its own id.',
      );
    const controller = new AbortController();
    this.running.set(id, {
      opId: id,
      kind,
      subject,
      startedAt: new Date().toISOString(),
      cancelled: false,
      controller,
    });
    try {
      return await work({ opId: id, signal: controller.signal });
    } catch (err) {
      if (controller.signal.aborted)
        throw new CoreError(
          'op.cancelled',
          `${kind} of ${subject} was cancelled; its command on the host was stopped.`,
          'Run it again when you want it.',
          { opId: id, cause: err instanceof CoreError ? err.code : String(err) },
        );
      throw err;
    } finally {
      this.running.delete(id);
    }
  }

  /** Cancel a running operation: its host command is stopped. False when none runs with that id. */
  cancel(opId: string): boolean {
    const op = this.running.get(opId);
    if (!op) return false;
    op.cancelled = true;
    op.controller.abort();
    return true;
  }

  list(): OperationView[] {
    return [...this.running.values()].map(({ controller: _c, ...view }) => view);
  }

  /** Cancel everything (the core is closing). */
  cancelAll(): void {
    for (const id of [...this.running.keys()]) this.cancel(id);
  }
}
