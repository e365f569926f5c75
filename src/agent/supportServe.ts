/**
 * The agent's side of the support door (issue 17): what supportDoor.ts needs from the host.
 *
 * - The redactor: every tenant's `.env` secret values (read from the host's `/`, read-only), renewed
 *   at most every 30 s, so a tenant created a minute ago has its secrets hidden too.
 * - The record of a read of people's data: one record through the host's one audit writer (the same
 *   script the console runs over SSH), run as the owner of the trail's folder, with the person the
 *   door's bridge named as the vouched actor (`proof: host`).
 * - The person's standing: the host's access list (`<stateDir>/access/keys`, kept by the console's
 *   grant and revoke), read at every request, so a revoke also stops a connection already open.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAccessList } from '../shared/access/keys';
import { AUDIT_APPEND_SCRIPT } from '../shared/audit/writer';
import type { AccessStanding } from './supportDoor';
import { envSecrets, Redactor } from '../shared/redact';
import { parseEnv, TENANT_SLUG } from './tenantenv';

const REDACTOR_TTL_MS = 30_000;

/** A redactor that knows every tenant's secrets, renewed at most every 30 s. */
export function tenantRedactor(rootfs: string, stateDir: string | null): () => Promise<Redactor> {
  let cached: { at: number; redactor: Promise<Redactor> } | null = null;
  const build = async (): Promise<Redactor> => {
    if (!stateDir) return new Redactor();
    const dir = join(rootfs, stateDir, 'tenants');
    const slugs = (await readdir(dir).catch(() => [] as string[])).filter((s) => TENANT_SLUG.test(s));
    const secrets: string[] = [];
    for (const slug of slugs) {
      let text: string;
      try {
        text = await readFile(join(dir, slug, '.env'), 'utf8');
      } catch (err) {
        // No .env (a tenant being made): nothing to hide yet. Any other failure: refuse rather than leak.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new Error(`the secrets of tenant ${slug} cannot be read`, { cause: err });
      }
      secrets.push(...envSecrets(parseEnv(text)));
    }
    return new Redactor(secrets);
  };
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > REDACTOR_TTL_MS) {
      const redactor = build();
      cached = { at: now, redactor };
      redactor.catch(() => {
        if (cached?.redactor === redactor) cached = null;
      });
    }
    return cached.redactor;
  };
}

/**
 * Append one record to the host's trail (`<auditRoot>/audit/trail.jsonl`), vouching for `actor`.
 * `auditRoot` is where the host's `<stateDir>/audit` is mounted, minus `/audit`.
 */
export async function appendTrail(
  auditRoot: string,
  actor: string,
  record: Record<string, unknown>,
): Promise<string> {
  const owner = await stat(join(auditRoot, 'audit'));
  const line = JSON.stringify(record);
  return new Promise((resolve, reject) => {
    const p = spawn('sh', ['-c', AUDIT_APPEND_SCRIPT, 'sh', auditRoot, line, actor], {
      // As the trail's owner: the console's writer (that account) must still open what this one makes.
      uid: owner.uid,
      gid: owner.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code === 0) resolve(out.trim());
      else
        reject(
          new Error(`the audit trail was not written (exit ${String(code)}): ${err.trim().slice(0, 200)}`),
        );
    });
  });
}

/**
 * Whether `actor` is on the host's access list with the support role and not past the day it was
 * granted until (`expires` YYYYMMDD, as sshd's expiry-time: from that day's start, UTC here). The
 * list's lines: `<fingerprint> <name> <role> <expires or -> <added at>`. No state folder or an
 * unreadable list: `unreadable` (the door then serves no one).
 */
export async function accessStanding(
  rootfs: string,
  stateDir: string | null,
  actor: string,
  now: Date = new Date(),
): Promise<AccessStanding> {
  if (!stateDir) return 'unreadable';
  let text: string;
  try {
    text = await readFile(join(rootfs, stateDir, 'access', 'keys'), 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'revoked' : 'unreadable';
  }
  return standingIn(text, actor, now);
}

/** The standing of `actor` in the access list's text (see accessStanding). */
export function standingIn(text: string, actor: string, now: Date): AccessStanding {
  const today = now.toISOString().slice(0, 10).replaceAll('-', '');
  const entry = parseAccessList(text).find((e) => e.name === actor && e.role === 'support');
  if (!entry) return 'revoked';
  return entry.expires && today >= entry.expires ? 'expired' : 'granted';
}
