import { hostname } from 'node:os';
import { posix } from 'node:path';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { CoreError } from '../errors';
import { auditActor } from '../hosts/audit';
import type { HostTransport } from '../hosts/transport';
import { endsWithStdin, guardCommand, lockMuxCommand } from './lock-commands';

export { endsWithStdin };

/**
 * A lock per tenant, held on the host, so two operators on two laptops cannot run conflicting
 * operations on one tenant. It is an exclusive `flock` on `locks/<slug>.lock`, with who holds it
 * and since when in `locks/<slug>.owner` for the refusal message.
 *
 * Every lock a console holds on a host lives in ONE command on that host, the lock multiplexer
 * (one session channel per connection, however many tenants are locked): a small sh script that
 * reads `LOCK id slug owner-json` / `UNLOCK id` lines on its stdin and holds each flock in a
 * background subshell, answering `LOCKED`/`BUSY` lines. When its stdin ends (the console
 * releases its last lock, quits, or the connection is cut) it ends every lock it holds; if it is
 * killed outright, each holder sees its pipe to the multiplexer close and ends too. So a lock
 * never outlives its holder and needs no expiry.
 *
 * Work that must end with the lock (issue 11, item 4) runs through `lock.guarded(argv)`: the
 * command gets its own process group, killed when the lock goes (a watcher on a pipe the lock's
 * holder keeps open), and holds a shared flock on `locks/<slug>.work` while it lives. The next
 * holder of the tenant's lock checks that flock: while anything of an earlier operation still
 * runs, the new operation is refused, naming it (pid, command, since). One-off containers carry
 * the label `truffles.lock=<slug>` (`lock.containerLabels`); the next lock of the tenant removes
 * any left over by an operation that is gone.
 */

export const LockOwnerSchema = z.object({
  actor: z.string(),
  machine: z.string(),
  pid: z.number(),
  operation: z.string(),
  since: z.string(),
});
export type LockOwner = z.infer<typeof LockOwnerSchema>;

/** A command of an earlier operation still running on the host (from `locks/<slug>.work-<pid>`). */
export const RunningWorkSchema = z.object({
  pid: z.number(),
  since: z.string(),
  command: z.string(),
  operation: z.string().optional(),
  actor: z.string().optional(),
});
export type RunningWork = z.infer<typeof RunningWorkSchema>;

export interface TenantLock {
  readonly owner: LockOwner;
  /** Let go of the lock; idempotent. */
  release(): Promise<void>;
  /** Rejects when the lock was lost (the holding command ended: connection cut). */
  readonly lost: Promise<never>;
  /**
   * The argv that runs `argv` on the host so that it ends with this lock: its process group is
   * killed when the lock goes (connection cut, console killed), and while it runs the tenant's
   * next lock is refused naming it. Standard input, output and the exit code pass through.
   * `what` names it in that refusal (default: the first words of argv; never put secrets there).
   */
  guarded(argv: readonly string[], what?: string, options?: GuardOptions): string[];
  /** `--label` arguments for a one-off `docker run`: removed by the tenant's next lock if left over. */
  readonly containerLabels: readonly string[];
}

export interface GuardOptions {
  /**
   * The command's standard input is the lock's pipe instead of the channel's: it reads nothing,
   * and end-of-file the moment the lock goes. For `docker exec`/`compose exec` of a script made
   * with `endsWithStdin`: killing the docker client does not stop what runs in the container,
   * but its stdin closing does. (A command that needs its own input cannot have this.)
   */
  stdinFromLock?: boolean;
}

/** The slug part of lock file names: what the multiplexer accepts (tenant slugs, `edge`). */
const LOCK_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function locksDir(stateDir: string): string {
  return posix.join(stateDir, 'locks');
}

type Reply =
  | { kind: 'locked'; pipe: string }
  | { kind: 'busy'; owner: string }
  | { kind: 'refused'; running: string[] }
  | { kind: 'error'; what: string; err?: CoreError };

interface Pending {
  resolve: (r: Reply) => void;
  running: string[];
}

/** One multiplexer command on a host connection, holding every lock this console has there. */
class LockMux {
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

function muxFor(t: HostTransport, dir: string): LockMux {
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

export async function acquireTenantLock(
  t: HostTransport,
  stateDir: string,
  slug: string,
  operation: string,
): Promise<TenantLock> {
  if (!LOCK_NAME.test(slug))
    throw new CoreError(
      'tenant.lock-name',
      `'${slug.slice(0, 80)}' cannot name a tenant lock.`,
      'Use the tenant slug: lower-case letters, digits and dashes.',
    );
  const owner: LockOwner = {
    actor: auditActor(),
    machine: hostname(),
    pid: process.pid,
    operation,
    since: new Date().toISOString(),
  };
  const dir = locksDir(stateDir);
  let mux = muxFor(t, dir);
  let { id, reply } = await mux.lock(slug, JSON.stringify(owner));
  // A multiplexer that went idle (or whose connection dropped) just as we asked: one more try on a new one.
  if (reply.kind === 'error' && !mux.alive) {
    mux = muxFor(t, dir);
    ({ id, reply } = await mux.lock(slug, JSON.stringify(owner)));
  }
  if (reply.kind === 'busy') {
    const holder = parseOwner(reply.owner);
    throw new CoreError(
      'tenant.locked',
      holder
        ? `Tenant '${slug}' is busy: ${holder.actor} is running '${holder.operation}' on it since ${holder.since}.`
        : `Tenant '${slug}' is busy: another operation holds its lock.`,
      'Wait for that operation to finish, then retry. The lock goes away by itself if that console quits or loses its connection.',
      holder ? { holder } : {},
    );
  }
  if (reply.kind === 'refused') {
    const running = reply.running.map(parseWork).filter((w): w is RunningWork => !!w);
    const named = running.length
      ? running
          .map(
            (w) =>
              `pid ${w.pid} '${w.command}'${w.operation ? ` (${w.operation}${w.actor ? ` by ${w.actor}` : ''})` : ''} since ${w.since}`,
          )
          .join('; ')
      : 'a command whose details are gone';
    throw new CoreError(
      'tenant.work-running',
      `Tenant '${slug}' still runs work of an earlier operation that lost its lock: ${named}. Nothing was changed.`,
      `It is being stopped (its lock is gone); retry in a minute. If it does not end, stop it on the host: kill -TERM -- -${running[0]?.pid ?? 'PID'}`,
      { running },
    );
  }
  if (reply.kind === 'error') {
    if (reply.err) throw reply.err;
    throw new CoreError(
      'tenant.lock-failed',
      `Could not take the lock of tenant '${slug}' on the host: ${reply.what}.`,
      /flock/.test(reply.what)
        ? 'Install util-linux (flock) on the host.'
        : 'Check the state folder (truffles host check).',
    );
  }
  const pipe = reply.pipe;
  let released = false;
  let lose: (err: CoreError) => void = () => undefined;
  const lost = new Promise<never>((_, reject) => {
    lose = (err) => {
      if (released) return;
      reject(
        err.code === 'tenant.lock-lost'
          ? new CoreError(
              'tenant.lock-lost',
              `The lock of tenant '${slug}' was lost: ${err.message}`,
              err.hint,
            )
          : err,
      );
    };
  });
  lost.catch(() => undefined);
  const held = mux;
  const lockId = id;
  held.hold(lockId, (err) => lose(err));
  const work = posix.join(dir, `${slug}.work`);
  const lock: TenantLock = {
    owner,
    lost,
    containerLabels: ['--label', `truffles.lock=${slug}`],
    guarded(argv: readonly string[], what?: string, options: GuardOptions = {}): string[] {
      const command = (
        what ??
        argv
          .filter((a) => !a.includes('\n'))
          .slice(0, 6)
          .join(' ')
      ).slice(0, 200);
      const info = JSON.stringify({ command, operation, actor: owner.actor });
      return guardCommand(pipe, work, info, options.stdinFromLock === true, argv);
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      if (heldHere(t).get(slug) === lock) heldHere(t).delete(slug);
      await held.unlock(lockId);
    },
  };
  heldHere(t).set(slug, lock);
  lost.catch(() => {
    if (heldHere(t).get(slug) === lock) heldHere(t).delete(slug);
  });
  return lock;
}

/** The locks this console holds, per transport and tenant (for guardedByLock). */
const heldLocks = new WeakMap<HostTransport, Map<string, TenantLock>>();
function heldHere(t: HostTransport): Map<string, TenantLock> {
  let m = heldLocks.get(t);
  if (!m) {
    m = new Map();
    heldLocks.set(t, m);
  }
  return m;
}

/**
 * `argv` guarded by the lock this console holds on tenant `slug` over `t` (see
 * TenantLock.guarded), for call sites that do not have the lock object at hand; `argv` itself
 * when no such lock is held (the caller runs outside any tenant operation).
 */
export function guardedByLock(
  t: HostTransport,
  slug: string,
  argv: readonly string[],
  what?: string,
  options?: GuardOptions,
): string[] {
  const lock = heldLocks.get(t)?.get(slug);
  return lock ? lock.guarded(argv, what, options) : [...argv];
}

function parseOwner(text: string): LockOwner | null {
  try {
    const p = LockOwnerSchema.safeParse(JSON.parse(text));
    return p.success ? p.data : null;
  } catch {
    return null;
  }
}

function parseWork(text: string): RunningWork | null {
  try {
    const p = RunningWorkSchema.safeParse(JSON.parse(text));
    return p.success ? p.data : null;
  } catch {
    return null;
  }
}
