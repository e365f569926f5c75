import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ManifestSchema,
  loadModules,
  resolveModules,
  type LoadedModule,
  type Plan,
} from '../../src/main/core/tenants/modules';

// The real catalog under modules/ (spec §4.2), checked as the console reads it.

const ROOT = join(process.cwd(), 'modules');

const COMPLETE: Record<string, 'all' | 'pro' | 'enterprise'> = {
  core_chat: 'all',
  core_admin: 'all',
  channel_whatsapp: 'all',
  integration_kaspi: 'pro',
};
const PLANNED: Record<string, 'all' | 'pro' | 'enterprise'> = {
  channel_instagram: 'pro',
  channel_telegram: 'pro',
  integration_amocrm: 'pro',
  integration_bitrix: 'pro',
  integration_1c: 'enterprise',
  feature_broadcasts: 'pro',
  feature_analytics: 'pro',
  security_sso: 'enterprise',
  sovereign_llm: 'enterprise',
};
/** Where each complete module's webhooks live (besides the health check). */
const PATH_PREFIX: Record<string, string> = {
  core_chat: 'chat/',
  core_admin: 'admin/',
  channel_whatsapp: 'whatsapp/',
  integration_kaspi: 'kaspi/',
};
/** Variables the tenant stack gives n8n, not declared by any module (modules/README.md). */
const STACK_VARS = [
  'CLIENT_SLUG',
  'QDRANT_API_KEY',
  'N8N_PORT',
  'POSTGRES_DB',
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
];
const NODE_TYPES = [
  'n8n-nodes-base.webhook',
  'n8n-nodes-base.respondToWebhook',
  'n8n-nodes-base.set',
  'n8n-nodes-base.if',
  'n8n-nodes-base.switch',
  'n8n-nodes-base.code',
  'n8n-nodes-base.httpRequest',
  'n8n-nodes-base.postgres',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface WfNode {
  id: string;
  name: string;
  type: string;
  typeVersion: number;
  position: [number, number];
  parameters: Record<string, unknown>;
  webhookId?: string;
  credentials?: Record<string, { id: string; name: string }>;
}
interface Workflow {
  id: string;
  name: string;
  nodes: WfNode[];
  connections: Record<string, { main: { node: string; type: string; index: number }[][] }>;
  settings: Record<string, unknown>;
  active: boolean;
}
interface Credential {
  id: string;
  name: string;
  type: string;
  data: Record<string, unknown>;
}

let catalog: Map<string, LoadedModule>;
const workflows: { module: string; file: string; wf: Workflow }[] = [];
const credentials: { module: string; file: string; cred: Credential; text: string }[] = [];

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const names = (mods: LoadedModule[]): string[] => mods.map((m) => m.manifest.name);

function selectionError(
  requested: string[],
  plan: Plan,
): { code: string; message: string; problems: string[] } {
  try {
    resolveModules(catalog, requested, plan);
  } catch (err) {
    const e = err as { code: string; message: string; details?: { problems?: string[] } };
    return { code: e.code, message: e.message, problems: e.details?.problems ?? [] };
  }
  throw new Error(`resolveModules accepted ${requested.join(', ')} on ${plan}`);
}

/** SQL without comments, string literals and dollar-quoted bodies (a plpgsql BEGIN is not a transaction). */
function sqlStatementsOnly(sql: string): string {
  return sql
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''");
}

/** Runs a Code node's JavaScript the way n8n does (an async function body) with stand-ins for $input and $env. */
async function runCodeNode(jsCode: string, item: unknown, env: Record<string, string>): Promise<unknown> {
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<unknown>;
  const fn = new AsyncFunction('$input', '$env', jsCode);
  return fn.call({}, { first: () => item, all: () => [item] }, env);
}

function codeNode(module: string, file: string, node: string): string {
  const entry = workflows.find((w) => w.module === module && w.file === file);
  const code = entry?.wf.nodes.find((n) => n.name === node)?.parameters.jsCode;
  if (typeof code !== 'string') throw new Error(`${module}/${file}: no Code node ${node}`);
  return code;
}

beforeAll(async () => {
  catalog = await loadModules(ROOT);
  for (const { manifest, dir } of catalog.values()) {
    for (const file of manifest.workflows)
      workflows.push({ module: manifest.name, file, wf: readJson<Workflow>(join(dir, 'workflows', file)) });
    for (const file of manifest.credentials) {
      const text = readFileSync(join(dir, 'credentials', file), 'utf8');
      credentials.push({ module: manifest.name, file, cred: JSON.parse(text) as Credential, text });
    }
  }
});

describe('module catalog: manifests', () => {
  it('has every module of spec §4.2, each a valid manifest named after its folder', () => {
    expect([...catalog.keys()].sort()).toEqual([...Object.keys(COMPLETE), ...Object.keys(PLANNED)].sort());
    for (const { manifest, dir } of catalog.values()) {
      expect(ManifestSchema.safeParse(readJson(join(dir, 'manifest.json'))).success).toBe(true);
      // core_chat 1.1.0: migration 002 (exact AI cost, issue 16).
      expect(manifest.version).toBe(manifest.name === 'core_chat' ? '1.1.0' : '1.0.0');
      expect(
        manifest.title.en && manifest.title.ru && manifest.description.en && manifest.description.ru,
      ).toBeTruthy();
      expect(existsSync(join(dir, 'README.md')), `${manifest.name}/README.md`).toBe(true);
    }
  });

  it('the four complete modules are available, with their tier, files and README', () => {
    for (const [name, tier] of Object.entries(COMPLETE)) {
      const m = catalog.get(name)?.manifest;
      expect(m?.status, name).toBe('available');
      expect(m?.tier, name).toBe(tier);
      expect(m?.workflows.length, name).toBeGreaterThan(0);
      if (name !== 'core_chat') expect(m?.depends, name).toEqual(['core_chat']);
    }
    const chat = catalog.get('core_chat')?.manifest;
    expect(chat?.migrations).toEqual(['001_init.sql', '002_exact_cost.sql']);
    expect(chat?.credentials).toContain('postgres.template.json');
    expect(catalog.get('integration_kaspi')?.manifest.migrations).toEqual(['001_orders_payments.sql']);
  });

  it('lists exactly the files in each module folder (nothing unlisted is left behind)', () => {
    for (const { manifest, dir } of catalog.values())
      for (const [sub, listed] of [
        ['workflows', manifest.workflows],
        ['migrations', manifest.migrations],
        ['credentials', manifest.credentials],
      ] as const) {
        const present = existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).sort() : [];
        expect(present, `${manifest.name}/${sub}`).toEqual([...listed].sort());
      }
  });

  it('declares each environment variable once; generated ones are secrets', () => {
    const declared = new Map<string, string>();
    for (const { manifest } of catalog.values())
      for (const v of manifest.env) {
        expect(declared.has(v.name), `${v.name} declared twice`).toBe(false);
        declared.set(v.name, manifest.name);
      }
    expect(declared.get('TRUFFLES_API_KEY')).toBe('core_chat');
    expect(declared.get('WHATSAPP_APP_SECRET')).toBe('channel_whatsapp');
    expect(declared.get('KASPI_WEBHOOK_SECRET')).toBe('integration_kaspi');
    for (const { manifest } of catalog.values())
      for (const v of manifest.env) if (v.source === 'generate') expect(v.secret, v.name).toBe(true);
  });
});

describe('module catalog: selection', () => {
  it('refuses every planned module with a clear message', () => {
    for (const [name, tier] of Object.entries(PLANNED)) {
      const m = catalog.get(name)?.manifest;
      expect(m?.status, name).toBe('planned');
      expect(m?.tier, name).toBe(tier);
      expect([m?.workflows, m?.migrations, m?.credentials, m?.env], name).toEqual([[], [], [], []]);
      expect(readFileSync(join(ROOT, name, 'README.md'), 'utf8')).toMatch(/planned/i);
      const err = selectionError([name], 'enterprise');
      expect(err.code).toBe('module.selection');
      expect(err.message).toBe(`${name} is in the catalog but not available yet; leave it out for now.`);
    }
  });

  it('adds the base modules and dependencies, dependencies first', () => {
    const kaspi = names(resolveModules(catalog, ['integration_kaspi'], 'pro'));
    expect(kaspi).toEqual(['core_chat', 'core_admin', 'integration_kaspi']);
    const wa = names(resolveModules(catalog, ['channel_whatsapp'], 'starter'));
    expect(wa[0]).toBe('core_chat');
    expect(wa.sort()).toEqual(['channel_whatsapp', 'core_admin', 'core_chat']);
    // Without the base modules in the catalog, the dependency alone is still added first.
    const bare = new Map([...catalog].filter(([n]) => n !== 'core_admin'));
    expect(names(resolveModules(bare, ['channel_whatsapp', 'integration_kaspi'], 'enterprise'))).toEqual([
      'core_chat',
      'channel_whatsapp',
      'integration_kaspi',
    ]);
    expect(names(resolveModules(catalog, [], 'starter'))).toEqual(['core_chat', 'core_admin']);
  });

  it('refuses integration_kaspi on starter, and names every problem at once', () => {
    const err = selectionError(['integration_kaspi'], 'starter');
    expect(err.message).toBe('integration_kaspi needs the pro plan; this tenant is on starter.');
    const both = selectionError(['integration_kaspi', 'sovereign_llm', 'nope'], 'starter');
    expect(both.problems).toHaveLength(4);
    expect(both.message).toContain("'nope' is not a module");
    expect(both.message).toContain('sovereign_llm is in the catalog but not available yet');
    expect(both.message).toContain('sovereign_llm needs the enterprise plan');
  });
});

describe('module catalog: n8n workflows', () => {
  it('are n8n 1.x exports with stable ids, built-in nodes and consistent connections', () => {
    expect(workflows.length).toBe(11);
    const ids = new Set<string>();
    const nodeIds = new Set<string>();
    for (const { module, file, wf } of workflows) {
      const where = `${module}/workflows/${file}`;
      expect(wf.id, where).toMatch(/^[A-Za-z0-9]{16}$/);
      expect(ids.has(wf.id), `${where}: id ${wf.id} reused`).toBe(false);
      ids.add(wf.id);
      expect(wf.name, where).toBeTruthy();
      expect(wf.active, where).toBe(false);
      expect(wf.settings, where).toMatchObject({ executionOrder: 'v1' });
      const nodeNames = new Set(wf.nodes.map((n) => n.name));
      expect(nodeNames.size, `${where}: node names unique`).toBe(wf.nodes.length);
      for (const n of wf.nodes) {
        expect(n.id, `${where}: ${n.name}`).toMatch(UUID);
        expect(nodeIds.has(n.id), `${where}: node id ${n.id} reused`).toBe(false);
        nodeIds.add(n.id);
        expect(NODE_TYPES, `${where}: ${n.name}`).toContain(n.type);
        expect(typeof n.typeVersion).toBe('number');
        expect(n.position).toHaveLength(2);
        expect(typeof n.parameters).toBe('object');
        if (n.type === 'n8n-nodes-base.postgres')
          expect(n.credentials, `${where}: ${n.name}`).toEqual({
            postgres: { id: 'tenantPostgres0001', name: 'Tenant PostgreSQL' },
          });
        for (const [key, value] of Object.entries(n.parameters))
          if (typeof value === 'string' && value.startsWith('='))
            expect(value.split('{{').length, `${where}: ${n.name}.${key} {{ }} pairs`).toBe(
              value.split('}}').length,
            );
      }
      for (const [from, { main }] of Object.entries(wf.connections)) {
        expect(nodeNames.has(from), `${where}: connection from ${from}`).toBe(true);
        for (const out of main)
          for (const c of out) expect(nodeNames.has(c.node), `${where}: ${from} -> ${c.node}`).toBe(true);
      }
      // Every node but a trigger is reached from somewhere.
      const targets = new Set(
        Object.values(wf.connections).flatMap(({ main }) => main.flat().map((c) => c.node)),
      );
      for (const n of wf.nodes)
        if (n.type !== 'n8n-nodes-base.webhook')
          expect(targets.has(n.name), `${where}: ${n.name} unreachable`).toBe(true);
    }
  });

  it('have webhook paths that are unique across modules and under each module’s prefix', () => {
    const seen = new Map<string, string>();
    const owner = new Map<string, string>();
    for (const { module, file, wf } of workflows)
      for (const n of wf.nodes.filter((x) => x.type === 'n8n-nodes-base.webhook')) {
        const { httpMethod, path } = n.parameters as { httpMethod: string; path: string };
        const key = `${httpMethod} ${path}`;
        expect(n.webhookId, `${module}/${file}: ${n.name}`).toMatch(UUID);
        expect(path).toMatch(/^[a-z0-9][a-z0-9/_-]*$/);
        expect(seen.has(key), `${key} in ${module}/${file} and ${seen.get(key)}`).toBe(false);
        seen.set(key, `${module}/${file}`);
        expect(owner.get(path) ?? module, `${path} used by two modules`).toBe(module);
        owner.set(path, module);
        if (path !== 'truffles-health')
          expect(path.startsWith(PATH_PREFIX[module] ?? '?'), `${module}: ${path}`).toBe(true);
        // Provider callbacks check a signature instead of the API key; everything else needs the key.
        const open = ['truffles-health', 'whatsapp/inbound', 'kaspi/notification'].includes(path);
        expect((n.parameters as { authentication: string }).authentication, key).toBe(
          open ? 'none' : 'headerAuth',
        );
        if (!open)
          expect(n.credentials, key).toEqual({
            httpHeaderAuth: { id: 'tenantApiKey0001', name: 'Truffles API Key' },
          });
      }
    expect([...seen.keys()]).toEqual(
      expect.arrayContaining([
        'GET truffles-health',
        'POST chat/message',
        'POST chat/knowledge/ingest',
        'GET admin/stats',
        'GET admin/conversations',
        'GET admin/settings',
        'PUT admin/settings',
        'GET whatsapp/inbound',
        'POST whatsapp/inbound',
        'POST whatsapp/send',
        'POST kaspi/payment-link',
        'POST kaspi/notification',
      ]),
    );
  });

  it('answer GET truffles-health from core_admin at once: no credentials, no database', () => {
    const health = workflows.filter(({ wf }) =>
      wf.nodes.some((n) => n.type === 'n8n-nodes-base.webhook' && n.parameters.path === 'truffles-health'),
    );
    expect(health).toHaveLength(1);
    const [{ module, wf }] = health as [(typeof workflows)[number]];
    expect(module).toBe('core_admin');
    const hook = wf.nodes.find((n) => n.type === 'n8n-nodes-base.webhook');
    expect(hook?.parameters).toMatchObject({
      httpMethod: 'GET',
      authentication: 'none',
      responseMode: 'responseNode',
    });
    expect(wf.nodes.every((n) => !n.credentials)).toBe(true);
    expect(wf.nodes.map((n) => n.type).sort()).toEqual([
      'n8n-nodes-base.respondToWebhook',
      'n8n-nodes-base.webhook',
    ]);
    const respond = wf.nodes.find((n) => n.type === 'n8n-nodes-base.respondToWebhook');
    expect(wf.connections[hook?.name ?? '']?.main[0]?.[0]?.node).toBe(respond?.name);
    const body = String(respond?.parameters.responseBody);
    expect(body).toContain("status: 'ok'");
    expect(body).toContain('$env.CLIENT_SLUG');
    expect(body).toContain("module: 'core_admin'");
  });

  it('check the provider signatures over the raw body (WhatsApp X-Hub-Signature-256, Kaspi X-Kaspi-Signature)', async () => {
    const raw = Buffer.from(
      JSON.stringify({ object: 'whatsapp_business_account', text: 'Здравствуйте \u00e9 ✅' }).replace(
        /é/g,
        '\\u00e9',
      ),
    );
    const longSecret = 's'.repeat(100); // longer than the HMAC block: hashed first
    const item = (header: string, value: string, body: Buffer) => ({
      json: { headers: { [header]: value }, body: {} },
      binary: { data: { data: body.toString('base64'), mimeType: 'application/json' } },
    });
    const wa = codeNode('channel_whatsapp', 'whatsapp_webhook.json', 'Check signature');
    const sig = 'sha256=' + createHmac('sha256', longSecret).update(raw).digest('hex');
    const env = { WHATSAPP_APP_SECRET: longSecret };
    expect(await runCodeNode(wa, item('x-hub-signature-256', sig, raw), env)).toEqual([
      { json: { valid: true, reason: '' } },
    ]);
    const tampered = Buffer.concat([raw, Buffer.from(' ')]);
    expect(await runCodeNode(wa, item('x-hub-signature-256', sig, tampered), env)).toEqual([
      { json: { valid: false, reason: 'signature mismatch' } },
    ]);
    expect(await runCodeNode(wa, item('x-hub-signature-256', sig, raw), {})).toEqual([
      { json: { valid: false, reason: 'WHATSAPP_APP_SECRET is not set for this tenant' } },
    ]);

    const kaspi = codeNode('integration_kaspi', 'kaspi_payment_handler.json', 'Check signature');
    const body = Buffer.from('{"payment_id":"KSP-1","amount":"15 000 ₸"}');
    const hex = createHmac('sha256', 'kaspi-secret').update(body).digest('hex');
    const kenv = { KASPI_WEBHOOK_SECRET: 'kaspi-secret' };
    for (const header of [hex, `sha256=${hex}`, hex.toUpperCase()])
      expect(await runCodeNode(kaspi, item('x-kaspi-signature', header, body), kenv)).toEqual([
        { json: { valid: true, reason: '' } },
      ]);
    const wrong = hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');
    expect(await runCodeNode(kaspi, item('x-kaspi-signature', wrong, body), kenv)).toEqual([
      { json: { valid: false, reason: 'signature mismatch' } },
    ]);
    expect(await runCodeNode(kaspi, item('x-kaspi-signature', 'nope', body), kenv)).toEqual([
      { json: { valid: false, reason: 'missing or malformed X-Kaspi-Signature' } },
    ]);
  });
});

describe('module catalog: migrations and credentials', () => {
  it('migrations run inside the factory’s transaction: no BEGIN/COMMIT/ROLLBACK, no CONCURRENTLY, no extensions', () => {
    let files = 0;
    for (const { manifest, dir } of catalog.values())
      for (const file of manifest.migrations) {
        files++;
        const sql = readFileSync(join(dir, 'migrations', file), 'utf8');
        const statements = sqlStatementsOnly(sql);
        expect(statements, `${manifest.name}/${file}`).not.toMatch(
          /\b(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|SAVEPOINT)\b/i,
        );
        expect(statements, `${manifest.name}/${file}`).not.toMatch(/\bCONCURRENTLY\b/i);
        expect(statements, `${manifest.name}/${file}`).not.toMatch(/\bCREATE\s+EXTENSION\b/i);
        expect(statements, `${manifest.name}/${file}`).not.toMatch(
          /\bTIMESTAMP\b(?!TZ)(?!\s+WITH\s+TIME\s+ZONE)/i,
        );
        // Every table has a comment.
        for (const [, table] of statements.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi))
          expect(sql, `${manifest.name}/${file}: COMMENT ON TABLE ${table}`).toMatch(
            new RegExp(`COMMENT ON TABLE ${table}\\b`),
          );
      }
    expect(files).toBe(3);
  });

  it('core_chat creates the §8 tables and seeds the spec’s settings idempotently', () => {
    const sql = readFileSync(join(ROOT, 'core_chat', 'migrations', '001_init.sql'), 'utf8');
    for (const table of [
      'customers',
      'conversations',
      'messages',
      'knowledge_documents',
      'knowledge_chunks',
      'billing_events',
      'settings',
      'audit_logs',
    ])
      expect(sql).toMatch(new RegExp(`CREATE TABLE IF NOT EXISTS ${table} \\(`));
    for (const key of ['bot_name', 'welcome_message', 'working_hours', 'escalation_keywords', 'model_router'])
      expect(sql).toContain(`('${key}', `);
    expect(sql).toMatch(/ON CONFLICT \(key\) DO NOTHING;/);
    const kaspi = readFileSync(
      join(ROOT, 'integration_kaspi', 'migrations', '001_orders_payments.sql'),
      'utf8',
    );
    expect(kaspi).toMatch(/CREATE TABLE IF NOT EXISTS orders \(/);
    expect(kaspi).toMatch(/CREATE TABLE IF NOT EXISTS payments \(/);
    expect(kaspi).toMatch(/UNIQUE \(provider, provider_reference\)/);
  });

  it('credential templates are n8n exports whose {{placeholders}} the factory can fill', () => {
    const envNames = new Set(
      [...catalog.values()].flatMap(({ manifest }) => manifest.env.map((v) => v.name)),
    );
    for (const { module, file, cred, text } of credentials) {
      expect(Object.keys(cred).sort(), `${module}/${file}`).toEqual(['data', 'id', 'name', 'type']);
      for (const [, name] of text.matchAll(/\{\{([^}]*)\}\}/g)) {
        expect(name, `${module}/${file}`).toMatch(/^[A-Z][A-Z0-9_]{1,63}$/);
        expect(
          envNames.has(name ?? '') || STACK_VARS.includes(name ?? ''),
          `${module}/${file}: {{${name}}}`,
        ).toBe(true);
      }
    }
    const pg = credentials.find((c) => c.file === 'postgres.template.json');
    expect(pg?.module).toBe('core_chat');
    expect(pg?.cred).toEqual({
      id: 'tenantPostgres0001',
      name: 'Tenant PostgreSQL',
      type: 'postgres',
      data: {
        host: 'postgres',
        database: '{{POSTGRES_DB}}',
        user: '{{POSTGRES_USER}}',
        password: '{{POSTGRES_PASSWORD}}',
        port: 5432,
        ssl: 'disable',
      },
    });
    // Every credential a workflow refers to is provided by its module or a dependency.
    const provided = new Map(credentials.map((c) => [c.cred.id, c]));
    for (const { module, file, wf } of workflows)
      for (const n of wf.nodes)
        for (const [type, ref] of Object.entries(n.credentials ?? {})) {
          const c = provided.get(ref.id);
          expect(c, `${module}/${file}: ${n.name} -> ${ref.id}`).toBeDefined();
          expect([c?.cred.type, c?.cred.name]).toEqual([type, ref.name]);
          const deps = [module, ...(catalog.get(module)?.manifest.depends ?? [])];
          expect(deps, `${module}/${file} uses ${c?.module}'s credential`).toContain(c?.module);
        }
  });
});
