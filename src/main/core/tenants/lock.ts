import { hostname } from 'node:os';
import { posix } from 'node:path';
import { z } from 'zod';
import { CoreError } from '../errors';
import { auditActor } from '../audit/trail';
import type { HostTransport } from '../hosts/transport';
import { endsWithStdin, guardCommand } from './lock-commands';
import { muxFor } from './lock-mux';

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

/** A JSON file a console wrote on the host, or null when it is torn, foreign or from another version. */
function parseOrNull<S extends z.ZodType>(schema: S, text: string): z.output<S> | null {
  try {
    const p = schema.safeParse(JSON.parse(text));
    return p.success ? p.data : null;
  } catch {
    return null;
  }
}

const parseOwner = (text: string): LockOwner | null => parseOrNull(LockOwnerSchema, text);
const parseWork = (text: string): RunningWork | null => parseOrNull(RunningWorkSchema, text);
