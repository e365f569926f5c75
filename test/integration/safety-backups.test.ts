import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlugSchema } from '../../src/shared/contract';
import { writeArchive } from '../../src/main/core/backups/archive';
import { Core } from '../../src/main/core/core';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { acquireTenantLock } from '../../src/main/core/tenants/lock';
import { addSandboxHost } from '../helpers/hosts';
import { startExtraSshd, type ExtraSshd } from '../helpers/sandbox';
import { tenantHost, uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 11, items 5, 6, 7 and the agent's part of 15, on the real test host (real OpenSSH, Docker,
 * PostgreSQL, Redis, n8n; Qdrant and the edge are the stand-ins): the scheduled agent honours
 * tenant locks, drills run on an unrouted stack named outside the slug space, and decrypted
 * leftovers of interrupted restores and drills are swept by the next lock and by the agent.
 */
let t: ReturnType<typeof tempDir>;
let core: Core;
let tr: HostTransport;
let cut: ExtraSshd;
let slug: string;
let agent: string;
const STATE = '/opt/truffles';
const BACKUPS = `${STATE}/backups`;

async function sh(script: string, ...args: string[]): Promise<string> {
  const r = await tr.exec(['sh', '-c', script, 'sh', ...args], { timeoutMs: 600_000 });
  return r.stdout;
}

async function archiveIds(s: string): Promise<string[]> {
  return (await sh('cd "$1" 2>/dev/null && ls -1 -- *.tar.age 2>/dev/null || true', `${BACKUPS}/${s}`))
    .split('\n')
    .filter(Boolean)
    .sort();
}

async function lastRun(s: string): Promise<Record<string, unknown>> {
  const text = await sh('tail -n 1 -- "$1"', `${BACKUPS}/${s}/runs.jsonl`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Every decrypted leftover a restore or drill of this test could leave, as `find` sees it. */
async function plaintext(): Promise<string[]> {
  return (
    await sh(
      // Only this test's: its tenant's restores, and drill stacks (other suites' drills may run meanwhile).
      'find "$1/$2" "$1/.drills" "$3/drills" -mindepth 1 \\( -path "*/.restore-*" -o -path "*/drill--*" \\) 2>/dev/null || true',
      BACKUPS,
      slug,
      STATE,
    )
  )
    .split('\n')
    .filter(Boolean);
}

/** The agent as the scheduler runs it (no console), from a folder of its own so no console replaces it meanwhile. */
async function installPrivateAgent(): Promise<string> {
  const dir = `${STATE}/agent-test-${slug}`;
  await sh('mkdir -p -m 0750 -- "$1"', dir);
  await tr.upload(
    Readable.from([readFileSync(join(process.cwd(), 'templates', 'backup', 'truffles-backup'))]),
    `${dir}/truffles-backup`,
    { mode: 0o750 },
  );
  const config = {
    version: 1,
    stateDir: STATE,
    backupDir: BACKUPS,
    recipient: await core.backupKeys.recipient(),
    at: '03:00',
    retention: { daily: 7, weekly: 4 },
    offsite: null,
    drillWeekday: null,
  };
  await tr.upload(Readable.from([Buffer.from(JSON.stringify(config))]), `${dir}/backup.json`, {
    mode: 0o640,
  });
  return `${dir}/truffles-backup`;
}

async function lockIsFree(name: string): Promise<boolean> {
  const lock = await acquireTenantLock(tr, STATE, name, 'test').catch(() => null);
  await lock?.release();
  return lock !== null;
}

async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs `op` on the 'cut' host and kills that sshd (every session with it) when the core logs `at`. */
async function cutAt(at: RegExp, op: () => Promise<unknown>): Promise<void> {
  let killing: Promise<void> | null = null;
  const off = core.onEvent((e) => {
    if (!killing && e.type === 'log' && at.test(e.message)) killing = cut.kill();
  });
  try {
    await op().catch(() => undefined);
    expect(killing, `the operation never logged ${String(at)}`).not.toBeNull();
    await killing;
  } finally {
    off();
    await cut.restart();
  }
}

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'safety backups passphrase'),
    mode: 'cli',
  });
  await tenantHost(core, 'sb');
  cut = await startExtraSshd();
  await tenantHost(core, 'cut', { address: '127.0.0.1', port: cut.port, acceptFingerprint: cut.fingerprint });
  // The same machine again, without a base domain: drills must work there.
  await addSandboxHost(core, 'nobase');
  tr = await core.hosts.transport('sb');
  await core.backupKeys.init();
  slug = uniqueSlug('sfb');
  await core.tenants.create({
    slug,
    host: 'sb',
    plan: 'starter',
    modules: [],
    env: {},
    keepOnFailure: false,
  });
  // A fresh key on a test host other tests set up: taken over on purpose (refused otherwise).
  await core.backups.rekey({ host: 'sb', confirm: 'sb' });
  await core.backups.create(slug, 'sb');
  agent = await installPrivateAgent();
}, 900_000);

afterAll(async () => {
  await core.fleet.deleteTenant(slug, slug, 'sb', true).catch(() => undefined);
  await tr
    .exec(['rm', '-rf', '--', `${BACKUPS}/${slug}`, `${STATE}/agent-test-${slug}`])
    .catch(() => undefined);
  await core.close();
  await cut.stop();
  t.cleanup();
}, 300_000);

describe('backups honour tenant locks and leave no decrypted data behind (issue 11: 5, 6, 7, 15)', () => {
  it('a scheduled run skips a tenant whose lock is held (recording who and since), and backs it up once released', async () => {
    const before = await archiveIds(slug);
    const lock = await acquireTenantLock(tr, STATE, slug, 'restore');
    try {
      const r = await tr.exec([agent, 'run', '--tenant', slug, '--kind', 'scheduled'], {
        timeoutMs: 600_000,
      });
      expect(await archiveIds(slug)).toEqual(before);
      const run = await lastRun(slug);
      expect(run, r.stderr).toMatchObject({
        tenant: slug,
        kind: 'scheduled',
        ok: false,
        skipped: true,
        id: null,
      });
      expect(run.error).toContain("'restore'");
      expect(run.error).toContain(lock.owner.since);
      expect(r.code).toBe(75);
      // The console's list shows it as skipped, not as a success or a failure.
      expect((await core.backups.list(slug, 'sb')).runs[0]).toMatchObject({ skipped: true, ok: false });
      // An on-demand backup from another console is refused the same way, naming the holder.
      await expect(core.backups.create(slug, 'sb')).rejects.toMatchObject({ code: 'tenant.locked' });
    } finally {
      await lock.release();
    }
    const r = await tr.exec([agent, 'run', '--tenant', slug, '--kind', 'scheduled'], { timeoutMs: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    const added = (await archiveIds(slug)).filter((x) => !before.includes(x));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/-scheduled\.tar\.age$/);
    expect(await lastRun(slug)).toMatchObject({ ok: true, skipped: false });
    // While it ran it held the lock itself: nothing else holds it now.
    expect(await lockIsFree(slug)).toBe(true);
  }, 900_000);

  it('the agent never puts the Qdrant API key on a command line (curl on PATH records its argv)', async () => {
    const key = (
      await sh('sed -n "s/^QDRANT_API_KEY=\'\\(.*\\)\'$/\\1/p" "$1"', `${STATE}/tenants/${slug}/.env`)
    ).trim();
    expect(key.length).toBeGreaterThan(10);
    const bin = `${STATE}/agent-test-${slug}/bin`;
    await sh(
      'mkdir -p "$1" && real=$(command -v curl) && printf "%s\\n" "#!/bin/sh" "printf \'%s \' \\"\\$@\\" >> $1/argv.log; echo >> $1/argv.log" "exec $real \\"\\$@\\"" > "$1/curl" && chmod 0755 "$1/curl"',
      bin,
    );
    const r = await tr.exec(
      ['sh', '-c', 'PATH="$1:$PATH" exec "$2" run --tenant "$3" --kind manual', 'sh', bin, agent, slug],
      {
        timeoutMs: 600_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const argv = await sh('cat -- "$1/argv.log"', bin);
    expect(argv).toContain('/collections');
    expect(argv).not.toContain(key);
  }, 900_000);

  it('a drill runs on an unrouted stack named outside the slug space, also into a host without a base domain', async () => {
    // A restore cut off after its staging leaves decrypted data; the drill's lock sweeps it first.
    const backupId = ((await archiveIds(slug))[0] ?? '').replace(/\.tar\.age$/, '');
    await cutAt(/^Stopping n8n$/, () => core.backups.restore({ slug, host: 'cut', backupId, confirm: slug }));
    await until('the restore lock to go', () => lockIsFree(slug));
    const left = await plaintext();
    expect(left.some((p) => /\/\.restore-[^/]+\/postgres\.dump$/.test(p))).toBe(true);
    expect(left.some((p) => /\/\.restore-[^/]+\/files\/env$/.test(p))).toBe(true);

    const report = await core.backups.drill({ slug, host: 'sb', into: 'nobase' });
    expect(report, report.detail).toMatchObject({ kind: 'drill', ok: true, mismatches: [] });
    const name = report.target.replace(/@nobase$/, '');
    expect(name).toMatch(/^drill--[0-9a-f]{12}$/);
    expect(SlugSchema.safeParse(name).success).toBe(false);
    // The interrupted restore's staging went at the drill's lock; the drill's own went with it.
    expect(await plaintext()).toEqual([]);
    expect(await sh('docker ps -aq --filter "label=com.docker.compose.project=$1"', name)).toBe('');
    expect(await sh('ls -1 -- "$1/locks" | grep -F -e "$2" || true', STATE, name)).toBe('');
    // The tenant itself was not touched by the drill (its n8n is started again by its own restore later).
    expect((await core.tenants.list('sb')).tenants.some((x) => x.slug === name)).toBe(false);
  }, 900_000);

  it('a drill cut off mid-way leaves an unrouted stack, which the next agent run tears down with its staging', async () => {
    const running = cutAt(/^Copying the dump into the database container/, () =>
      core.backups.drill({ slug, host: 'cut' }),
    );
    await running;
    const stacks = (await sh('ls -1 "$1/drills" 2>/dev/null || true', STATE))
      .split('\n')
      .filter((x) => /^drill--/.test(x));
    const name = stacks.find(Boolean) ?? '';
    expect(name).toMatch(/^drill--[0-9a-f]{12}$/);
    await until('the drill lock to go', () => lockIsFree(name));
    // Unrouted: no Traefik label in its compose file or on its containers, none on web_gateway.
    const composeText = await sh('cat -- "$1/drills/$2/compose.yaml"', STATE, name);
    expect(composeText).toContain('postgres');
    expect(composeText).not.toMatch(/traefik|web_gateway|n8n:/);
    const labels = await sh(
      'for c in $(docker ps -aq --filter "label=com.docker.compose.project=$1"); do docker inspect -f "{{json .Config.Labels}}" "$c"; done',
      name,
    );
    expect(labels).toContain('org.truffles.drill');
    expect(labels).not.toContain('traefik');
    const gateway = await sh(
      'docker network inspect web_gateway -f "{{range .Containers}}{{.Name}} {{end}}"',
    );
    expect(gateway).not.toContain(name);
    expect((await plaintext()).some((p) => p.includes(`/.drills/${name}/postgres.dump`))).toBe(true);

    const r = await tr.exec([agent, 'run', '--tenant', slug, '--kind', 'manual'], { timeoutMs: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`sweep: removed the drill stack ${name}`);
    expect(await plaintext()).toEqual([]);
    expect(await sh('docker ps -aq --filter "label=com.docker.compose.project=$1"', name)).toBe('');
    expect(await sh('docker volume ls -q --filter "label=com.docker.compose.project=$1"', name)).toBe('');
    expect(await sh('ls -1 -- "$1/locks" | grep -F -e "$2" || true', STATE, name)).toBe('');
  }, 900_000);

  it('a restore cut off mid-way leaves decrypted staging, which the next agent run removes', async () => {
    const backupId = ((await archiveIds(slug))[0] ?? '').replace(/\.tar\.age$/, '');
    await cutAt(/^Stopping n8n$/, () =>
      core.backups.restore({ slug, host: 'cut', backupId, confirm: slug, skipSafetyBackup: true }),
    );
    await until('the restore lock to go', () => lockIsFree(slug));
    expect((await plaintext()).some((p) => /\/\.restore-[^/]+\/files\/env$/.test(p))).toBe(true);
    const r = await tr.exec([agent, 'run', '--tenant', slug, '--kind', 'manual'], { timeoutMs: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await plaintext()).toEqual([]);
    // The restore's safety backup ran under the restore's own lock (--lock-held): a full restore
    // through the console takes it and brings the tenant back.
    const last = ((await archiveIds(slug)).at(-1) ?? '').replace(/\.tar\.age$/, '');
    const report = await core.backups.restore({ slug, host: 'sb', backupId: last, confirm: slug });
    expect(report, report.detail).toMatchObject({ ok: true });
    expect(report.safetyBackupId).toMatch(/-safety/);
  }, 900_000);

  it('staging that stops making progress fails with backup.stalled instead of holding the lock forever', async () => {
    // A valid archive of this tenant, big enough that its read can be caught and frozen mid-way.
    const id = '20991231T000000Z-manual';
    const archive = `${BACKUPS}/${slug}/${id}.tar.age`;
    const sealed = await writeArchive(
      {
        tenant: slug,
        createdAt: new Date().toISOString(),
        tools: {},
        counts: { tables: {}, points: {}, workflows: 0 },
      },
      [{ name: 'postgres.dump', data: randomBytes(96 * 1024 * 1024) }],
      await core.backupKeys.recipient(),
    );
    await tr.upload(sealed, archive);
    core.backups.stallMs = 3000;
    let frozen = '';
    let stop = false;
    const freeze = (async () => {
      while (!stop && !frozen) {
        const r = await promisify(execFile)('pgrep', ['-f', '-x', `cat -- ${archive}`]).catch(() => ({
          stdout: '',
        }));
        const pid = r.stdout.trim().split('\n')[0];
        if (pid) {
          await promisify(execFile)('kill', ['-STOP', pid]);
          frozen = pid;
        }
      }
    })();
    try {
      await expect(
        core.backups.restore({ slug, host: 'sb', backupId: id, confirm: slug }),
      ).rejects.toMatchObject({
        code: 'backup.stalled',
      });
      expect(frozen).not.toBe('');
      expect(await lockIsFree(slug)).toBe(true);
      expect(await plaintext()).toEqual([]);
    } finally {
      stop = true;
      await freeze;
      if (frozen) await promisify(execFile)('kill', ['-KILL', frozen]).catch(() => undefined);
      core.backups.stallMs = 10 * 60_000;
      await tr.exec(['rm', '-f', '--', archive]);
    }
  }, 300_000);

  it('a real tenant may not take the drill prefix', () => {
    const r = SlugSchema.safeParse('drill--0123456789ab');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/reserved for restore drills/);
  });
});
