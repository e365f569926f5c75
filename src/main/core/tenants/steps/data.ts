import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type pg from 'pg';
import { CoreError } from '../../errors';
import { withTenantPg } from '../../tenantdata/postgres';
import { withTenantQdrant } from '../../tenantdata/qdrant';
import { n8nImportCommand, n8nSetActiveCommand } from '../commands';
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

/**
 * Import every module's credentials and workflows with n8n's own CLI, in a one-off container of
 * the tenant's n8n image on its database (before n8n itself starts), and activate them: one
 * container, three CLI runs, whatever the number of files. Idempotent: workflows and
 * credentials carry fixed ids, so a re-import updates them.
 */
export async function stepWorkflows(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  const { transport: t, input, dir } = ctx;
  const importDir = posix.join(dir, 'n8n-import');
  await removeInside(t, dir, importDir);
  await mkdirHost(t, posix.join(importDir, 'credentials'), '0700');
  await mkdirHost(t, posix.join(importDir, 'workflows'), '0700');
  let workflows = 0;
  let credentials = 0;
  const ids: string[] = [];
  try {
    for (const m of ctx.modules) {
      for (const file of m.manifest.credentials) {
        const text = (await readFile(join(m.dir, 'credentials', file), 'utf8')).replace(
          /\{\{([A-Z][A-Z0-9_]*)\}\}/g,
          (_, name: string) => JSON.stringify(ctx.env[name] ?? '').slice(1, -1),
        );
        await writeHostFile(
          t,
          posix.join(importDir, 'credentials', `${m.manifest.name}-${file}`),
          text,
          0o600,
        );
        credentials += 1;
      }
      for (const file of m.manifest.workflows) {
        const text = await readFile(join(m.dir, 'workflows', file), 'utf8');
        const id = (JSON.parse(text) as { id?: unknown }).id;
        if (typeof id === 'string') ids.push(id);
        await writeHostFile(t, posix.join(importDir, 'workflows', `${m.manifest.name}-${file}`), text, 0o600);
        workflows += 1;
      }
    }
    if (workflows + credentials === 0 && ctx.deactivate.length === 0) return 'no workflows';
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
  const active = await setWorkflowsActive(ctx, ids, ctx.deactivate);
  return `${workflows} workflows (${active}), ${credentials} credentials`;
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
