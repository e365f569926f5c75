import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Core } from '../../src/main/core/core';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import { withTenantQdrant } from '../../src/main/core/tenantdata/qdrant';
import { readHostFile } from '../../src/main/core/tenants/hostfs';
import { parseEnvFile } from '../../src/main/core/tenants/service';
import type { KbJobView, KbList } from '../../src/shared/contract';
import { withTenantDb } from './tenants';

const FINAL = ['done', 'error', 'cancelled'];

/**
 * The address at which both a tenant's n8n (on the edge's network) and the host's processes reach
 * this machine: the gateway of `web_gateway`. The LLM stand-in listens on every address, and the
 * tenant's OPENAI_BASE_URL names it there.
 */
export function gatewayAddress(): string {
  const raw = execFileSync(
    'docker',
    ['network', 'inspect', 'web_gateway', '--format', '{{json .IPAM.Config}}'],
    {
      encoding: 'utf8',
    },
  );
  const cfg = JSON.parse(raw) as Array<{ Gateway?: string }>;
  const gw = cfg.find((c) => c.Gateway)?.Gateway;
  if (!gw) throw new Error('web_gateway has no gateway address');
  return gw;
}

/** Wait until every job is final (done, error, cancelled); answers the jobs as the worker last saw them. */
export async function waitJobs(
  core: Core,
  slug: string,
  ids: string[],
  timeoutMs = 300_000,
): Promise<KbJobView[]> {
  const deadline = Date.now() + timeoutMs;
  let last: KbList | null = null;
  while (Date.now() < deadline) {
    last = await core.call('kb.list', { slug });
    const jobs = ids.map((id) => last!.jobs.find((j) => j.id === id));
    if (jobs.every((j) => j && FINAL.includes(j.phase))) return jobs as KbJobView[];
    await sleep(500);
  }
  throw new Error(
    `jobs not final after ${timeoutMs} ms: ${JSON.stringify(last?.jobs.filter((j) => ids.includes(j.id)).map((j) => [j.filename, j.phase, j.done, j.total, j.error]))}`,
  );
}

/** A document's chunk rows in PostgreSQL and its points in Qdrant, counted on the tenant's own services. */
export async function kbCounts(
  core: Core,
  tr: HostTransport,
  slug: string,
  documentId: string,
): Promise<{ chunks: number; points: number; docs: number }> {
  const { chunks, docs } = await withTenantDb(core, tr, slug, async (db) => {
    const c = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM knowledge_chunks WHERE document_id = $1',
      [documentId],
    );
    const d = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM knowledge_documents WHERE id = $1',
      [documentId],
    );
    return { chunks: c.rows[0]!.n, docs: d.rows[0]!.n };
  });
  const env = parseEnvFile((await readHostFile(tr, `/opt/truffles/tenants/${slug}/.env`)) ?? '');
  const points = await withTenantQdrant(tr, slug, env['QDRANT_API_KEY'], async (q) => {
    const exists = await q.collectionExists('knowledge');
    if (!exists.exists) return 0;
    const r = await q.count('knowledge', {
      filter: { must: [{ key: 'document_id', match: { value: documentId } }] },
      exact: true,
    });
    return r.count;
  });
  return { chunks, points, docs };
}

export function writeFixture(dir: string, name: string, data: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}
