import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type pg from 'pg';
import { CoreError } from '../../errors';
import { withTenantPg } from '../../tenantdata/postgres';
import { withTenantQdrant } from '../../tenantdata/qdrant';
import {
  n8nImportCommand,
  n8nSchemaLoadCommand,
  n8nSchemaSaveCommand,
  n8nSetActiveCommand,
  READ_MISSING_EXIT,
} from '../commands';
import { mkdirHost, removeInside, writeHostFile } from '../hostfs';
import type { TenantRuntime } from '../runtime';
import type { Ctx } from './context';

/** The steps that put a tenant's data in place: migrations, n8n's workflows, Qdrant's collections. */

/** Qdrant collections every tenant gets (core_chat's knowledge base). */
const COLLECTIONS = [
  { name: 'knowledge', size: 1536, distance: 'Cosine' as const, indexes: ['document_id'] },
];

/** A session with the tenant's PostgreSQL, as the tenant's own user (its `.env`). */
function withPg<T>(ctx: Ctx, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withTenantPg(
    ctx.transport,
    ctx.input.slug,
    { user: ctx.env.POSTGRES_USER, password: ctx.env.POSTGRES_PASSWORD, database: ctx.env.POSTGRES_DB },
    fn,
  );
}

export async function stepMigrate(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  return withPg(ctx, async (db) => {
    // n8n keeps its tables in their own schema (DB_POSTGRESDB_SCHEMA): the spec's `settings`
    // table and n8n's `settings` table must never meet.
    await db.query('CREATE SCHEMA IF NOT EXISTS n8n');
    await db.query(`CREATE TABLE IF NOT EXISTS truffles_migrations (
      module text NOT NULL,
      name text NOT NULL,
      module_version text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (module, name))`);
    const done = new Set(
      (
        await db.query<{ module: string; name: string }>('SELECT module, name FROM truffles_migrations')
      ).rows.map((r) => `${r.module}/${r.name}`),
    );
    let applied = 0;
    for (const m of ctx.modules) {
      for (const file of m.manifest.migrations) {
        if (done.has(`${m.manifest.name}/${file}`)) continue;
        const sql = await readFile(join(m.dir, 'migrations', file), 'utf8');
        await db.query('BEGIN');
        try {
          await db.query(sql);
          await db.query(
            'INSERT INTO truffles_migrations (module, name, module_version) VALUES ($1, $2, $3)',
            [m.manifest.name, file, m.manifest.version],
          );
          await db.query('COMMIT');
        } catch (err) {
          await db.query('ROLLBACK').catch(() => undefined);
          throw new CoreError(
            'tenant.migration',
            `Migration ${m.manifest.name}/${file} failed: ${(err as Error).message}`,
            'It was rolled back; fix the migration and run the create again.',
          );
        }
        applied += 1;
        rt.log(ctx.input.slug, 'info', `Applied ${m.manifest.name}/${file}`);
      }
    }
    return `${applied} applied, ${done.size} already there`;
  });
}

/** One file n8n's CLI imports: where it goes in the import folder, and its text. */
interface ImportFile {
  kind: 'credentials' | 'workflows';
  name: string;
  text: string;
}

/** The modules' credential (variables filled in) and workflow files, and the workflows' ids. */
async function importFiles(ctx: Ctx): Promise<{ files: ImportFile[]; ids: string[] }> {
  const files: ImportFile[] = [];
  const ids: string[] = [];
  for (const m of ctx.modules) {
    for (const file of m.manifest.credentials) {
      const text = (await readFile(join(m.dir, 'credentials', file), 'utf8')).replace(
        /\{\{([A-Z][A-Z0-9_]*)\}\}/g,
        (_, name: string) => JSON.stringify(ctx.env[name] ?? '').slice(1, -1),
      );
      files.push({ kind: 'credentials', name: `${m.manifest.name}-${file}`, text });
    }
    for (const file of m.manifest.workflows) {
      const text = await readFile(join(m.dir, 'workflows', file), 'utf8');
      const id = (JSON.parse(text) as { id?: unknown }).id;
      if (typeof id === 'string') ids.push(id);
      files.push({ kind: 'workflows', name: `${m.manifest.name}-${file}`, text });
    }
  }
  return { files, ids };
}

/**
 * What n8n will hold once these files are imported and these ids deactivated: a SHA-256 over them
 * in order (the credentials' filled-in secrets included, so a changed key re-imports; the digest
 * reveals none of them).
 */
export function workflowsDigest(files: readonly ImportFile[], deactivate: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.kind}/${f.name}\0${f.text}\0`);
  h.update(`deactivate\0${[...deactivate].sort().join(',')}`);
  return h.digest('hex');
}

/**
 * Import every module's workflows with n8n's own CLI, in a one-off container of the tenant's n8n
 * image on its database (before n8n itself starts; the run also makes n8n's tables), the
 * credentials into those tables by SQL (n8n's CLI where they do not look as expected), and
 * activate the workflows: one container, one CLI run, whatever the number of files. Idempotent: workflows and credentials
 * carry fixed ids, so a re-import updates them. An update whose files are those n8n already
 * holds (the record's digest) imports nothing, and n8n is not restarted for it.
 */
export async function stepWorkflows(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  const { files, ids } = await importFiles(ctx);
  const workflows = files.filter((f) => f.kind === 'workflows').length;
  const credentials = files.length - workflows;
  const digest = workflowsDigest(files, ctx.deactivate);
  ctx.workflowsDigest = digest;
  if (ctx.kind === 'update' && ctx.record?.workflowsDigest === digest) {
    ctx.workflowsKept = true;
    return `${workflows} workflows, ${credentials} credentials: unchanged, n8n keeps them`;
  }
  if (files.length === 0 && ctx.deactivate.length === 0) return 'no workflows';
  const wf = files.filter((f) => f.kind === 'workflows');
  const creds = files.filter((f) => f.kind === 'credentials');
  // n8n's CLI boots once per command (seconds of CPU in the tenant's limited container). With
  // workflows to import, n8n's tables and the workflows come from the host's copy of what that
  // CLI made for another tenant of the same images and workflows, or from one CLI run (which
  // leaves such a copy), and the credentials then go in by SQL (by a second CLI run where the
  // tables do not look as expected); with none, the CLI imports it all.
  let how = '';
  if (wf.length) how = await importWorkflows(rt, ctx, wf, ids);
  else await runImport(rt, ctx, files);
  const viaSql = wf.length > 0 && creds.length > 0 && (await storeCredentials(ctx, creds));
  if (wf.length && creds.length && !viaSql) await runImport(rt, ctx, creds);
  const active = await setWorkflowsActive(ctx, ids, ctx.deactivate);
  return `${workflows} workflows (${active}${how}), ${credentials} credentials${viaSql ? ' (SQL)' : ''}`;
}

/**
 * Where the host keeps n8n's schema as its CLI made it from an empty database with these
 * workflows: named by a SHA-256 over the n8n and PostgreSQL images (their ids, so a re-pushed tag
 * is another copy) and the workflow files. Workflow files hold no secret (credentials do, and
 * never go into the copy).
 */
async function n8nSchemaFile(ctx: Ctx, wf: readonly ImportFile[]): Promise<string> {
  const docker = await ctx.transport.docker();
  const h = createHash('sha256');
  for (const ref of [ctx.images.n8n, ctx.images.postgres]) {
    const id = await docker
      .getImage(ref)
      .inspect()
      .then((i) => i.Id)
      .catch(() => ref);
    h.update(`${ref}\0${id}\0`);
  }
  for (const f of wf) h.update(`${f.name}\0${f.text}\0`);
  return posix.join(ctx.host.stateDir, 'cache', 'n8n-schema', `${h.digest('hex')}.sql`);
}

/**
 * n8n's tables with the workflows in them. Into an empty `n8n` schema (a new tenant), the host's
 * copy loads in one transaction, checked to hold every workflow; without a copy, or when it does
 * not load, n8n's CLI imports them and, the schema having been empty, a copy is saved for the
 * next tenant. Where n8n's tables exist (an update, a resumed create), the CLI imports as before.
 */
async function importWorkflows(
  rt: TenantRuntime,
  ctx: Ctx,
  wf: readonly ImportFile[],
  ids: readonly string[],
): Promise<string> {
  const { slug } = ctx.input;
  const empty = await withPg(ctx, async (db) => {
    const r = await db.query<{ n: string }>(
      "select count(*) as n from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = 'n8n'",
    );
    return Number(r.rows[0]?.n ?? 1) === 0;
  });
  const file = empty ? await n8nSchemaFile(ctx, wf) : null;
  if (file) {
    const r = await ctx.transport.exec(n8nSchemaLoadCommand(ctx.dir, slug, file), { timeoutMs: 5 * 60_000 });
    if (r.code === 0 && (await holdsWorkflows(ctx, ids))) return ', n8n schema from the host copy';
    if (r.code !== READ_MISSING_EXIT)
      rt.log(
        slug,
        'warn',
        `The host's copy of n8n's schema did not load (${(r.stderr || r.stdout).trim().split('\n').pop() ?? `exit ${r.code}`}); n8n's CLI imports instead.`,
      );
  }
  await runImport(rt, ctx, wf);
  if (!file) return '';
  const saved = await ctx.transport.exec(n8nSchemaSaveCommand(ctx.dir, slug, file), {
    timeoutMs: 5 * 60_000,
  });
  if (saved.code !== 0)
    rt.log(
      slug,
      'warn',
      `Keeping a copy of n8n's schema failed: ${saved.stderr.trim().split('\n').pop() ?? ''}`,
    );
  return '';
}

/** Whether n8n's workflow table holds every one of `ids`. */
async function holdsWorkflows(ctx: Ctx, ids: readonly string[]): Promise<boolean> {
  return withPg(ctx, async (db) => {
    const r = await db.query<{ n: string }>(
      'select count(*) as n from n8n.workflow_entity where id = any($1::text[])',
      [[...ids]],
    );
    return Number(r.rows[0]?.n ?? 0) === new Set(ids).size;
  }).catch(() => false);
}

/** n8n's CLI imports these files (credentials, then workflows) in a one-off container of the tenant's n8n. */
async function runImport(rt: TenantRuntime, ctx: Ctx, files: readonly ImportFile[]): Promise<void> {
  const { transport: t, input, dir } = ctx;
  if (!files.length) return;
  const importDir = posix.join(dir, 'n8n-import');
  await removeInside(t, dir, importDir);
  await mkdirHost(t, posix.join(importDir, 'credentials'), '0700');
  await mkdirHost(t, posix.join(importDir, 'workflows'), '0700');
  try {
    for (const f of files) await writeHostFile(t, posix.join(importDir, f.kind, f.name), f.text, 0o600);
    const r = await t.exec(n8nImportCommand(dir, input.slug, importDir), {
      timeoutMs: 10 * 60_000,
      onStdout: (d) => {
        for (const line of d.toString('utf8').split('\n'))
          if (line.trim()) rt.log(input.slug, 'info', `n8n: ${line.trim()}`);
      },
    });
    if (r.code !== 0)
      throw new CoreError(
        'tenant.n8n-import',
        `Importing the n8n workflows failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`,
        'Check the module files; run the same create again.',
      );
  } finally {
    await removeInside(t, dir, importDir).catch(() => undefined);
  }
}

/**
 * n8n's credential cipher (n8n-core's `Cipher`, the format its CLI and API write): AES-256-CBC
 * with key and IV from MD5 over the instance's encryption key and a random salt (OpenSSL's
 * EVP_BytesToKey), stored as base64 of `Salted__` + salt + ciphertext.
 */
export function n8nEncrypt(plain: string, encryptionKey: string): string {
  const salt = randomBytes(8);
  const password = Buffer.concat([Buffer.from(encryptionKey, 'binary'), salt]);
  const h1 = createHash('md5').update(password).digest();
  const h2 = createHash('md5')
    .update(Buffer.concat([h1, password]))
    .digest();
  const iv = createHash('md5')
    .update(Buffer.concat([h2, password]))
    .digest();
  const cipher = createCipheriv('aes-256-cbc', Buffer.concat([h1, h2]), iv);
  return Buffer.concat([
    Buffer.from('Salted__'),
    salt,
    cipher.update(plain, 'utf8'),
    cipher.final(),
  ]).toString('base64');
}

/**
 * The credentials into n8n's tables as its `import:credentials` puts them — the row (data
 * encrypted with the tenant's n8n key), owned by the instance owner's personal project — over
 * the tunnel instead of booting n8n's CLI once more. False (nothing written) where the tables do
 * not look like n8n 1.123's: the CLI does it then.
 */
async function storeCredentials(ctx: Ctx, creds: readonly ImportFile[]): Promise<boolean> {
  const key = ctx.env.N8N_ENCRYPTION_KEY;
  if (!key) return false;
  return withPg(ctx, async (db) => {
    const cols = await db.query<{ t: string; c: string }>(
      `select table_name as t, column_name as c from information_schema.columns
        where table_schema = 'n8n' and table_name in ('credentials_entity', 'shared_credentials', 'project', 'project_relation', 'user')`,
    );
    const has = (t: string, ...c: string[]): boolean =>
      c.every((x) => cols.rows.some((r) => r.t === t && r.c === x));
    if (
      !has('credentials_entity', 'id', 'name', 'type', 'data', 'isManaged', 'isGlobal', 'updatedAt') ||
      !has('shared_credentials', 'credentialsId', 'projectId', 'role') ||
      !has('project', 'id', 'type') ||
      !has('project_relation', 'projectId', 'userId', 'role') ||
      !has('user', 'id', 'roleSlug')
    )
      return false;
    const owner = await db.query<{ id: string }>(
      `select p.id from n8n.project p
         join n8n.project_relation r on r."projectId" = p.id and r.role = 'project:personalOwner'
         join n8n."user" u on u.id = r."userId"
        where p.type = 'personal' and u."roleSlug" = 'global:owner' limit 1`,
    );
    const project = owner.rows[0]?.id;
    if (!project) return false;
    const parsed = creds.map(
      (f) => JSON.parse(f.text) as { id?: unknown; name?: unknown; type?: unknown; data?: unknown },
    );
    if (
      parsed.some((c) => typeof c.id !== 'string' || typeof c.name !== 'string' || typeof c.type !== 'string')
    )
      return false;
    await db.query('BEGIN');
    try {
      for (const c of parsed) {
        const data = typeof c.data === 'string' ? c.data : n8nEncrypt(JSON.stringify(c.data ?? {}), key);
        await db.query(
          `insert into n8n.credentials_entity (id, name, type, data, "isManaged", "isGlobal")
           values ($1, $2, $3, $4, false, false)
           on conflict (id) do update set name = excluded.name, type = excluded.type, data = excluded.data,
             "updatedAt" = CURRENT_TIMESTAMP(3)`,
          [c.id, c.name, c.type, data],
        );
        await db.query(
          `insert into n8n.shared_credentials ("credentialsId", "projectId", role)
           select $1::varchar, $2::varchar, 'credential:owner'
            where not exists (
              select 1 from n8n.shared_credentials where "credentialsId" = $1::varchar and role = 'credential:owner')`,
          [c.id, project],
        );
      }
      await db.query('COMMIT');
      return true;
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

/**
 * Activate the modules' workflows (an import always leaves them inactive) and deactivate those
 * of removed modules, before n8n starts. This is the statement n8n 1.123's own
 * `update:workflow` runs (WorkflowRepository.updateActiveState), done over the tunnel instead
 * of booting n8n's CLI once more (~4 s). Where the table does not look like that (another n8n
 * version), n8n's CLI is used.
 */
async function setWorkflowsActive(ctx: Ctx, activate: string[], deactivate: string[]): Promise<string> {
  const viaSql = await withPg(ctx, async (db) => {
    const cols = (
      await db.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'n8n' AND table_name = 'workflow_entity'",
      )
    ).rows.map((r) => r.column_name);
    if (!['id', 'active', 'versionId', 'activeVersionId'].every((c) => cols.includes(c))) return null;
    await db.query('BEGIN');
    try {
      const on = await db.query(
        'UPDATE n8n.workflow_entity SET active = true, "activeVersionId" = "versionId" WHERE id = ANY($1::text[])',
        [activate],
      );
      const off = await db.query(
        'UPDATE n8n.workflow_entity SET active = false, "activeVersionId" = NULL WHERE id = ANY($1::text[])',
        [deactivate],
      );
      await db.query('COMMIT');
      return `${on.rowCount ?? 0} active${deactivate.length ? `, ${off.rowCount ?? 0} deactivated` : ''}`;
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
  if (viaSql !== null) return viaSql;
  const r = await ctx.transport.exec(n8nSetActiveCommand(ctx.dir, ctx.input.slug, activate, deactivate), {
    timeoutMs: 10 * 60_000,
  });
  if (r.code !== 0)
    throw new CoreError(
      'tenant.n8n-activate',
      `Activating the workflows failed: ${r.stderr.trim().split('\n').pop() ?? ''}`,
      'Run the same command again.',
    );
  return `${activate.length} active (n8n CLI)`;
}

export async function stepCollections(_rt: TenantRuntime, ctx: Ctx): Promise<string> {
  return withTenantQdrant(ctx.transport, ctx.input.slug, ctx.env.QDRANT_API_KEY, async (q) => {
    try {
      const made: string[] = [];
      for (const c of COLLECTIONS) {
        const { exists } = await q.collectionExists(c.name);
        if (!exists) {
          await q.createCollection(c.name, { vectors: { size: c.size, distance: c.distance } });
          made.push(c.name);
        }
        for (const field of c.indexes)
          await q.createPayloadIndex(c.name, { field_name: field, field_schema: 'keyword', wait: true });
      }
      return made.length ? `created ${made.join(', ')}` : 'already there';
    } catch (err) {
      if (err instanceof CoreError) throw err;
      throw new CoreError(
        'tenant.qdrant',
        `Setting up Qdrant collections failed: ${(err as Error).message}`,
        'Run the create again.',
      );
    }
  });
}
