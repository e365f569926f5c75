import { PassThrough } from 'node:stream';
import { CoreError } from '../errors';
import type { HostTransport } from '../hosts/transport';
import { lockMuxCommand } from './lock-commands';

/**
 * The lock multiplexer's console side (see lock.ts): one command per host connection and locks
 * folder, spoken to in lines on its stdin and stdout, that holds every tenant lock this console
 * has there and goes away a few seconds after the last is released.
 */

export type Reply =
  | { kind: 'locked'; pipe: string }
  | { kind: 'busy'; owner: string }
  | { kind: 'refused'; running: string[] }
  | { kind: 'error'; what: string; err?: CoreError };

interface Pending {
  resolve: (r: Reply) => void;
  running: string[];
}

/** One multiplexer command on a host connection, holding every lock this console has there. */
export class LockMux {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly unlocking = new Map<number, () => void>();
  private readonly held = new Map<number, (err: CoreError) => void>();
  private buffer = '';
  private ended: CoreError | null = null;
  /** What ended it as the transport said it (a connect failure is reported as itself). */
  private cause: CoreError | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly input = new PassThrough();
  readonly done: Promise<void>;

  constructor(
    t: HostTransport,
    dir: string,
    private readonly onEnd: () => void,
  ) {
    const run = t.exec(lockMuxCommand(dir), {
      label: 'tenant locks',
      stdin: this.input,
      onStdout: (d) => this.data(d.toString('utf8')),
    });
    this.done = run.then(
      (r) =>
        this.end(
          r.code === 72
            ? new CoreError(
                'tenant.lock-failed',
                'flock is missing on the host.',
                'Install util-linux (flock) on the host.',
              )
            : r.code === 71
              ? new CoreError(
                  'tenant.lock-failed',
                  `Could not set up the tenant locks in ${dir} on the host: ${r.stderr.trim().slice(-300) || 'exit 71'}.`,
                  'Check the state folder (truffles host check).',
                )
              : new CoreError(
                  'tenant.lock-lost',
                  `The host ended the command holding the tenant locks${r.stderr.trim() ? `: ${r.stderr.trim().slice(-300)}` : ''}.`,
                  'Run the operation again.',
                ),
        ),
      (err: unknown) => {
        if (err instanceof CoreError) this.cause = err;
        this.end(
          err instanceof CoreError && !err.code.startsWith('ssh.')
            ? err
            : new CoreError(
                'tenant.lock-lost',
                `The connection holding the tenant locks was lost${err instanceof Error ? ` (${err.message})` : ''}.`,
                'Run the same command again: it resumes.',
              ),
        );
      },
    );
  }

  /** Taking new locks: not once ended, nor once its idle close began. */
  get alive(): boolean {
    return !this.ended && !this.closing;
  }

  private data(text: string): void {
    this.buffer += text;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const m = /^(LOCKED|BUSY|RUNNING|REFUSED|ERROR|UNLOCKED) (\d+) ?(.*)$/.exec(line);
      if (!m) continue;
      const [, kind, idText, rest = ''] = m;
      const id = Number(idText);
      if (kind === 'UNLOCKED') {
        this.unlocking.get(id)?.();
        this.unlocking.delete(id);
        continue;
      }
      const p = this.pending.get(id);
      if (!p) continue;
      if (kind === 'RUNNING') {
        p.running.push(rest);
        continue;
      }
      this.pending.delete(id);
      if (kind === 'LOCKED') p.resolve({ kind: 'locked', pipe: rest });
      else if (kind === 'BUSY') p.resolve({ kind: 'busy', owner: rest });
      else if (kind === 'REFUSED') p.resolve({ kind: 'refused', running: p.running });
      else p.resolve({ kind: 'error', what: rest });
      this.maybeIdle();
    }
  }

  private end(reason: CoreError): void {
    if (this.ended) return;
    this.ended = reason;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.onEnd();
    for (const p of this.pending.values())
      p.resolve({ kind: 'error', what: reason.message, err: this.cause ?? reason });
    this.pending.clear();
    for (const u of this.unlocking.values()) u();
    this.unlocking.clear();
    for (const lose of this.held.values()) lose(reason);
    this.held.clear();
  }

  /** Ask for a lock: the reply, and (when locked) the id to release it with. */
  lock(slug: string, owner: string): Promise<{ id: number; reply: Reply }> {
    if (this.ended || this.closing)
      return Promise.resolve({
        id: 0,
        reply: {
          kind: 'error',
          what: this.ended?.message ?? 'closing',
          err: this.cause ?? this.ended ?? undefined,
        },
      });
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve: (reply) => resolve({ id, reply }), running: [] });
      this.input.write(`LOCK ${id} ${slug} ${owner}\n`);
    });
  }

  /** Hold `id` (locked): `lose` is called if the multiplexer ends first. */
  hold(id: number, lose: (err: CoreError) => void): void {
    if (this.ended) lose(this.ended);
    else this.held.set(id, lose);
  }

  async unlock(id: number): Promise<void> {
    if (!this.held.delete(id) || this.ended) return;
    const done = new Promise<void>((resolve) => this.unlocking.set(id, resolve));
    this.input.write(`UNLOCK ${id}\n`);
    await done;
    this.maybeIdle();
  }

  /** With no lock held or asked for, the multiplexer (and its channel) goes after a short while. */
  private maybeIdle(): void {
    if (this.ended || this.held.size || this.pending.size || this.unlocking.size || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (!this.held.size && !this.pending.size && !this.unlocking.size) {
        this.closing = true;
        this.onEnd();
        this.input.end();
      }
    }, MUX_IDLE_MS);
    this.idleTimer.unref();
  }
}

const MUX_IDLE_MS = 5_000;
const muxes = new WeakMap<HostTransport, Map<string, LockMux>>();

export function muxFor(t: HostTransport, dir: string): LockMux {
  let byDir = muxes.get(t);
  if (!byDir) {
    byDir = new Map();
    muxes.set(t, byDir);
  }
  const existing = byDir.get(dir);
  if (existing?.alive) return existing;
  const map = byDir;
  const mux: LockMux = new LockMux(t, dir, () => {
    if (map.get(dir) === mux) map.delete(dir);
  });
  map.set(dir, mux);
  return mux;
}
