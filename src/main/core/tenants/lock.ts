import { hostname } from 'node:os';
import { posix } from 'node:path';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { CoreError } from '../errors';
import { auditActor } from '../hosts/audit';
import type { HostTransport } from '../hosts/transport';

/**
 * A lock per tenant, held on the host, so two operators on two laptops cannot run conflicting
 * operations on one tenant. It is an exclusive `flock` held by a command on the host for as long
 * as the operation runs. The command waits on its standard input: when the operation ends the
 * console closes it; when the console dies or the connection is cut, sshd closes it — either way
 * the lock goes with its holder, and no stale lock is left to clean up. Who holds it and since
 * when is written next to it for the refusal message.
 */

export const LockOwnerSchema = z.object({
  actor: z.string(),
  machine: z.string(),
  pid: z.number(),
  operation: z.string(),
  since: z.string(),
});
export type LockOwner = z.infer<typeof LockOwnerSchema>;

export interface TenantLock {
  readonly owner: LockOwner;
  /** Let go of the lock; idempotent. */
  release(): Promise<void>;
  /** Rejects when the lock was lost (the holding command ended: connection cut). */
  readonly lost: Promise<never>;
}

const HOLD_SCRIPT = [
  'set -e',
  'mkdir -p -m 0750 -- "$1"',
  'exec 9>>"$1/$2.lock"',
  // -n: never wait; the caller reports who holds it.
  'if ! flock -n 9; then echo BUSY; cat -- "$1/$2.owner" 2>/dev/null || true; exit 75; fi',
  'printf "%s\\n" "$3" > "$1/$2.owner.tmp" && mv -f -- "$1/$2.owner.tmp" "$1/$2.owner"',
  'echo LOCKED',
  // Hold the lock until stdin ends (released, console gone, connection cut).
  'cat >/dev/null',
  'rm -f -- "$1/$2.owner"',
].join('\n');

export function locksDir(stateDir: string): string {
  return posix.join(stateDir, 'locks');
}

export async function acquireTenantLock(
  t: HostTransport,
  stateDir: string,
  slug: string,
  operation: string,
): Promise<TenantLock> {
  const owner: LockOwner = {
    actor: auditActor(),
    machine: hostname(),
    pid: process.pid,
    operation,
    since: new Date().toISOString(),
  };
  // The command holds the lock until this input ends.
  const input = new PassThrough();
  let out = '';
  let onLocked: (() => void) | null = null;
  const locked = new Promise<void>((resolve) => (onLocked = resolve));
  const run = t.exec(['sh', '-c', HOLD_SCRIPT, 'sh', locksDir(stateDir), slug, JSON.stringify(owner)], {
    stdin: input,
    onStdout: (d) => {
      out += d.toString('utf8');
      if (out.includes('LOCKED\n')) onLocked?.();
    },
  });
  const first = await Promise.race([locked.then(() => 'locked' as const), run.then((r) => r)]);
  if (first !== 'locked') {
    const r = first;
    if (r.code === 75) {
      const text = r.stdout.replace(/^BUSY\n/, '').trim();
      const holder = parseOwner(text);
      throw new CoreError(
        'tenant.locked',
        holder
          ? `Tenant '${slug}' is busy: ${holder.actor} is running '${holder.operation}' on it since ${holder.since}.`
          : `Tenant '${slug}' is busy: another operation holds its lock.`,
        'Wait for that operation to finish, then retry. The lock goes away by itself if that console quits or loses its connection.',
        holder ? { holder } : {},
      );
    }
    throw new CoreError(
      'tenant.lock-failed',
      `Could not take the lock of tenant '${slug}' on the host: ${r.stderr.trim() || `exit ${String(r.code)}`}.`,
      r.stderr.includes('flock')
        ? 'Install util-linux (flock) on the host.'
        : 'Check the state folder (truffles host check).',
    );
  }
  let released = false;
  const lost = run.then(
    () => {
      throw new CoreError(
        'tenant.lock-lost',
        `The lock of tenant '${slug}' was lost (the host ended it).`,
        'Run the operation again.',
      );
    },
    (err: unknown) => {
      if (released) return new Promise<never>(() => undefined);
      throw err instanceof CoreError && err.code.startsWith('ssh.')
        ? new CoreError(
            'tenant.lock-lost',
            `The connection holding the lock of tenant '${slug}' was lost.`,
            'Run the same command again: it resumes.',
          )
        : err;
    },
  ) as Promise<never>;
  lost.catch(() => undefined);
  return {
    owner,
    lost,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      input.end();
      await run.catch(() => undefined);
    },
  };
}

function parseOwner(text: string): LockOwner | null {
  try {
    const p = LockOwnerSchema.safeParse(JSON.parse(text));
    return p.success ? p.data : null;
  } catch {
    return null;
  }
}
