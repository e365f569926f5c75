import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertsView } from '../../src/shared/agent/alerts';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { runTruffles, type CliResult } from '../helpers/cli';
import { sandbox } from '../helpers/sandbox';
import { tenantHost, uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';
import { start as startTelegram } from '../sandbox/images/telegram-standin/lib/server.mjs';
import type { Standin, StandinMessage } from '../sandbox/images/telegram-standin/lib/server.d.mts';

/**
 * Issue 14 against the real test host, with NO console connected while the rules fire: the
 * host's agent watches a real tenant, fires and resolves, and sends through its persisted queue
 * to a Telegram Bot API STAND-IN (test/sandbox/images/telegram-standin; not Telegram), which
 * answers 429 for the first minute; the agent is restarted in the middle of it.
 *
 * One timeline, so the two-minute rules are waited for once:
 *   t0   the stand-in answers 429 (retry_after 5) for 60 s; alerts configured; the console closes
 *        three containers crash one after another (exit 7); a restart loop starts; a 20 MB disk
 *        is filled to 87 %; the tenant's PostgreSQL is frozen (SIGSTOP) → unhealthy; a second
 *        service blips unhealthy for 30 s; a certificate expiring in 10 days is on the edge
 *   t+30 the agent is restarted (docker restart)
 *   +60  the stand-in takes messages again: everything queued arrives, in order, once
 *   disk hovers between 80 % and 85 % and back: no second message
 *   unhealthy +120 s: exactly one message for PostgreSQL; the blip: none
 *   PostgreSQL thawed: one resolve
 *   a backup record made stale (moved back 27 h): the stale alert; a failed run: at once
 */
let t: ReturnType<typeof tempDir>;
let core: Core;
let tg: Standin;
const slug = uniqueSlug('alrt');
const side = uniqueSlug('alrx');
const containers: string[] = [];
const DISK_MOUNT = '/mnt/truffles-alert-disk';
const DISK_IMG = '/var/tmp/truffles-alert-disk.img';
let stateDir = '/opt/truffles';
let backupJsonMadeHere = false;
let backupDir = '';
let pgPid = '';
let edge = '';
let acmeBefore: string | null = null;
const CHAT = '-1001234567890';
const PASSPHRASE = 'alerts test passphrase';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
}

async function until<T>(
  what: string,
  f: () => Promise<T> | T,
  ok: (v: T) => boolean,
  ms: number,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const about = (m: StandinMessage, ...words: string[]): boolean => words.every((w) => m.text.includes(w));
/** The tenant's PostgreSQL alert (fire or resolve: both carry its title). */
const aboutPg = (m: StandinMessage): boolean =>
  m.text.includes(slug) && /postgres is (unhealthy|down)/.test(m.text);

/** A light container of ours (a tenant's labels): a shell of the test host's Redis image (Debian). */
function light(name: string, service: string, tenant: string, script: string, extra: string[] = []): void {
  docker(
    'run',
    '--detach',
    '--name',
    name,
    '--label',
    `org.truffles.tenant=${tenant}`,
    '--label',
    `com.docker.compose.service=${service}`,
    ...extra,
    '--entrypoint',
    'sh',
    sandbox().images.redis,
    '-c',
    script,
  );
  containers.push(name);
}

/** Fill the test disk to `pct` % (used / (used + available), as df and the rule count it). */
function fillDisk(pct: number): void {
  const stat = sh('stat', '-f', '--format', '%b %f %a %S', DISK_MOUNT).split(' ').map(Number);
  const [blocks = 0, free = 0, avail = 0, size = 0] = stat;
  const used = blocks - free;
  const fillerNow = existsSync(`${DISK_MOUNT}/filler`)
    ? Number(sh('stat', '--format', '%s', `${DISK_MOUNT}/filler`))
    : 0;
  const base = used * size - fillerNow;
  const total = used * size + avail * size;
  const want = Math.max(0, Math.round((total * pct) / 100 - base));
  // truncate gives blocks back when it shrinks; fallocate takes them when it grows.
  if (want < fillerNow) execFileSync('truncate', ['-s', String(want), `${DISK_MOUNT}/filler`]);
  else execFileSync('fallocate', ['-l', String(want), `${DISK_MOUNT}/filler`]);
}

async function view(): Promise<AlertsView> {
  const r = await core.call('alerts.list', { host: 'sb', limit: 200 });
  const v = r.hosts[0]?.view;
  if (!v) throw new Error(`no alerts view: ${JSON.stringify(r.hosts[0]?.error)}`);
  return v;
}

function truffles(...args: string[]): CliResult {
  return runTruffles({ home: join(t.dir, 'home'), passphrase: PASSPHRASE, timeoutMs: 60_000 }, ...args);
}

function newCore(): Core {
  return new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => PASSPHRASE),
    mode: 'cli',
    healthOptions: { agentEnv: { TRUFFLES_ALERTS_SIDE_SECONDS: '3' } },
  });
}

beforeAll(async () => {
  t = tempDir();
  core = newCore();
  await tenantHost(core);
  stateDir = (await core.hosts.get('sb')).stateDir;
  await core.tenants.create({
    slug,
    host: 'sb',
    plan: 'starter',
    modules: [],
    env: {},
    keepOnFailure: false,
  });
  pgPid = docker('inspect', '--format', '{{.State.Pid}}', `${slug}-postgres-1`);

  // A small filesystem of its own, mounted before the agent starts (its container sees the host's
  // mounts as they are when it starts).
  execFileSync('truncate', ['-s', '24M', DISK_IMG]);
  execFileSync('mkfs.ext4', ['-q', '-F', DISK_IMG]);
  mkdirSync(DISK_MOUNT, { recursive: true });
  execFileSync('mount', ['-o', 'loop', DISK_IMG, DISK_MOUNT]);

  // The edge serves a certificate for the tenant's domain expiring in 10 days (from its ACME storage).
  edge = docker('ps', '--quiet', '--filter', 'label=org.truffles.edge=true');
  const domain = `${slug}.${(await core.hosts.get('sb')).baseDomain}`;
  const certDir = join(t.dir, 'cert');
  mkdirSync(certDir);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '10',
      '-keyout',
      join(certDir, 'k.pem'),
      '-out',
      join(certDir, 'c.pem'),
      '-subj',
      `/CN=${domain}`,
      '-addext',
      `subjectAltName=DNS:${domain}`,
    ],
    { stdio: 'ignore' },
  );
  acmeBefore = docker('exec', edge, 'cat', '/letsencrypt/acme.json');
  const acme = {
    letsencrypt: {
      Account: null,
      Certificates: [
        {
          domain: { main: domain },
          certificate: readFileSync(join(certDir, 'c.pem')).toString('base64'),
          key: readFileSync(join(certDir, 'k.pem')).toString('base64'),
          Store: 'default',
        },
      ],
    },
  };
  writeFileSync(join(certDir, 'acme.json'), JSON.stringify(acme));
  docker('cp', join(certDir, 'acme.json'), `${edge}:/letsencrypt/acme.json`);
  docker('exec', edge, 'chmod', '600', '/letsencrypt/acme.json');

  // Backups on this host (the backup agent's settings), unless a schedule is already there.
  const backupJson = join(stateDir, 'agent', 'backup.json');
  if (!existsSync(backupJson)) {
    mkdirSync(join(stateDir, 'agent'), { recursive: true });
    writeFileSync(
      backupJson,
      JSON.stringify({
        version: 1,
        stateDir,
        backupDir: join(stateDir, 'backups'),
        drillWeekday: null,
        offsite: null,
      }),
    );
    backupJsonMadeHere = true;
  }
  backupDir = (JSON.parse(readFileSync(backupJson, 'utf8')) as { backupDir: string }).backupDir;
  mkdirSync(join(backupDir, slug), { recursive: true });
  const ok = {
    at: new Date().toISOString(),
    tenant: slug,
    kind: 'scheduled',
    ok: true,
    id: 'fresh',
    error: null,
    seconds: 3,
  };
  writeFileSync(join(backupDir, slug, 'runs.jsonl'), `${JSON.stringify(ok)}\n`);

  tg = await startTelegram({ host: '127.0.0.1', quiet: true });
  await core.call('agent.update', { host: 'sb' });
}, 600_000);

afterAll(async () => {
  try {
    execFileSync('kill', ['-CONT', pgPid], { stdio: 'ignore' });
  } catch {
    // not frozen
  }
  for (const c of containers) {
    try {
      docker('rm', '-f', c);
    } catch {
      // gone
    }
  }
  if (acmeBefore !== null && edge) {
    writeFileSync(join(t.dir, 'acme-before.json'), acmeBefore);
    docker('cp', join(t.dir, 'acme-before.json'), `${edge}:/letsencrypt/acme.json`);
    docker('exec', edge, 'chmod', '600', '/letsencrypt/acme.json');
  }
  // The next agent (other tests install it) starts clean of this test's alerts and disk.
  try {
    docker('rm', '-f', 'truffles-agent');
  } catch {
    // none
  }
  rmSync(join(stateDir, 'health', 'alerts'), { recursive: true, force: true });
  try {
    execFileSync('umount', [DISK_MOUNT], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
  rmSync(DISK_IMG, { force: true });
  if (backupDir) rmSync(join(backupDir, slug), { recursive: true, force: true });
  if (backupJsonMadeHere) rmSync(join(stateDir, 'agent', 'backup.json'), { force: true });
  await core?.tenants.delete(slug, slug, 'sb').catch(() => undefined);
  await core?.close();
  await tg?.close();
  t?.cleanup();
}, 180_000);

describe('alerts on the host, with no console connected (Telegram = STAND-IN)', () => {
  let unhealthyAt = 0;
  let thawedAt = 0;

  it('fires, resolves and delivers everything in order across 429s and an agent restart', async () => {
    tg.setMode({ tooManyRequests: { forMs: 60_000, retryAfter: 5 } });
    const configured = await core.call('alerts.configure', {
      host: 'sb',
      telegram: [{ chatId: CHAT, language: 'en' }],
      telegramApi: tg.url,
      digestAfter: 100,
      token: tg.token,
    });
    expect(configured.telegramToken).toBe(true);
    expect(JSON.stringify(configured)).not.toContain(tg.token);
    await core.close(); // no console from here on

    const t0 = Date.now();
    for (let i = 1; i <= 3; i++) {
      light(`${side}-crash${i}`, `crash${i}`, side, 'sleep 1; exit 7');
      await sleep(2_500);
    }
    light(`${side}-loop`, 'loop', side, 'sleep 1; exit 3', ['--restart', 'always']);
    light(`${side}-blip`, 'blip', side, 'exec sleep infinity', [
      '--health-cmd',
      'test ! -f /tmp/bad',
      '--health-interval',
      '1s',
      '--health-retries',
      '1',
      '--health-timeout',
      '2s',
    ]);
    fillDisk(87);
    // A 30-second blip: the check fails, then passes again.
    await sleep(2_000);
    docker('exec', `${side}-blip`, 'touch', '/tmp/bad');
    const blipAt = Date.now();
    // PostgreSQL frozen: its health check times out and Docker turns it unhealthy.
    execFileSync('kill', ['-STOP', pgPid]);
    const pgName = `${slug}-postgres-1`;
    // Docker's own check runs every 30 s and calls it unhealthy after 3 failures: watched meanwhile.
    const pgUnhealthy = until(
      'PostgreSQL unhealthy',
      () => docker('inspect', '--format', '{{.State.Health.Status}}', pgName),
      (s) => s === 'unhealthy',
      150_000,
    ).then(() => (unhealthyAt = Date.now()));
    pgUnhealthy.catch(() => undefined);

    await sleep(Math.max(0, t0 + 30_000 - Date.now()));
    docker('restart', '--time', '2', 'truffles-agent');
    await sleep(Math.max(0, blipAt + 30_000 - Date.now()));
    docker('exec', `${side}-blip`, 'rm', '/tmp/bad');
    // Disk hovers between 80 and 85 % (and stays firing; never a second message).
    await sleep(Math.max(0, t0 + 105_000 - Date.now()));
    fillDisk(82);
    await sleep(20_000);
    fillDisk(84);

    // After the 429 minute: every message queued so far arrived, once each, in order.
    const crashes = await until(
      'the three crashes delivered',
      // Each crash's own message (a crash left exited is also down after 2 min: another alert).
      () =>
        tg.messages().filter((m) => m.chat_id === CHAT && /crash\d crashed with exit code 7/.test(m.text)),
      (ms) => ms.length >= 3,
      60_000,
    );
    expect(crashes.map((m) => /crash(\d)/.exec(m.text)?.[1])).toEqual(['1', '2', '3']);
    const refused = tg.requests().filter((r) => r.status === 429).length;
    expect(refused).toBeGreaterThan(0);
    const firstDelivered = Math.min(...tg.messages().map((m) => m.receivedAt));
    expect(firstDelivered).toBeGreaterThanOrEqual(t0 + 55_000);

    await pgUnhealthy;
    // Exactly one message for PostgreSQL, 120 s ± 10 s after Docker called it unhealthy.
    const pgFire = await until(
      'the PostgreSQL alert',
      () => tg.messages().filter(aboutPg),
      (ms) => ms.length >= 1,
      Math.max(0, unhealthyAt + 140_000 - Date.now()),
    );
    const late = (pgFire[0]!.receivedAt - unhealthyAt) / 1000;
    console.log(`PostgreSQL unhealthy → Telegram: ${late.toFixed(1)} s (rule: 120 s)`);
    expect(late).toBeGreaterThanOrEqual(110);
    expect(late).toBeLessThanOrEqual(130);

    execFileSync('kill', ['-CONT', pgPid]);
    thawedAt = Date.now();
    const pgAll = await until(
      'the PostgreSQL resolve',
      () => tg.messages().filter(aboutPg),
      (ms) => ms.length >= 2,
      120_000,
    );
    await sleep(5_000);
    const pg = tg.messages().filter(aboutPg);
    expect(pg).toHaveLength(2);
    expect(pg[1]!.disable_notification).toBe(true); // a resolve is silent
    expect(pgAll[1]!.receivedAt).toBeGreaterThan(thawedAt);

    const all = tg.messages();
    // Each crash once, across the 429s and the agent's restart.
    expect(
      all
        .filter((m) => /crash\d crashed with exit code 7/.test(m.text))
        .map((m) => /crash(\d)/.exec(m.text)?.[1]),
    ).toEqual(['1', '2', '3']);
    // The 30-second blip fired nothing.
    expect(all.filter((m) => m.text.includes(`${side}`) && m.text.includes('blip'))).toEqual([]);
    // The restart loop: one message for it as a loop.
    expect(all.filter((m) => m.text.includes(side) && m.text.includes('restarting in a loop'))).toHaveLength(
      1,
    );
    // The disk: one message, though it went 87 → 82 → 84 %.
    expect(all.filter((m) => m.text.includes(DISK_MOUNT))).toHaveLength(1);
    // The certificate expiring in 10 days: a warning (sent without sound).
    const cert = all.filter((m) => m.text.includes(`${slug}.`) && /certificate|сертификат/i.test(m.text));
    expect(cert).toHaveLength(1);
    expect(cert[0]!.disable_notification).toBe(true);
    // This test host has no firewall: reported, with the fix.
    const fw = all.filter((m) => /firewall/i.test(m.text));
    expect(fw).toHaveLength(1);
    expect(fw[0]!.text).toMatch(/ufw/);
  }, 600_000);

  it('a stale backup record fires at once, and so does a failed backup run', async () => {
    core = newCore();
    const old = {
      at: new Date(Date.now() - 27 * 3600_000).toISOString(),
      tenant: slug,
      kind: 'scheduled',
      ok: true,
      id: 'old',
      error: null,
      seconds: 3,
    };
    writeFileSync(join(backupDir, slug, 'runs.jsonl'), `${JSON.stringify(old)}\n`);
    const stale = await until(
      'the stale-backup alert',
      () => tg.messages().filter((m) => about(m, slug) && /backup|резервн/i.test(m.text)),
      (ms) => ms.length >= 1,
      30_000,
    );
    expect(stale[0]!.text).toMatch(/27/);
    const failed = {
      at: new Date().toISOString(),
      tenant: slug,
      kind: 'scheduled',
      ok: false,
      id: null,
      error: 'pg_dump: connection refused',
      seconds: 1,
    };
    writeFileSync(join(backupDir, slug, 'runs.jsonl'), `${JSON.stringify(old)}\n${JSON.stringify(failed)}\n`);
    const at = Date.now();
    const f = await until(
      'the failed-backup alert',
      () => tg.messages().filter((m) => m.text.includes('connection refused')),
      (ms) => ms.length >= 1,
      30_000,
    );
    // At once: within a few of the agent's side reads (every 3 s here) on a loaded test host, where
    // a rule that waited would take minutes.
    expect(f[0]!.receivedAt - at).toBeLessThan(20_000);
    const v = await view();
    expect(v.active.map((a) => a.ruleId)).toEqual(expect.arrayContaining(['backup-stale', 'backup-failed']));
  }, 120_000);

  it('people acknowledge and silence from the CLI; both are in the host’s audit trail', async () => {
    const disk = (await view()).active.find((a) => a.ruleId === 'disk' && a.subject.mount === DISK_MOUNT);
    expect(disk?.phase).toBe('firing');
    await core.close(); // the CLI is another process on the same console home
    const ack = truffles('alerts', 'ack', 'sb', `#a${disk!.id}`, '--note', 'filling on purpose');
    expect(ack.stderr).toBe('');
    expect(ack.code).toBe(0);
    const sil = truffles(
      'alerts',
      'silence',
      'sb',
      '--rule',
      'cert-expiry',
      '--subject',
      `cert=${slug}.*`,
      '--for',
      '1h',
      '--reason',
      'renewal booked',
    );
    expect(sil.code).toBe(0);
    const listed = truffles('alerts', '--host', 'sb', '--json');
    expect(listed.code).toBe(1); // something fires
    core = newCore();
    const v = await view();
    expect(v.active.find((a) => a.id === disk!.id)?.ack).toMatchObject({ note: 'filling on purpose' });
    expect(v.active.find((a) => a.id === disk!.id)?.ack?.by).toMatch(/@/);
    const silence = v.silences.find((x) => x.rule === 'cert-expiry');
    expect(silence?.reason).toBe('renewal booked');
    expect(silence!.until).toBeGreaterThan(Date.now() + 58 * 60_000);
    const audit = JSON.stringify(await core.call('hosts.audit', { name: 'sb', limit: 50 }));
    expect(audit).toContain('alerts.ack');
    expect(audit).toContain('alerts.silence');
    expect(audit).not.toContain(tg.token);
  }, 120_000);
});
