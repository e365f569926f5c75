import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { QdrantClient } from '@qdrant/js-client-rest';
import type Docker from 'dockerode';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive, writeArchive } from '../../src/main/core/backups/archive';
import { Core } from '../../src/main/core/core';
import { CoreError } from '../../src/main/core/errors';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { readHostFile, tenantDir } from '../../src/main/core/tenants/hostfs';
import { compose, parseEnvFile } from '../../src/main/core/tenants/service';
import { sandbox } from '../helpers/sandbox';
import { tenantHost, uniqueSlug, withTenantDb } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Backups, restores, drills and safe updates on the real test host: real OpenSSH, Docker Engine,
 * Compose v2, PostgreSQL (pg_dump/pg_restore), Redis and n8n; the host agent is the real script
 * (templates/backup/truffles-backup) with the real `age`, run over SSH, and by its cron line with
 * no console at all. Qdrant is the Qdrant STAND-IN (its snapshot API), the edge the Traefik STAND-IN.
 */
let t: ReturnType<typeof tempDir>;
let core: Core;
let tr: HostTransport;
let slug: string;
const created: string[] = [];
const STATE = '/opt/truffles';
const BACKUPS = `${STATE}/backups`;

async function env(s: string): Promise<Record<string, string>> {
  return parseEnvFile((await readHostFile(tr, `${STATE}/tenants/${s}/.env`)) ?? '');
}

function withDb<T>(s: string, fn: (db: pg.Client) => Promise<T>): Promise<T> {
  return withTenantDb(core, tr, s, fn, STATE);
}

async function withQdrant<T>(s: string, fn: (q: QdrantClient) => Promise<T>): Promise<T> {
  const e = await env(s);
  const tunnel = await tr.tunnel(await core.tenants.containerIp(tr, s, 'qdrant'), 6333);
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

const TABLES = ['customers', 'conversations', 'messages', 'billing_events', 'orders', 'payments'];

/** Everything the test put in, by content: rows of the §8 tables, n8n's workflows, Qdrant's points. */
async function contents(s: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  await withDb(s, async (db) => {
    for (const table of TABLES)
      out[table] = (await db.query(`select to_jsonb(x)::text as j from ${table} x order by 1`)).rows.map(
        (r: { j: string }) => r.j,
      );
    out.workflows = (
      await db.query('select id, name, nodes::text, connections::text from n8n.workflow_entity order by id')
    ).rows;
    out.credentials = (await db.query('select id, name, data from n8n.credentials_entity order by id')).rows;
  });
  out.points = await withQdrant(s, async (q) =>
    (await q.scroll('knowledge', { limit: 1000, with_payload: true, with_vector: true })).points
      .map((p) => JSON.stringify(p))
      .sort(),
  );
  return out;
}

function vector(seed: number): number[] {
  return Array.from({ length: 1536 }, (_, i) => Math.round(Math.sin(seed * 1000 + i) * 1e4) / 1e4);
}

async function writeKnownData(s: string): Promise<void> {
  await withDb(s, async (db) => {
    await db.query(`insert into customers (id, phone, name, channel, metadata, tags) values
      ('11111111-1111-1111-1111-111111111111', '77770000001', 'Айгерим', 'whatsapp', '{"vip": true}', '{a,b}'),
      ('22222222-2222-2222-2222-222222222222', '77770000002', 'Bob''s "shop"', 'telegram', '{}', '{}'),
      ('33333333-3333-3333-3333-333333333333', '77770000003', null, 'web', '{"n": 3}', '{c}')`);
    await db.query(`insert into conversations (id, customer_id, channel, status) values
      ('aaaaaaaa-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111', 'whatsapp', 'active'),
      ('aaaaaaaa-0000-0000-0000-000000000002', '22222222-2222-2222-2222-222222222222', 'telegram', 'closed')`);
    for (let i = 1; i <= 5; i++)
      await db.query(
        `insert into messages (conversation_id, direction, sender_type, content) values ($1, $2, $3, $4)`,
        [
          i % 2 ? 'aaaaaaaa-0000-0000-0000-000000000001' : 'aaaaaaaa-0000-0000-0000-000000000002',
          i % 2 ? 'inbound' : 'outbound',
          i % 2 ? 'customer' : 'bot',
          `сообщение ${i} — message ${i}`,
        ],
      );
    for (let i = 1; i <= 4; i++)
      await db.query(
        `insert into billing_events (event_type, model_provider, model_name, input_tokens, output_tokens, cost_usd)
         values ('llm_call', 'openai', 'gpt-4o-mini', $1, $2, $3)`,
        [100 * i, 10 * i, 0.000123 * i],
      );
    await db.query(`insert into orders (id, order_number, customer_id, amount, status, paid_at) values
      ('bbbbbbbb-0000-0000-0000-000000000001', 'ORD-1', '11111111-1111-1111-1111-111111111111', 15000.50, 'paid', now()),
      ('bbbbbbbb-0000-0000-0000-000000000002', 'ORD-2', '22222222-2222-2222-2222-222222222222', 990, 'pending', null)`);
    await db.query(`insert into payments (order_id, amount, provider_reference, status, matched_at, paid_at) values
      ('bbbbbbbb-0000-0000-0000-000000000001', 15000.50, 'KASPI-REF-1', 'matched', now(), now())`);
  });
  await withQdrant(s, (q) =>
    q.upsert('knowledge', {
      wait: true,
      points: [1, 2, 3, 4, 5].map((i) => ({
        id: i,
        vector: vector(i),
        payload: { document_id: `doc-${i % 2}`, text: `фрагмент ${i}` },
      })),
    }),
  );
}

async function archiveIds(s: string): Promise<string[]> {
  const r = await tr.exec([
    'sh',
    '-c',
    'cd "$1" 2>/dev/null && ls -1 -- *.tar.age 2>/dev/null || true',
    'sh',
    `${BACKUPS}/${s}`,
  ]);
  return r.stdout.split('\n').filter(Boolean).sort();
}

/** The archive as the console reads it: decrypted with this console's key, every part checked. */
async function verifyOnHost(s: string, id: string): Promise<Awaited<ReturnType<typeof readArchive>>> {
  const sink = new PassThrough();
  const reading = tr.exec(['cat', '--', `${BACKUPS}/${s}/${id}.tar.age`], { stdout: sink });
  const manifest = await readArchive(sink, await core.backupKeys.identity(), { tenant: s });
  await reading;
  return manifest;
}

async function startedAt(s: string): Promise<string[]> {
  const docker = await tr.docker();
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${s}`] },
  });
  return Promise.all(list.map(async (c) => (await docker.getContainer(c.Id).inspect()).State.StartedAt)).then(
    (x) => x.sort(),
  );
}

async function serviceContainer(s: string, service = 'postgres'): Promise<Docker.Container> {
  const docker = await tr.docker();
  const [c] = await docker.listContainers({
    filters: { label: [`com.docker.compose.project=${s}`, `com.docker.compose.service=${service}`] },
  });
  if (!c) throw new Error(`no ${service} container for ${s}`);
  return docker.getContainer(c.Id);
}

function asRoot(cmd: string): string {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
}

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'backups passphrase'),
    mode: 'cli',
  });
  await tenantHost(core, 'sb');
  tr = await core.hosts.transport('sb');
  await core.backupKeys.init();
  slug = uniqueSlug('bk');
  created.push(slug);
  await core.tenants.create({
    slug,
    host: 'sb',
    plan: 'pro',
    modules: ['integration_kaspi'],
    env: { KASPI_MERCHANT_ID: 'merchant-1' },
    keepOnFailure: false,
  });
  await writeKnownData(slug);
  // A fresh key on a test host other tests set up: taken over on purpose (refused otherwise).
  await core.backups.rekey({ host: 'sb', confirm: 'sb' });
}, 600_000);

afterAll(async () => {
  for (const s of created) {
    await core.fleet.deleteTenant(s, s, 'sb', true).catch(() => undefined);
    await tr.exec(['rm', '-rf', '--', `${BACKUPS}/${s}`]).catch(() => undefined);
  }
  await core.close();
  t.cleanup();
}, 300_000);

describe('backups on the real test host (Qdrant and the edge are stand-ins)', () => {
  let first = '';
  let before: Record<string, unknown> = {};

  it('installs the agent with a daily cron line at the chosen host time', async () => {
    const info = await core.backups.schedule({ host: 'sb', at: '03:00' });
    expect(info).toMatchObject({ installed: true, via: 'cron', at: '03:00', missing: [] });
    // The version of the script in templates/ (each change of the agent bumps it).
    const bundled = /^AGENT_VERSION=(\S+)$/m.exec(
      readFileSync(join(__dirname, '..', '..', 'templates', 'backup', 'truffles-backup'), 'utf8'),
    )?.[1];
    expect(info.agentVersion).toBe(bundled);
    const cron = await tr.exec(['crontab', '-l']);
    expect(cron.stdout).toMatch(
      /^0 3 \* \* \* \/opt\/truffles\/agent\/truffles-backup run --kind scheduled .*# truffles-backup$/m,
    );
  });

  it('a backup holds every part with its sha256, the counts, and only encrypted data on the host', async () => {
    const entry = await core.backups.create(slug, 'sb');
    first = entry.id;
    expect(entry.id).toMatch(/^\d{8}T\d{6}Z-manual$/);
    expect(entry.counts.tables).toMatchObject({
      'public.customers': 3,
      'public.conversations': 2,
      'public.messages': 5,
      'public.billing_events': 4,
      'public.orders': 2,
      'public.payments': 1,
    });
    expect(entry.counts.points).toEqual({ knowledge: 5 });
    expect(entry.counts.workflows).toBeGreaterThan(0);
    const manifest = await verifyOnHost(slug, entry.id);
    expect(manifest.parts.map((p) => p.name).sort()).toEqual(
      [
        'files/compose.yaml',
        'files/env',
        'files/tenant.json',
        'n8n/credentials.json',
        'n8n/workflows.json',
        'postgres.dump',
        'qdrant/knowledge.snapshot',
      ].sort(),
    );
    // The archive on the host is age ciphertext: no dump magic, no tenant secrets in clear.
    const head = await tr.exec([
      'sh',
      '-c',
      'head -c 200 "$1"',
      'sh',
      `${BACKUPS}/${slug}/${entry.id}.tar.age`,
    ]);
    expect(head.stdout.startsWith('age-encryption.org/v1')).toBe(true);
    const e = await env(slug);
    const leak = await tr.exec([
      'grep',
      '-c',
      '-F',
      e.POSTGRES_PASSWORD ?? 'x',
      `${BACKUPS}/${slug}/${entry.id}.tar.age`,
    ]);
    expect(leak.stdout.trim()).toBe('0');
    before = await contents(slug);
    expect((before.customers as string[]).length).toBe(3);
    expect((before.points as string[]).length).toBe(5);
  });

  it('restore brings back every row, point and workflow exactly, after a safety backup', async () => {
    // Change and delete data of every kind.
    await withDb(slug, async (db) => {
      await db.query('delete from messages');
      await db.query(`update customers set name = 'changed' where phone = '77770000001'`);
      await db.query(
        `insert into billing_events (event_type, model_provider, model_name) values ('embedding', 'x', 'y')`,
      );
      await db.query('delete from payments');
      await db.query('delete from orders');
      await db.query(`delete from n8n.workflow_entity where id = (select min(id) from n8n.workflow_entity)`);
    });
    await withQdrant(slug, (q) => q.delete('knowledge', { wait: true, points: [1, 2] }));
    expect(await contents(slug)).not.toEqual(before);
    const cpusOf = (service = 'postgres'): Promise<number> =>
      serviceContainer(slug, service).then(async (c) => (await c.inspect()).HostConfig.NanoCpus ?? 0);
    const limit = await cpusOf();
    const n8nLimit = await cpusOf('n8n');
    const lines: string[] = [];
    const off = core.onEvent((e) => {
      if (e.type === 'log' && e.source === `backup:${slug}`) lines.push(e.message);
    });
    const report = await core.backups
      .restore({ slug, host: 'sb', backupId: first, confirm: slug })
      .finally(off);
    expect(report, JSON.stringify(report.mismatches)).toMatchObject({
      ok: true,
      kind: 'restore',
      mismatches: [],
      backupId: first,
    });
    expect(report.checked).toBeGreaterThan(8);
    expect(report.safetyBackupId).toMatch(/-safety$/);
    expect(await contents(slug)).toEqual(before);
    const status = await core.tenants.status(slug, 'sb');
    expect(status.services.map((x) => x.health)).toEqual(['healthy', 'healthy', 'healthy', 'healthy']);
    expect(status.route?.ok).toBe(true);
    // The backup is now proven; its restore is on record beside it.
    const listed = await core.backups.list(slug, 'sb');
    expect(listed.backups.find((b) => b.id === first)?.provenAt).not.toBeNull();
    expect(listed.restores[0]).toMatchObject({ backupId: first, ok: true });
    // PostgreSQL's CPU limit was lifted for the restore and is back as the plan has it; the dump
    // copied into its container for pg_restore -j is gone.
    expect(limit).toBeGreaterThan(0);
    expect(
      lines.some((l) => /^PostgreSQL may use \d+ CPUs during the restore/.test(l)),
      lines.join('\n'),
    ).toBe(limit < Number((await tr.exec(['nproc'])).stdout.trim()) * 1e9);
    expect(await cpusOf()).toBe(limit);
    // So was n8n's, for its boot until the route answered.
    expect(n8nLimit).toBeGreaterThan(0);
    expect(lines.some((l) => /^n8n may use \d+ CPUs during the restore/.test(l), lines.join('\n'))).toBe(
      n8nLimit < Number((await tr.exec(['nproc'])).stdout.trim()) * 1e9,
    );
    expect(await cpusOf('n8n')).toBe(n8nLimit);
    const left = await tr.exec(compose(tenantDir(STATE, slug), slug, 'exec', '-T', 'postgres', 'ls', '/tmp'));
    expect(left.code).toBe(0);
    expect(left.stdout).not.toContain('truffles-restore.dump');
  }, 600_000);

  it('a flipped byte, a truncated archive and another tenant’s backup are refused before the tenant is touched', async () => {
    const dir = `${BACKUPS}/${slug}`;
    const src = `${dir}/${first}`;
    const flipped = '20200101T000001Z-manual';
    const truncated = '20200101T000002Z-manual';
    const foreign = '20200101T000003Z-manual';
    const size = Number((await tr.exec(['stat', '-c', '%s', `${src}.tar.age`])).stdout.trim());
    const at = Math.floor(size / 2);
    // The test host is this machine: the copies are made with plain file access, as root.
    const bytes = readFileSync(`${src}.tar.age`);
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    writeFileSync(`${dir}/${flipped}.tar.age`, bytes);
    const sums = await tr.exec(['sha256sum', `${src}.tar.age`, `${dir}/${flipped}.tar.age`]);
    const [a, b] = sums.stdout.split('\n').map((l) => l.split(' ')[0]);
    expect(a).not.toBe(b);
    await tr.exec([
      'sh',
      '-c',
      'head -c "$3" "$1" > "$2"',
      'sh',
      `${src}.tar.age`,
      `${dir}/${truncated}.tar.age`,
      String(Math.floor(size * 0.6)),
    ]);
    const other = await writeArchive(
      {
        tenant: 'someone-else',
        createdAt: new Date().toISOString(),
        tools: {},
        counts: { tables: {}, points: {}, workflows: 0 },
      },
      [{ name: 'postgres.dump', data: Buffer.from('not this tenant') }],
      await core.backupKeys.recipient(),
    );
    await tr.upload(other, `${dir}/${foreign}.tar.age`);
    const contentBefore = await contents(slug);
    const startedBefore = await startedAt(slug);
    const archivesBefore = await archiveIds(slug);
    const expectations: [string, string][] = [
      [flipped, 'backup.corrupt'],
      [truncated, 'backup.corrupt'],
      [foreign, 'backup.foreign'],
    ];
    for (const [id, code] of expectations) {
      const err = await core.backups
        .restore({ slug, host: 'sb', backupId: id, confirm: slug })
        .catch((e: unknown) => e);
      expect(err, id).toBeInstanceOf(CoreError);
      expect((err as CoreError).code, `${id}: ${(err as Error).message}`).toBe(code);
    }
    // Untouched: same containers never restarted, same data, no safety backup taken, no staging left.
    expect(await startedAt(slug)).toEqual(startedBefore);
    expect(await contents(slug)).toEqual(contentBefore);
    expect(await archiveIds(slug)).toEqual(archivesBefore);
    const staging = await tr.exec(['sh', '-c', 'ls -a "$1" | grep -c "^\\.restore-" || true', 'sh', dir]);
    expect(staging.stdout.trim()).toBe('0');
    await tr.exec(['sh', '-c', 'cd "$1" && rm -f 20200101T*', 'sh', dir]);
  });

  it('the scheduled job, run on the host with no console, makes an archive this console can verify', async () => {
    const line = (await tr.exec(['crontab', '-l'])).stdout
      .split('\n')
      .find((l) => l.endsWith('# truffles-backup'));
    expect(line).toBeTruthy();
    const command = (line ?? '')
      .split(' ')
      .slice(5)
      .join(' ')
      .replace(/ # truffles-backup$/, '');
    const beforeIds = await archiveIds(slug);
    // As the SSH user, from a login of its own on the host (not through the console's connection).
    const sb = sandbox();
    asRoot(`su -s /bin/sh ${sb.user} -c ${JSON.stringify(command)} || true`);
    const after = await archiveIds(slug);
    const added = after.filter((x) => !beforeIds.includes(x));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/-scheduled\.tar\.age$/);
    const manifest = await verifyOnHost(slug, (added[0] ?? '').replace(/\.tar\.age$/, ''));
    expect(manifest.counts.tables['public.customers']).toBe(3);
    expect(manifest.counts.points.knowledge).toBe(5);
    const runs = await core.backups.list(slug, 'sb');
    expect(runs.runs[0]).toMatchObject({ ok: true, kind: 'scheduled' });
  });

  // The offsite copy (pinned reserve key, append-only receiver, failed copies recorded) is tested
  // in safety-keys.test.ts (issue 11, item 9).

  it('on a full backup disk the backup fails cleanly: earlier backups intact, the tenant keeps running', async () => {
    const small = `/mnt/truffles-small-${slug}`;
    asRoot(
      `mkdir -p ${small} && mount -t tmpfs -o size=6m tmpfs ${small} && chown ${sandbox().user} ${small}`,
    );
    try {
      await core.backups.schedule({ host: 'sb', backupDir: small });
      const ok = await core.backups.create(slug, 'sb');
      const sumBefore = asRoot(`sha256sum ${small}/${slug}/${ok.id}.tar.age`);
      // Fill what is left.
      asRoot(`dd if=/dev/zero of=${small}/filler bs=64k 2>/dev/null || true`);
      const err = await core.backups.create(slug, 'sb').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe('backup.failed');
      expect((err as CoreError).message).toMatch(/full|No space/i);
      expect(asRoot(`sha256sum ${small}/${slug}/${ok.id}.tar.age`)).toBe(sumBefore);
      expect(
        asRoot(`ls -a ${small}/${slug}`)
          .split('\n')
          .filter((f) => f.startsWith('.') && f.length > 2),
      ).toEqual([]);
      asRoot(`rm -f ${small}/filler`);
      const manifest = await (async () => {
        const sink = new PassThrough();
        const reading = tr.exec(['cat', '--', `${small}/${slug}/${ok.id}.tar.age`], { stdout: sink });
        const m = await readArchive(sink, await core.backupKeys.identity(), { tenant: slug });
        await reading;
        return m;
      })();
      expect(manifest.tenant).toBe(slug);
      const status = await core.tenants.status(slug, 'sb');
      expect(status.services.every((x) => x.health === 'healthy')).toBe(true);
      // The failure is on record in the agent's own log (outside the full disk).
      const runs = (await readHostFile(tr, `${STATE}/agent/runs.jsonl`)) ?? '';
      const last = JSON.parse(runs.trim().split('\n').pop() ?? '{}') as { ok?: boolean; tenant?: string };
      expect(last).toMatchObject({ ok: false, tenant: slug });
    } finally {
      await core.backups.schedule({ host: 'sb', backupDir: BACKUPS });
      asRoot(`umount ${small} && rmdir ${small}`);
    }
  });

  it('an update that never becomes healthy is rolled back, with the data unchanged', async () => {
    const sb = sandbox();
    const content = await contents(slug);
    // An image with no n8n in it (the test host's Debian base): its container never becomes healthy.
    asRoot('docker tag truffles/debian-base:bookworm truffles/n8n-broken:1');
    await core.images.set('sb', { ...sb.images, n8n: 'truffles/n8n-broken:1' });
    try {
      const err = await core.fleet
        .updateTenant(slug, { addModules: [], removeModules: [], env: {}, refreshImages: true }, 'sb')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoreError);
      expect((err as CoreError).code).toBe('tenant.update-rolled-back');
    } finally {
      await core.images.set('sb', { ...sb.images });
    }
    const status = await core.tenants.status(slug, 'sb');
    expect(status.services.every((x) => x.health === 'healthy')).toBe(true);
    expect(status.images.n8n).toBe(sb.images.n8n);
    expect(await contents(slug)).toEqual(content);
  }, 600_000);

  it('a drill restores the newest backup into a throw-away tenant, compares counts and removes it', async () => {
    const report = await core.backups.drill({ slug, host: 'sb' });
    expect(report, report.detail).toMatchObject({ kind: 'drill', ok: true, mismatches: [] });
    expect(report.target).toMatch(/^drill--[0-9a-f]{12}@sb$/);
    const listed = await core.tenants.list('sb');
    expect(listed.tenants.some((x) => x.slug.startsWith('drill-'))).toBe(false);
  });

  it('a backup taken while rows are being written has counts that match its dump (one snapshot)', async () => {
    // A writer adds billing events as fast as it can for the whole backup.
    let stop = false;
    let written = 0;
    const writer = withDb(slug, async (db) => {
      while (!stop) {
        await db.query(
          `insert into billing_events (event_type, model_provider, model_name) values ('embedding', 'x', 'during-backup')`,
        );
        written += 1;
      }
    });
    const entry = await core.backups.create(slug, 'sb').finally(() => (stop = true));
    await writer;
    const total = await withDb(slug, async (db) =>
      Number((await db.query<{ n: string }>('select count(*) as n from billing_events')).rows[0]?.n),
    );
    const inManifest = entry.counts.tables['public.billing_events'] ?? -1;
    // Rows went in before and after the snapshot: the race the snapshot closes was really there.
    expect(written).toBeGreaterThan(50);
    expect(inManifest).toBeGreaterThan(total - written);
    expect(inManifest).toBeLessThan(total);
    // Restored into a throw-away tenant, every count is what the manifest says.
    const report = await core.backups.drill({ slug, host: 'sb', backupId: entry.id });
    expect(report, JSON.stringify(report.mismatches)).toMatchObject({
      kind: 'drill',
      ok: true,
      mismatches: [],
    });
    await withDb(slug, (db) => db.query(`delete from billing_events where model_name = 'during-backup'`));
  }, 600_000);

  it('weekly drills run when due, from the console, and are shown as the last drill', async () => {
    const today = new Date();
    const info = await core.backups.schedule({ host: 'sb', drillWeekday: today.getDay() });
    expect(info.drillWeekday).toBe(today.getDay());
    // Drilled by the test above within the week: not due again.
    expect((await core.backups.runDueDrills(today)).filter((r) => r.tenant === slug)).toEqual([]);
    // A week later it is due again.
    const nextWeek = new Date(today.getTime() + 7 * 24 * 3600_000);
    const reports = (await core.backups.runDueDrills(nextWeek)).filter((r) => r.tenant === slug);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ kind: 'drill', ok: true });
    const overview = await core.backups.overview('sb');
    const mine = overview.tenants.find((x) => x.slug === slug);
    expect(mine?.lastDrill?.at).toBe(reports[0]?.at);
    expect(mine?.last?.provenAt).not.toBeNull();
    await core.backups.schedule({ host: 'sb', drillWeekday: null });
    expect(await core.backups.runDueDrills(nextWeek)).toEqual([]);
  }, 900_000);

  it('the host never holds the private key', async () => {
    const identity = await core.backupKeys.identity();
    expect(identity).toMatch(/^AGE-SECRET-KEY-1/);
    const hits = asRoot(
      `grep -r -l -F -e ${JSON.stringify(identity)} /opt /home /etc /srv /var/spool /var/tmp /var/lib/docker/volumes /tmp 2>/dev/null || true`,
    );
    expect(hits.trim()).toBe('');
  });
});
