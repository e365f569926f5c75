import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { QdrantClient } from '@qdrant/js-client-rest';
import * as age from 'age-encryption';
import type pg from 'pg';
import { parseChainLine } from '../../src/main/core/audit/chain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../src/main/core/backups/archive';
import { Core } from '../../src/main/core/core';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { readHostFile, writeHostFile } from '../../src/main/core/tenants/hostfs';
import { parseEnvFile } from '../../src/main/core/tenants/service';
import { trailTail } from '../helpers/audit';
import { sandbox } from '../helpers/sandbox';
import { tenantHost, uniqueSlug, withTenantDb } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 11, item 8: backups must not die with one laptop. On the real test host (OpenSSH, Docker,
 * Compose v2, real PostgreSQL and n8n; Qdrant is the Qdrant STAND-IN, the edge the Traefik
 * STAND-IN), with the real agent script and the real `age`:
 *  - a console whose key the host does not encrypt to is refused, never silently re-keys the host;
 *    adding a key and re-keying are explicit and audited; several keys read the same archive;
 *  - the README's "restore a tenant without the console" block, run as written with an exported
 *    identity: age, tar, pg_restore, Qdrant's snapshot upload, and the data is back.
 */
const STATE = '/opt/truffles';
const CONFIG = `${STATE}/agent/backup.json`;
let t: ReturnType<typeof tempDir>;
let a: Core; // the console that set the host up
let b: Core; // another operator's console, with a key of its own
let tr: HostTransport;
const slug = uniqueSlug('keys');

function asRoot(cmd: string): string {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
}

/** A command as the host's SSH user, from a login of its own (not the console's connection). */
function asHostUser(cmd: string): { code: number; out: string } {
  try {
    return { code: 0, out: asRoot(`su -s /bin/sh ${sandbox().user} -c ${JSON.stringify(cmd)} 2>&1`) };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { code: e.status, out: e.stdout };
  }
}

const console_ = (name: string, pass: string): Core =>
  new Core({
    home: join(t.dir, name),
    secrets: new PassphraseProvider(async () => pass),
    mode: 'cli',
  });

/** The host's settings as the operator would edit them: this console's key, and only it. */
async function hostEncryptsOnlyTo(
  recipient: string,
  change: (config: Record<string, unknown>) => void = () => undefined,
): Promise<void> {
  const text = await readHostFile(tr, CONFIG);
  const config = text
    ? (JSON.parse(text) as Record<string, unknown>)
    : { version: 1, stateDir: STATE, backupDir: `${STATE}/backups`, at: '03:00' };
  config.recipient = recipient;
  config.recipients = [{ recipient, label: 'a', addedAt: '', addedBy: 'test' }];
  if (!config.retention) config.retention = { daily: 7, weekly: 4 };
  change(config);
  await tr.exec(['mkdir', '-p', '--', `${STATE}/agent`]);
  await writeHostFile(tr, CONFIG, JSON.stringify(config, null, 2) + '\n', 0o640);
}

async function hostRecipients(): Promise<string[]> {
  const c = JSON.parse((await readHostFile(tr, CONFIG)) ?? '{}') as {
    recipient?: string;
    recipients?: { recipient: string }[];
  };
  return c.recipients?.map((r) => r.recipient) ?? (c.recipient ? [c.recipient] : []);
}

/** The host's audit records, from its hash chain (each line's body). */
async function auditActions(): Promise<{ action: string; details: Record<string, unknown> }[]> {
  return (await trailTail(tr, STATE)).map(
    (l) => parseChainLine(l)?.body as { action: string; details: Record<string, unknown> },
  );
}

async function env(): Promise<Record<string, string>> {
  return parseEnvFile((await readHostFile(tr, `${STATE}/tenants/${slug}/.env`)) ?? '');
}

function withDb<T>(fn: (db: pg.Client) => Promise<T>): Promise<T> {
  return withTenantDb(a, tr, slug, fn, STATE);
}

async function withQdrant<T>(fn: (q: QdrantClient) => Promise<T>): Promise<T> {
  const e = await env();
  const tunnel = await tr.tunnel(await a.tenants.containerIp(tr, slug, 'qdrant'), 6333);
  try {
    return await fn(
      new QdrantClient({
        url: `http://127.0.0.1:${tunnel.localPort}`,
        headers: { 'api-key': e.QDRANT_API_KEY ?? '' },
        checkCompatibility: false,
      }),
    );
  } finally {
    tunnel.close();
  }
}

const vector = (seed: number): number[] =>
  Array.from({ length: 1536 }, (_, i) => Math.round(Math.sin(seed * 1000 + i) * 1e4) / 1e4);

async function contents(): Promise<{ customers: string[]; points: string[] }> {
  const customers = await withDb(async (db) =>
    (await db.query('select id, phone, name from customers order by id')).rows.map((r) => JSON.stringify(r)),
  );
  const points = await withQdrant(async (q) =>
    (await q.scroll('knowledge', { limit: 100, with_payload: true, with_vector: false })).points
      .map((p) => JSON.stringify(p))
      .sort(),
  );
  return { customers, points };
}

/** The archive decrypted with one identity, every part checked. */
async function readWith(identity: string, id: string): Promise<string> {
  const sink = new PassThrough();
  const reading = tr.exec(['cat', '--', `${STATE}/backups/${slug}/${id}.tar.age`], { stdout: sink });
  const manifest = await readArchive(sink, identity, { tenant: slug });
  await reading;
  return manifest.tenant;
}

beforeAll(async () => {
  t = tempDir();
  a = console_('a', 'console a passphrase');
  b = console_('b', 'console b passphrase');
  await tenantHost(a, 'sb');
  await tenantHost(b, 'sb');
  tr = await a.hosts.transport('sb');
  await a.backupKeys.init();
  await b.backupKeys.init();
  await a.tenants.create({ slug, host: 'sb', plan: 'starter', modules: [], env: {}, keepOnFailure: false });
  await withDb((db) =>
    db.query(`insert into customers (id, phone, name, channel) values
      ('11111111-1111-1111-1111-111111111111', '77770000001', 'Айгерим', 'whatsapp'),
      ('22222222-2222-2222-2222-222222222222', '77770000002', 'Bob''s "shop"', 'telegram'),
      ('33333333-3333-3333-3333-333333333333', '77770000003', null, 'web')`),
  );
  await withQdrant((q) =>
    q.upsert('knowledge', {
      wait: true,
      points: [1, 2, 3, 4].map((i) => ({ id: i, vector: vector(i), payload: { document_id: `doc-${i}` } })),
    }),
  );
}, 900_000);

afterAll(async () => {
  await a.fleet.deleteTenant(slug, slug, 'sb', true).catch(() => undefined);
  await tr.exec(['rm', '-rf', '--', `${STATE}/backups/${slug}`]).catch(() => undefined);
  await a.close();
  await b.close();
  t.cleanup();
}, 300_000);

describe('backup keys: several operators, no silent re-key (issue 11, item 8; real test host, Qdrant STAND-IN)', () => {
  it('a console whose key the host lacks is refused; its key joins only when added (audited); any key reads the archive', async () => {
    const ka = (await a.backupKeys.info())?.recipient ?? '';
    const kb = (await b.backupKeys.info())?.recipient ?? '';
    await hostEncryptsOnlyTo(ka);

    // Console B backs up: refused, and the host still encrypts to A's key only.
    await expect(b.backups.create(slug, 'sb')).rejects.toMatchObject({ code: 'backup.key-mismatch' });
    await expect(b.backups.schedule({ host: 'sb' })).rejects.toMatchObject({ code: 'backup.key-mismatch' });
    expect(await hostRecipients()).toEqual([ka]);
    const status = await b.backups.keyStatus('sb');
    expect(status).toMatchObject({ configured: true, matches: false, ours: kb });
    expect(status.recipients.map((r) => r.recipient)).toEqual([ka]);

    // B adds its key on purpose: audited on the host; both keys are listed.
    const added = await b.backups.addRecipient({ host: 'sb' });
    expect(added.matches).toBe(true);
    expect(added.recipients.map((r) => r.recipient)).toEqual([ka, kb]);
    expect(
      (await auditActions()).filter((x) => x.action === 'backup.recipient-add').pop()?.details,
    ).toMatchObject({ recipient: kb });
    const schedule = await a.backups.scheduleInfo('sb');
    expect(schedule.recipients?.map((r) => r.recipient)).toEqual([ka, kb]);

    // One archive, read by either private key.
    const made = await b.backups.create(slug, 'sb');
    expect(await readWith(await a.backupKeys.identity(), made.id)).toBe(slug);
    expect(await readWith(await b.backupKeys.identity(), made.id)).toBe(slug);

    // An offline recovery key (public half only) joins; the last key can never be removed.
    const offline = await age.identityToRecipient(await age.generateX25519Identity());
    const three = await a.backups.addRecipient({ host: 'sb', recipient: offline, label: 'offline recovery' });
    expect(three.recipients.map((r) => [r.recipient, r.label])).toContainEqual([offline, 'offline recovery']);
    const two = await a.backups.removeRecipient({ host: 'sb', recipient: offline });
    expect(two.recipients.map((r) => r.recipient)).toEqual([ka, kb]);

    // Re-keying replaces every key, only when confirmed with the host's name; audited with both sides.
    await expect(b.backups.rekey({ host: 'sb', confirm: 'nope' })).rejects.toMatchObject({
      code: 'backup.confirm',
    });
    expect(await hostRecipients()).toEqual([ka, kb]);
    const rekeyed = await b.backups.rekey({ host: 'sb', confirm: 'sb' });
    expect(rekeyed.recipients.map((r) => r.recipient)).toEqual([kb]);
    expect((await auditActions()).filter((x) => x.action === 'backup.rekey').pop()?.details).toMatchObject({
      from: [ka, kb],
      to: kb,
    });
    await expect(a.backups.create(slug, 'sb')).rejects.toMatchObject({ code: 'backup.key-mismatch' });
  }, 600_000);

  it("the README's restore without the console: age, tar, pg_restore and Qdrant's snapshot upload bring the data back", async () => {
    const ka = (await a.backupKeys.info())?.recipient ?? '';
    await hostEncryptsOnlyTo(ka);
    const before = await contents();
    expect(before.customers).toHaveLength(3);
    expect(before.points).toHaveLength(4);
    const made = await a.backups.create(slug, 'sb');

    // The recovery copy of the key, as `truffles backup key export` writes it, copied to the host.
    const local = join(t.dir, 'recovery-key.txt');
    await a.backupKeys.exportIdentity(local);
    const key = `/tmp/truffles-recovery-${slug}.txt`;
    await tr.upload(Readable.from([readFileSync(local)]), key, { mode: 0o600 });

    // The laptop is gone and the data is lost.
    await withDb((db) => db.query('truncate customers cascade'));
    await withQdrant((q) => q.deleteCollection('knowledge'));
    expect((await withDb((db) => db.query('select count(*)::int as n from customers'))).rows[0]).toEqual({
      n: 0,
    });

    // Exactly the README's block, with the variables it says to set.
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const block = /<!-- restore-without-console -->\n```sh\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(block).toBeTruthy();
    try {
      const r = await tr.exec(
        [
          'sh',
          '-c',
          `SLUG=$1; ARCHIVE=$2; KEY=$3; TENANT_DIR=$4\n${block ?? 'exit 9'}`,
          'sh',
          slug,
          `${STATE}/backups/${slug}/${made.id}.tar.age`,
          key,
          `${STATE}/tenants/${slug}`,
        ],
        { timeoutMs: 15 * 60_000 },
      );
      expect(r.stderr).not.toMatch(/FAILED/);
      expect(r.code).toBe(0);
    } finally {
      await tr.exec(['rm', '-f', '--', key]);
    }
    await a.tenants.waitHealthy(tr, slug);
    expect(await contents()).toEqual(before);
  }, 900_000);

  it('offsite: the reserve key is pinned on confirmation; the host may only add new files there; a failed copy is recorded as failed', async () => {
    const sb = sandbox();
    const ka = (await a.backupKeys.info())?.recipient ?? '';
    await hostEncryptsOnlyTo(ka);
    const home = `/home/${sb.user}`;
    const key = `${home}/.ssh/offsite-${slug}`;
    const reserve = `/opt/truffles-reserve-${slug}`;
    const receiver = `/opt/truffles-receiver-${slug}/truffles-offsite-receive`;
    const authorized = `/var/lib/truffles-sandbox/authorized_keys/${sb.user}`;
    const authBefore = readFileSync(authorized, 'utf8');
    asRoot(
      [
        `install -d -o ${sb.user} -m 0700 ${home} ${home}/.ssh`,
        `rm -f ${key} ${key}.pub`,
        `su -s /bin/sh ${sb.user} -c "ssh-keygen -q -t ed25519 -N '' -f ${key}"`,
        `install -d -o ${sb.user} -m 0750 ${reserve}`,
        `install -D -m 0755 ${join(__dirname, '..', '..', 'templates', 'backup', 'truffles-offsite-receive')} ${receiver}`,
      ].join(' && '),
    );
    const offsite = {
      target: `${sb.user}@${sb.address}`,
      port: sb.port,
      path: reserve,
      identityFile: key,
      keep: 14,
    };
    try {
      // The reserve's key is shown first, and pinned only as confirmed.
      const ask = await a.backups.schedule({ host: 'sb', offsite }).catch((e: unknown) => e);
      expect(ask).toMatchObject({
        code: 'backup.offsite-fingerprint',
        details: { fingerprint: sb.fingerprint },
      });
      await expect(
        a.backups.schedule({
          host: 'sb',
          offsite: { ...offsite, acceptFingerprint: `SHA256:${'A'.repeat(43)}` },
        }),
      ).rejects.toMatchObject({ code: 'backup.offsite-fingerprint' });
      const info = await a.backups.schedule({
        host: 'sb',
        offsite: { ...offsite, acceptFingerprint: sb.fingerprint },
      });
      expect(info.offsite).toMatchObject({
        target: `${sb.user}@${sb.address}:${reserve}`,
        fingerprint: sb.fingerprint,
      });
      expect(
        (await auditActions()).filter((x) => x.action === 'backup.schedule').pop()?.details,
      ).toMatchObject({
        offsite: { fingerprint: sb.fingerprint },
      });
      expect(await readHostFile(tr, `${STATE}/agent/offsite_known_hosts`)).toMatch(
        new RegExp(`^\\[${sb.address}\\]:${sb.port} ssh-ed25519 `),
      );

      // The line the operator puts on the reserve: restricted, the receiver forced, this host's folder.
      const { line } = await a.backups.offsiteKeyLine({ host: 'sb', receiver });
      expect(line).toMatch(
        new RegExp(`^command="${receiver} ${reserve}/sb 14",restrict ssh-ed25519 \\S+ truffles-offsite:sb$`),
      );
      writeFileSync(authorized, `${authBefore.replace(/\n?$/, '\n')}${line}\n`);

      // The first copy succeeds, with the pinned key only (the user has no known_hosts of its own).
      asRoot(`rm -f ${home}/.ssh/known_hosts`);
      const made = await a.backups.create(slug, 'sb');
      expect(made.offsite).toBe(true);
      const listed = await a.backups.list(slug, 'sb');
      expect(listed.runs[0]).toMatchObject({ ok: true, id: made.id, offsite: { ok: true, error: null } });
      const copy = `${reserve}/sb/${slug}/${made.id}.tar.age`;
      expect(asRoot(`sha256sum ${copy}`).split(' ')[0]).toBe(made.sha256);

      // A compromised host with that key: no shell, no delete, no overwrite, no path outside its folder.
      const ssh = `ssh -p ${sb.port} -i ${key} -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${STATE}/agent/offsite_known_hosts ${sb.user}@${sb.address}`;
      for (const attempt of [
        `${ssh} rm -rf ${reserve}`,
        `${ssh} sh -c 'true'`,
        `echo junk | ${ssh} put ${slug} ${made.id}.tar.age ${'0'.repeat(64)}`,
        `${ssh} put ${slug} ${made.id}.tar.age ${made.sha256} < /dev/null`,
        `echo junk | ${ssh} put ../../etc 20261125T030000Z-manual.tar.age ${'0'.repeat(64)}`,
        `echo junk | ${ssh} put ${slug} ../${made.id}.tar.age ${'0'.repeat(64)}`,
      ]) {
        const r = asHostUser(attempt);
        expect(r.code, attempt).not.toBe(0);
        expect(r.out, attempt).toMatch(/truffles-offsite-receive: /);
      }
      expect(asRoot(`sha256sum ${copy}`).split(' ')[0]).toBe(made.sha256);
      expect(asRoot(`ls -1A ${reserve}/sb/${slug}`).trim()).toBe(`${made.id}.tar.age`);

      // The reserve unreachable: the local backup stands, the run says the copy failed and why.
      await hostEncryptsOnlyTo(ka, (c) => {
        (c.offsite as { port: number }).port = 1;
      });
      const down = await a.backups.create(slug, 'sb');
      expect(down.offsite).toBe(false);
      const after = await a.backups.list(slug, 'sb');
      expect(after.runs[0]).toMatchObject({ ok: true, id: down.id, offsite: { ok: false } });
      expect(after.runs[0]?.offsite?.error).toMatch(/refused|port 1/i);
    } finally {
      await a.backups
        .schedule({ host: 'sb', offsite: null })
        .catch(() => hostEncryptsOnlyTo(ka, (c) => (c.offsite = null)));
      writeFileSync(authorized, authBefore);
      asRoot(`rm -rf ${reserve} ${key} ${key}.pub $(dirname ${receiver})`);
    }
  }, 600_000);
});
