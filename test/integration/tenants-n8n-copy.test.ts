import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { readHostFile } from '../../src/main/core/tenants/hostfs';
import { parseEnvFile } from '../../src/main/core/tenants/service';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { leftovers, NOTHING, tenantHost, uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 18, create without a second n8n boot: the host keeps n8n's schema as its CLI made it for
 * one tenant (migrated, the modules' workflows in, no credential) and the next tenant of the same
 * images and workflows loads it by SQL. On the real test host (edge and Qdrant are stand-ins).
 */
const CACHE = '/opt/truffles/cache/n8n-schema';
let t: ReturnType<typeof tempDir>;
let core: Core;
let tr: HostTransport;
const created: string[] = [];

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'n8n copy passphrase'),
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

/** A create of plan starter with the base modules: its workflows step's note and the core's warnings. */
async function create(): Promise<{ slug: string; note: string; warnings: string[] }> {
  const slug = uniqueSlug('copy');
  created.push(slug);
  let note = '';
  const warnings: string[] = [];
  const off = core.onEvent((e) => {
    if (e.type === 'progress' && e.step === 'workflows' && e.state === 'done') note = e.message ?? '';
    if (e.type === 'log' && e.level === 'warn' && e.source.includes(slug)) warnings.push(e.message);
  });
  try {
    const view = await core.tenants.create({
      slug,
      host: 'sb',
      plan: 'starter',
      modules: [],
      env: {},
      keepOnFailure: false,
    });
    expect(view.state).toBe('running');
  } finally {
    off();
  }
  // Every guarantee of a create holds whichever way n8n's tables came: workflows active, routed.
  const v = await core.tenants.verify(slug);
  expect(v.checks.filter((c) => !c.ok)).toEqual([]);
  return { slug, note, warnings };
}

async function copies(): Promise<{ name: string; mode: string }[]> {
  const r = await tr.exec([
    'sh',
    '-c',
    'cd -- "$1" 2>/dev/null && stat -c "%n %a" -- *.sql || true',
    'sh',
    CACHE,
  ]);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name = '', mode = ''] = l.split(' ');
      return { name, mode };
    });
}

describe("n8n's schema from the host's copy (edge and Qdrant are stand-ins)", () => {
  it('the first create leaves a copy with no secret, the next loads it, a damaged copy falls back to the CLI', async () => {
    await tr.exec(['rm', '-rf', '--', CACHE]);

    // 1. No copy: n8n's CLI imports, and the copy is saved from the schema it made.
    const a = await create();
    expect(a.note).not.toContain('host copy');
    const [copy, ...more] = await copies();
    expect(more).toEqual([]);
    expect(copy?.mode).toBe('600');
    const text = (await readHostFile(tr, `${CACHE}/${copy?.name ?? ''}`)) ?? '';
    expect(text.split('\n')[0]).toBe('DROP SCHEMA IF EXISTS n8n;');
    expect(text).toContain('COPY n8n.workflow_entity');
    // No value of the tenant's .env (its passwords and keys) and no credential is in it.
    const env = parseEnvFile((await readHostFile(tr, `/opt/truffles/tenants/${a.slug}/.env`)) ?? '');
    const secrets = Object.values(env).filter((x) => x.length >= 12);
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).toMatch(/COPY n8n\.credentials_entity [^\n]*\n\\\.\n/);

    // 2. The next tenant of the same images and workflows loads it: no one-off n8n.
    const b = await create();
    expect(b.note).toContain('n8n schema from the host copy');
    expect(b.warnings).toEqual([]);

    // 3. A damaged copy does not load (one transaction: nothing of it stays), the CLI imports, and
    // a whole copy replaces it.
    await tr.exec([
      'sh',
      '-c',
      'head -c 20000 -- "$1" > "$1.cut" && mv -f -- "$1.cut" "$1"',
      'sh',
      `${CACHE}/${copy?.name ?? ''}`,
    ]);
    const c = await create();
    expect(c.note).not.toContain('host copy');
    expect(c.warnings.join('\n')).toContain("The host's copy of n8n's schema did not load");
    const again = (await readHostFile(tr, `${CACHE}/${copy?.name ?? ''}`)) ?? '';
    expect(again.length).toBeGreaterThan(20000);
    expect(again).toContain('COPY n8n.workflow_entity');

    for (const slug of [a.slug, b.slug, c.slug]) {
      await core.tenants.delete(slug, slug, 'sb');
      expect(await leftovers(tr, slug)).toEqual(NOTHING);
    }
    created.length = 0;
  }, 900_000);
});
