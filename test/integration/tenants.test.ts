import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { CoreError } from '../../src/main/core/errors';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { compose } from '../../src/main/core/tenants/compose';
import { readHostFile, writeHostFile } from '../../src/main/core/tenants/hostfs';
import type { Result } from '../../src/shared/contract';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { leftovers, NOTHING, TEST_BASE_DOMAIN, tenantHost, uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * The tenant factory end to end on the real test host: real OpenSSH, Docker Engine, Compose v2,
 * PostgreSQL, Redis and n8n; the edge is the Traefik STAND-IN and Qdrant is the Qdrant STAND-IN
 * (test/sandbox/images/*-standin), both set through the host's image catalog.
 */
let t: ReturnType<typeof tempDir>;
let core: Core;
let tr: HostTransport;
const created: string[] = [];

const MODULES_DIR = join(import.meta.dirname, '..', '..', 'modules');

function moduleWorkflowIds(mods: string[]): string[] {
  return mods.flatMap((m) =>
    readdirSync(join(MODULES_DIR, m, 'workflows')).map(
      (f) => (JSON.parse(readFileSync(join(MODULES_DIR, m, 'workflows', f), 'utf8')) as { id: string }).id,
    ),
  );
}

function envOf(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => /^([A-Z0-9_]+)='([^']*)'$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] ?? '', m[2] ?? '']),
  );
}

/** GET through the edge on the test host (this machine's :443), with the tenant's name as SNI and Host. */
function throughEdge(domain: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: 443,
        path,
        servername: domain,
        headers: { host: domain },
        rejectUnauthorized: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'tenants passphrase'),
    mode: 'cli',
  });
  await tenantHost(core, 'sb');
  tr = await core.hosts.transport('sb');
}, 300_000);

afterAll(async () => {
  for (const slug of created) await core.tenants.delete(slug, slug, 'sb').catch(() => undefined);
  await core.close();
  t.cleanup();
}, 300_000);

describe('tenant factory on the real test host (edge and Qdrant are stand-ins)', () => {
  it('create → healthy → migrated → workflows active → routed → status/list → verify → delete leaves nothing', async () => {
    const slug = uniqueSlug('life');
    created.push(slug);
    const steps: string[] = [];
    const off = core.onEvent((e) => {
      if (e.type === 'progress' && e.state === 'done') steps.push(e.step);
    });
    const view = await core.tenants.create({
      slug,
      host: 'sb',
      plan: 'pro',
      modules: ['integration_kaspi', 'channel_whatsapp'],
      env: {
        KASPI_MERCHANT_ID: 'merchant-1',
        WHATSAPP_PHONE_NUMBER_ID: '1234567890',
        WHATSAPP_ACCESS_TOKEN: 'test-access-token',
        WHATSAPP_APP_SECRET: 'test-app-secret',
      },
      keepOnFailure: false,
    });
    off();
    expect(view).toMatchObject({ slug, host: 'sb', state: 'running', domain: `${slug}.${TEST_BASE_DOMAIN}` });
    expect(view.modules.map((m) => m.name).sort()).toEqual(
      ['channel_whatsapp', 'core_admin', 'core_chat', 'integration_kaspi'].sort(),
    );
    expect(steps).toContain('route');
    expect(steps[steps.length - 1]).toBe('record');

    // Healthy, as the status says.
    const status = await core.tenants.status(slug);
    expect(status.services.map((s) => [s.service, s.health])).toEqual([
      ['n8n', 'healthy'],
      ['postgres', 'healthy'],
      ['qdrant', 'healthy'],
      ['redis', 'healthy'],
    ]);

    // Migrated: the spec's tables with the spec's settings rows, each migration recorded once.
    const env = envOf((await readHostFile(tr, `/opt/truffles/tenants/${slug}/.env`)) ?? '');
    const docker = await tr.docker();
    const [pgc] = await docker.listContainers({
      filters: { label: [`com.docker.compose.project=${slug}`, 'com.docker.compose.service=postgres'] },
    });
    const info = await docker.getContainer(pgc?.Id ?? '').inspect();
    const ip = info.NetworkSettings.Networks[`${slug}_internal`]?.IPAddress ?? '';
    const tunnel = await tr.tunnel(ip, 5432);
    const db = new pg.Client({
      host: '127.0.0.1',
      port: tunnel.localPort,
      user: env.POSTGRES_USER,
      password: env.POSTGRES_PASSWORD,
      database: env.POSTGRES_DB,
    });
    await db.connect();
    try {
      const tables = (
        await db.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
      ).rows.map((r) => r.table_name);
      for (const name of [
        'customers',
        'conversations',
        'messages',
        'knowledge_documents',
        'knowledge_chunks',
        'billing_events',
        'settings',
        'audit_logs',
        'orders',
        'payments',
      ])
        expect(tables).toContain(name);
      const settings = (await db.query<{ key: string }>('SELECT key FROM public.settings')).rows.map(
        (r) => r.key,
      );
      expect(settings).toEqual(expect.arrayContaining(['bot_name', 'welcome_message', 'working_hours']));
      const migrations = (
        await db.query<{ module: string; name: string }>(
          'SELECT module, name FROM truffles_migrations ORDER BY 1, 2',
        )
      ).rows;
      expect(migrations.map((m) => `${m.module}/${m.name}`)).toEqual([
        'core_chat/001_init.sql',
        'core_chat/002_exact_cost.sql',
        'integration_kaspi/001_orders_payments.sql',
      ]);
      // n8n's own tables are in their own schema, not among the application's.
      const n8nTables = (
        await db.query<{ n: string }>(
          "SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'n8n'",
        )
      ).rows[0]?.n;
      expect(Number(n8nTables)).toBeGreaterThan(10);
    } finally {
      await db.end();
      tunnel.close();
    }

    // Workflows imported and active in the tenant's real n8n.
    const active = await tr.exec([
      'docker',
      'compose',
      '--project-name',
      slug,
      '--project-directory',
      `/opt/truffles/tenants/${slug}`,
      'exec',
      '-T',
      'n8n',
      'n8n',
      'list:workflow',
      '--active=true',
      '--onlyId',
    ]);
    expect(active.code).toBe(0);
    const ids = active.stdout.split('\n').map((l) => l.trim());
    for (const id of moduleWorkflowIds(['core_chat', 'core_admin', 'integration_kaspi', 'channel_whatsapp']))
      expect(ids).toContain(id);

    // Routed: a request with the tenant's Host through the edge reaches its n8n's module webhook.
    const res = await throughEdge(view.domain, '/webhook/truffles-health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok', tenant: slug });
    // Only webhooks are routed: n8n's own endpoints (health, its REST API — an owner-less n8n's
    // setup among them — and the editor's page) are not reachable from outside.
    for (const path of ['/healthz', '/rest/settings', '/rest/login', '/'])
      expect((await throughEdge(view.domain, path)).status, path).toBe(404);
    // Another name on the same edge does not reach it.
    expect((await throughEdge(`other-${slug}.${TEST_BASE_DOMAIN}`, '/webhook/truffles-health')).status).toBe(
      404,
    );

    // Listed, verified.
    const list = await core.tenants.list();
    expect(list.tenants.find((x) => x.slug === slug)).toMatchObject({ host: 'sb', state: 'running' });
    const v = await core.tenants.verify(slug);
    expect(v.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.checks.find((c) => c.name === 'exposure')).toMatchObject({ ok: true });

    // A tenant from before the webhooks-only route (its whole domain to n8n): verify says so.
    const composeFile = `/opt/truffles/tenants/${slug}/compose.yaml`;
    const rendered = (await readHostFile(tr, composeFile)) ?? '';
    const widened = rendered.replace(' && (PathPrefix(`/webhook/`) || PathPrefix(`/webhook-waiting/`))', '');
    expect(widened).not.toBe(rendered);
    await writeHostFile(tr, composeFile, widened, 0o640);
    const up = await tr.exec(
      compose(`/opt/truffles/tenants/${slug}`, slug, 'up', '--detach', '--no-deps', 'n8n'),
    );
    expect(up.code, up.stderr).toBe(0);
    for (let i = 0; (await throughEdge(view.domain, '/healthz')).status !== 200; i++) {
      expect(i, 'n8n never answered /healthz through the widened route').toBeLessThan(240);
      await sleep(500);
    }
    const open = await core.tenants.verify(slug);
    expect(open.ok).toBe(false);
    expect(open.checks.find((c) => c.name === 'exposure')).toMatchObject({ ok: false });
    expect(open.checks.find((c) => c.name === 'exposure')?.detail).toMatch(
      /open to anyone.*Update the tenant/,
    );

    // Delete leaves nothing of it on the host.
    await core.tenants.delete(slug, slug);
    expect(await leftovers(tr, slug)).toEqual(NOTHING);
    expect((await throughEdge(view.domain, '/webhook/truffles-health')).status).toBe(404);
  }, 600_000);

  it('update adds and removes a module (workflows activated, then deactivated); suspend stops routing, resume brings it back', async () => {
    const slug = uniqueSlug('upd');
    created.push(slug);
    await core.tenants.create({
      slug,
      host: 'sb',
      plan: 'starter',
      modules: [],
      env: {},
      keepOnFailure: false,
    });
    const compose = (...args: string[]): string[] => [
      'docker',
      'compose',
      '--project-name',
      slug,
      '--project-directory',
      `/opt/truffles/tenants/${slug}`,
      ...args,
    ];
    const activeIds = async (): Promise<string[]> =>
      (
        await tr.exec(compose('exec', '-T', 'n8n', 'n8n', 'list:workflow', '--active=true', '--onlyId'))
      ).stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
    const wa = moduleWorkflowIds(['channel_whatsapp']);
    expect(await activeIds()).not.toContain(wa[0]);

    const missing = await core.tenants
      .update(slug, { addModules: ['channel_whatsapp'], removeModules: [], env: {} })
      .catch((e: unknown) => e);
    expect((missing as CoreError).code).toBe('tenant.env-missing');

    const added = await core.tenants.update(slug, {
      addModules: ['channel_whatsapp'],
      removeModules: [],
      env: {
        WHATSAPP_PHONE_NUMBER_ID: '1234567890',
        WHATSAPP_ACCESS_TOKEN: 'test-access-token',
        WHATSAPP_APP_SECRET: 'test-app-secret',
      },
    });
    expect(added.modules.map((m) => m.name)).toContain('channel_whatsapp');
    expect(added.lastOperation).toMatchObject({ kind: 'update', state: 'succeeded' });
    for (const id of wa) expect(await activeIds()).toContain(id);
    // Secrets stayed: the database still opens with the old password (n8n healthy proves it too).
    expect((await core.tenants.status(slug)).services.every((x) => x.health === 'healthy')).toBe(true);

    const removed = await core.tenants.update(slug, {
      addModules: [],
      removeModules: ['channel_whatsapp'],
      env: {},
    });
    expect(removed.modules.map((m) => m.name)).not.toContain('channel_whatsapp');
    const after = await activeIds();
    for (const id of wa) expect(after).not.toContain(id);
    expect(after).toContain(moduleWorkflowIds(['core_admin'])[0]);
    const base = await core.tenants
      .update(slug, { addModules: [], removeModules: ['core_chat'], env: {} })
      .catch((e: unknown) => e);
    expect((base as CoreError).message).toContain('cannot be removed');

    const suspended = await core.tenants.suspend(slug);
    expect(suspended.state).toBe('suspended');
    expect((await core.tenants.status(slug)).services.map((x) => x.state)).toEqual([
      'exited',
      'exited',
      'exited',
      'exited',
    ]);
    expect((await throughEdge(suspended.domain, '/webhook/truffles-health')).status).toBe(404);
    const resumed = await core.tenants.resume(slug);
    expect(resumed.state).toBe('running');
    expect(JSON.parse((await throughEdge(resumed.domain, '/webhook/truffles-health')).body)).toMatchObject({
      tenant: slug,
    });

    await core.tenants.delete(slug, slug);
    expect(await leftovers(tr, slug)).toEqual(NOTHING);
  }, 900_000);

  it('five tenants created at once on one host are all healthy and isolated, with secrets unique across them', async () => {
    const slugs = Array.from({ length: 5 }, (_, i) => uniqueSlug(`five${i}`));
    created.push(...slugs);
    const views = await Promise.all(
      slugs.map((slug) =>
        core.tenants.create({
          slug,
          host: 'sb',
          plan: 'starter',
          modules: [],
          env: {},
          keepOnFailure: false,
        }),
      ),
    );
    expect(views.map((v) => v.state)).toEqual(['running', 'running', 'running', 'running', 'running']);
    const secrets = new Map<string, string>();
    for (const slug of slugs) {
      const v = await core.tenants.verify(slug);
      expect(
        v.checks.filter((c) => !c.ok),
        slug,
      ).toEqual([]);
      expect(v.checks.find((c) => c.name === 'isolation')?.detail).toMatch(/none of \d+ other/);
      const env = envOf((await readHostFile(tr, `/opt/truffles/tenants/${slug}/.env`)) ?? '');
      for (const k of ['POSTGRES_PASSWORD', 'N8N_ENCRYPTION_KEY', 'QDRANT_API_KEY', 'REDIS_PASSWORD']) {
        const value = env[k] ?? '';
        expect(value.length).toBeGreaterThanOrEqual(32);
        expect(secrets.has(value), `${slug} ${k} repeats ${secrets.get(value) ?? ''}`).toBe(false);
        secrets.set(value, `${slug} ${k}`);
      }
    }
    const docker = await tr.docker();
    // Each n8n booted with the host's CPUs (create lifts its limit until the route answers) and
    // runs bound by its plan's again: starter, 1 CPU.
    for (const slug of slugs) {
      const [n8n] = await docker.listContainers({
        filters: { label: [`com.docker.compose.project=${slug}`, 'com.docker.compose.service=n8n'] },
      });
      const hc = (await docker.getContainer(n8n?.Id ?? '').inspect()).HostConfig;
      expect(hc.NanoCpus, slug).toBe(1e9);
    }
    // A probe from one tenant to another's PostgreSQL fails (and to its own succeeds).
    const [other] = await docker.listContainers({
      filters: {
        label: [`com.docker.compose.project=${slugs[1] ?? ''}`, 'com.docker.compose.service=postgres'],
      },
    });
    const otherIp = Object.values(other?.NetworkSettings?.Networks ?? {})[0]?.IPAddress ?? '';
    const probe = (ip: string): Promise<{ stdout: string }> =>
      tr.exec([
        'docker',
        'compose',
        '--project-name',
        slugs[0] ?? '',
        '--project-directory',
        `/opt/truffles/tenants/${slugs[0] ?? ''}`,
        'exec',
        '-T',
        'n8n',
        'node',
        '-e',
        "const s=require('net').connect({host:process.argv[1],port:5432});s.setTimeout(2000,()=>{console.log('closed');process.exit(0)});s.on('connect',()=>{console.log('open');process.exit(0)});s.on('error',()=>{console.log('closed');process.exit(0)})",
        ip,
      ]);
    expect(otherIp).not.toBe('');
    expect((await probe(otherIp)).stdout.trim()).toBe('closed');
    expect((await probe('postgres')).stdout.trim()).toBe('open');
    for (const slug of slugs) await core.tenants.delete(slug, slug);
    for (const slug of slugs) expect(await leftovers(tr, slug)).toEqual(NOTHING);
  }, 900_000);

  it('hostile slugs are refused before anything touches a host; nothing is created', async () => {
    const docker = await tr.docker();
    const before = (await docker.listContainers({ all: true })).length;
    const dirsBefore = (await tr.exec(['ls', '-A', '/opt/truffles/tenants'])).stdout;
    const hostile = [
      'a;rm -rf /',
      '$(touch /tmp/pwned)',
      '`id`',
      "x' || true",
      'Upper',
      'a'.repeat(64),
      'тенант',
      'traefik',
      'edge',
      'ab',
      '-abc',
      'abc-',
      'a--b',
      'a b c',
      'ab\ncd',
      'ab\0cd',
      '../etc',
    ];
    for (const slug of hostile) {
      const viaContract = (await core.dispatch('tenants.create', { slug, host: 'sb' })) as Result<unknown>;
      expect(viaContract.ok, slug).toBe(false);
      if (!viaContract.ok) expect(viaContract.error.code).toBe('contract.invalid-input');
      const direct = await core.tenants
        .create({ slug, host: 'sb', plan: 'starter', modules: [], env: {}, keepOnFailure: false })
        .catch((e: unknown) => e);
      expect(direct, slug).toBeInstanceOf(CoreError);
      expect((direct as CoreError).code).toBe('tenant.slug');
    }
    expect((await docker.listContainers({ all: true })).length).toBe(before);
    expect((await tr.exec(['ls', '-A', '/opt/truffles/tenants'])).stdout).toBe(dirsBefore);
    expect((await tr.exec(['test', '-e', '/tmp/pwned'])).code).not.toBe(0);
  });

  it('a module selection the plan does not allow, or a planned module, is refused before the host is touched', async () => {
    const slug = uniqueSlug('plan');
    const kaspiOnStarter = await core.tenants
      .create({
        slug,
        host: 'sb',
        plan: 'starter',
        modules: ['integration_kaspi'],
        env: {},
        keepOnFailure: false,
      })
      .catch((e: unknown) => e);
    expect((kaspiOnStarter as CoreError).code).toBe('module.selection');
    expect((kaspiOnStarter as CoreError).message).toContain('integration_kaspi needs the pro plan');
    const planned = await core.tenants
      .create({
        slug,
        host: 'sb',
        plan: 'enterprise',
        modules: ['integration_1c'],
        env: {},
        keepOnFailure: false,
      })
      .catch((e: unknown) => e);
    expect((planned as CoreError).message).toContain('not available yet');
    const missingKey = await core.tenants
      .create({
        slug,
        host: 'sb',
        plan: 'pro',
        modules: ['integration_kaspi'],
        env: {},
        keepOnFailure: false,
      })
      .catch((e: unknown) => e);
    expect((missingKey as CoreError).code).toBe('tenant.env-missing');
    expect((missingKey as CoreError).hint).toContain('KASPI_MERCHANT_ID');
    expect(await leftovers(tr, slug)).toEqual(NOTHING);
  });
});
