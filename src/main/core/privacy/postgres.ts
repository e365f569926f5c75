import type pg from 'pg';
import { CoreError } from '../errors';
import { pdPattern, phoneVariants } from './match';

/**
 * A personal-data request in a tenant's PostgreSQL: the application's tables (schema public, spec
 * §8 and the modules' migrations) and n8n's (schema n8n, where its executions keep every message
 * a workflow handled). Every table is searched, so a module's table nobody listed here is found
 * too; the erasure knows what to do with the tables it names and stops, changing nothing, when
 * any other row still names the customer.
 */

/** Who they are in the database: their customer rows and the ids tied to them. */
export interface Subject {
  digits: string;
  customers: { id: string; email: string | null }[];
  emails: string[];
  conversations: string[];
  orders: string[];
  /** The regular expression of their personal data (phone, emails). */
  pd: string;
  /** The regular expression of the ids tied to them (null: none). */
  links: string | null;
}

interface Table {
  schema: 'public' | 'n8n';
  name: string;
}

/** n8n's execution tables: handled as executions (deleted whole), not row by row. */
const EXECUTION_TABLES = new Set([
  'execution_entity',
  'execution_data',
  'execution_metadata',
  'execution_annotations',
]);

/** What the erasure does with each table it knows; a row elsewhere that names them stops it. */
const ACTIONS: Record<string, string> = {
  'public.customers': 'deleted',
  'public.conversations': 'deleted with the customer',
  'public.messages': 'deleted with the customer (texts elsewhere redacted)',
  'public.orders': 'kept for accounting, personal fields cleared',
  'public.payments': 'kept for accounting, personal fields cleared',
  'public.billing_events': 'kept (AI costs), unlinked',
  'public.audit_logs': 'kept, values cleared',
  'public.knowledge_chunks': 'text redacted',
  'n8n.execution_data': 'executions deleted',
};

const q = (c: pg.Client, t: Table): string => `${c.escapeIdentifier(t.schema)}.${c.escapeIdentifier(t.name)}`;

async function tables(c: pg.Client): Promise<Table[]> {
  const r = await c.query<{ s: 'public' | 'n8n'; n: string }>(
    `select table_schema as s, table_name as n from information_schema.tables
      where table_schema in ('public', 'n8n') and table_type = 'BASE TABLE' order by 1, 2`,
  );
  return r.rows.map((x) => ({ schema: x.s, name: x.n }));
}

async function has(c: pg.Client, name: string): Promise<boolean> {
  const r = await c.query<{ t: string | null }>('select to_regclass($1)::text as t', [name]);
  return r.rows[0]?.t != null;
}

/** The customer rows with this number (in any format), and the conversations and orders tied to them. */
export async function findSubject(c: pg.Client, digits: string): Promise<Subject> {
  const customers = (await has(c, 'public.customers'))
    ? (
        await c.query<{ id: string; email: string | null }>(
          `select id::text, email from public.customers
            where regexp_replace(phone, '[^0-9]', '', 'g') = any($1::text[]) order by created_at`,
          [phoneVariants(digits)],
        )
      ).rows
    : [];
  const ids = customers.map((x) => x.id);
  const conversations =
    ids.length && (await has(c, 'public.conversations'))
      ? (
          await c.query<{ id: string }>(
            'select id::text from public.conversations where customer_id = any($1::uuid[])',
            [ids],
          )
        ).rows.map((x) => x.id)
      : [];
  const orders =
    ids.length && (await has(c, 'public.orders'))
      ? (
          await c.query<{ id: string }>(
            'select id::text from public.orders where customer_id = any($1::uuid[]) or conversation_id = any($2::uuid[])',
            [ids, conversations],
          )
        ).rows.map((x) => x.id)
      : [];
  const emails = [...new Set(customers.map((x) => x.email?.trim()).filter((e): e is string => !!e))];
  const linked = [...ids, ...conversations, ...orders];
  return {
    digits,
    customers,
    emails,
    conversations,
    orders,
    pd: pdPattern(digits, emails),
    links: linked.length ? `(${linked.join('|')})` : null,
  };
}

/** The condition on a row (`t`) that names them or is tied to them; $1 the pd pattern, $2 the links. */
function rowMatches(s: Subject): { where: string; params: string[] } {
  return s.links
    ? { where: '(t::text ~* $1 or t::text ~ $2)', params: [s.pd, s.links] }
    : { where: 't::text ~* $1', params: [s.pd] };
}

/** Per table, how many rows name them or are tied to them (n8n's executions counted as executions). */
export async function countRows(
  c: pg.Client,
  s: Subject,
  only: 'all' | 'pd' = 'all',
): Promise<{ place: string; count: number; action: string }[]> {
  const out: { place: string; count: number; action: string }[] = [];
  const m = only === 'pd' ? { where: 't::text ~* $1', params: [s.pd] } : rowMatches(s);
  for (const t of await tables(c)) {
    if (t.schema === 'n8n' && EXECUTION_TABLES.has(t.name)) continue;
    const r = await c.query<{ n: string }>(
      `select count(*)::text as n from ${q(c, t)} t where ${m.where}`,
      m.params,
    );
    const n = Number(r.rows[0]?.n ?? 0);
    const place = `${t.schema}.${t.name}`;
    if (n > 0) out.push({ place, count: n, action: ACTIONS[place] ?? 'not known to the erasure' });
  }
  const ex = await executions(c, s, only);
  if (ex.length)
    out.push({ place: 'n8n.execution_data', count: ex.length, action: ACTIONS['n8n.execution_data']! });
  return out;
}

/** n8n's executions whose data names them (or holds one of their ids). */
async function executions(c: pg.Client, s: Subject, only: 'all' | 'pd' = 'all'): Promise<string[]> {
  if (!(await has(c, 'n8n.execution_data'))) return [];
  const m =
    only === 'pd' || !s.links
      ? { w: 'd.data ~* $1', p: [s.pd] }
      : { w: '(d.data ~* $1 or d.data ~ $2)', p: [s.pd, s.links] };
  const r = await c.query<{ id: string }>(
    `select d."executionId"::text as id from n8n.execution_data d where ${m.w} order by 1`,
    m.p,
  );
  return r.rows.map((x) => x.id);
}

/** Most rows of one table an export carries (a customer's messages are far fewer). */
const EXPORT_ROWS = 20_000;
/**
 * Most executions an export carries, and most characters of each one's data: the export is one
 * document in memory (and over IPC to the window), so it stays under ~50 MB; what is cut is said
 * in the report (`truncated`, and each execution's `dataTruncated`).
 */
const EXPORT_EXECUTIONS = 200;
const EXECUTION_CHARS = 256_000;

/** Every row that names them or is tied to them, per table, and n8n's executions with their data. */
export async function exportRows(
  c: pg.Client,
  s: Subject,
): Promise<{
  tables: Record<string, unknown[]>;
  executions: unknown[];
  truncated: string[];
  /** Every matching row counted, as countRows counts them (the same read as the rows). */
  counts: { place: string; count: number; action: string }[];
}> {
  const out: Record<string, unknown[]> = {};
  const truncated: string[] = [];
  const counts: { place: string; count: number; action: string }[] = [];
  const m = rowMatches(s);
  for (const t of await tables(c)) {
    if (t.schema === 'n8n' && EXECUTION_TABLES.has(t.name)) continue;
    // The window's count is taken before the limit: every matching row, however many are carried.
    const r = await c.query<{ row: unknown; n: string }>(
      `select to_jsonb(t) as row, count(*) over ()::text as n from ${q(c, t)} t where ${m.where} limit ${EXPORT_ROWS}`,
      m.params,
    );
    if (!r.rows.length) continue;
    const place = `${t.schema}.${t.name}`;
    const n = Number(r.rows[0]!.n);
    if (n > EXPORT_ROWS) truncated.push(`${place}: the first ${EXPORT_ROWS} rows of ${n}`);
    out[place] = r.rows.map((x) => x.row);
    counts.push({ place, count: n, action: ACTIONS[place] ?? 'not known to the erasure' });
  }
  const ids = await executions(c, s);
  if (ids.length)
    counts.push({ place: 'n8n.execution_data', count: ids.length, action: ACTIONS['n8n.execution_data']! });
  if (ids.length > EXPORT_EXECUTIONS) truncated.push(`n8n executions: the first ${EXPORT_EXECUTIONS}`);
  const ex = ids.length
    ? (
        await c.query<{
          id: string;
          workflowId: string;
          status: string;
          startedAt: string;
          stoppedAt: string;
          data: string;
          full: number;
        }>(
          `select e.id::text, e."workflowId", e.status, e."startedAt", e."stoppedAt",
                  left(d.data, ${EXECUTION_CHARS}) as data, length(d.data) as full
             from n8n.execution_entity e join n8n.execution_data d on d."executionId" = e.id
            where e.id = any($1::int[]) order by e.id`,
          [ids.slice(0, EXPORT_EXECUTIONS)],
        )
      ).rows.map(({ full, ...x }) => ({ ...x, dataTruncated: full > EXECUTION_CHARS }))
    : [];
  return { tables: out, executions: ex, truncated, counts };
}

/**
 * Erase them in one transaction: their customer rows go (conversations and messages with them);
 * orders and payments stay for accounting with their personal fields cleared; the tenant's audit
 * log keeps its rows without their values; texts elsewhere (other conversations, knowledge
 * chunks) are redacted; n8n's executions that hold them are deleted. Then every table is searched
 * again: a row that still names them undoes it all (`privacy.leftover`). The tenant's audit log
 * gets a row naming the customer's id only. `beforeCommit` (the other stores' erasure) runs with
 * the transaction open: if it fails, the database is left as it was, so the same erasure run
 * again still finds the customer and everything tied to them.
 */
export async function eraseRows(
  c: pg.Client,
  s: Subject,
  actor: string,
  beforeCommit: () => Promise<void>,
): Promise<{ executions: number }> {
  const ids = s.customers.map((x) => x.id);
  await c.query('begin');
  try {
    if (await has(c, 'public.payments'))
      await c.query(
        `update public.payments t set sender_name = null, sender_phone = null, raw_notification = null
          where customer_id = any($2::uuid[]) or order_id = any($3::uuid[]) or t::text ~* $1`,
        [s.pd, ids, s.orders],
      );
    if (await has(c, 'public.orders'))
      await c.query(
        `update public.orders t set
            metadata = case when metadata::text ~* $1 then '{}'::jsonb else metadata end,
            description = case when description ~* $1 then null else description end,
            payment_link = case when payment_link ~* $1 then null else payment_link end
          where t::text ~* $1`,
        [s.pd],
      );
    if (await has(c, 'public.audit_logs'))
      await c.query(
        `update public.audit_logs t set old_value = null, new_value = null, ip_address = null, user_agent = null,
            actor_id = case when actor_id ~* $1 then null else actor_id end
          where ${s.links ? 'resource_id ~ $2 or ' : ''}t::text ~* $1`,
        s.links ? [s.pd, s.links] : [s.pd],
      );
    if (await has(c, 'public.messages'))
      await c.query(
        `update public.messages t set content = regexp_replace(content, $1, '[erased]', 'gi'),
            metadata = case when metadata::text ~* $1 then '{}'::jsonb else metadata end
          where t::text ~* $1`,
        [s.pd],
      );
    if (await has(c, 'public.knowledge_chunks'))
      await c.query(
        `update public.knowledge_chunks set content = regexp_replace(content, $1, '[erased]', 'gi') where content ~* $1`,
        [s.pd],
      );
    const ex = await executions(c, s);
    if (ex.length) await c.query('delete from n8n.execution_entity where id = any($1::int[])', [ex]);
    if (ids.length) await c.query('delete from public.customers where id = any($1::uuid[])', [ids]);
    const left = await countRows(c, s, 'pd');
    if (left.length) {
      const where = left.map((l) => `${l.place} (${l.count})`).join(', ');
      throw new CoreError(
        'privacy.leftover',
        `After the erasure, rows of ${where} would still name the customer: nothing was erased.`,
        'These tables are not known to the erasure; clear those rows by hand (or with their module), then erase again.',
        { left },
      );
    }
    if (ids.length && (await has(c, 'public.audit_logs')))
      await c.query(
        `insert into public.audit_logs (actor_id, actor_type, action, resource_type, resource_id, new_value)
         values ($1, 'user', 'customer.erased', 'customer', $2, $3::jsonb)`,
        [actor.slice(0, 255), ids[0], JSON.stringify({ customers: ids.length, executions: ex.length })],
      );
    await beforeCommit();
    await c.query('commit');
    return { executions: ex.length };
  } catch (err) {
    await c.query('rollback').catch(() => undefined);
    throw err;
  }
}
