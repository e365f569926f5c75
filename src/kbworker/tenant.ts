/**
 * A tenant as the worker reaches it: the values of its `.env` (database login, Qdrant key, the
 * LLM endpoint, its API key) and the addresses of its containers on the stack's internal
 * network, which the host's network reaches directly.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerApi } from '../agent/docker';
import { parseEnv, serviceIp as anyServiceIp, TENANT_SLUG } from '../agent/tenantenv';
import { WorkerError } from './errors';

export interface TenantAccess {
  slug: string;
  pg: { host: string; port: number; user: string; password: string; database: string };
  qdrant: { url: string; apiKey: string };
  /** The tenant's n8n, for its webhooks (ask the bot). */
  n8n: { url: string; apiKey: string | null };
  llm: { baseUrl: string; apiKey: string | null };
}

export function checkSlug(slug: unknown): string {
  if (typeof slug !== 'string' || !TENANT_SLUG.test(slug))
    throw new WorkerError('tenant', `'${String(slug)}' is not a tenant slug.`);
  return slug;
}

async function serviceIp(docker: DockerApi, slug: string, service: string): Promise<string> {
  const ip = await anyServiceIp(docker, slug, service);
  if (!ip) throw new WorkerError('tenant', `Service ${service} of '${slug}' is not running.`);
  return ip;
}

export async function tenantAccess(
  tenantsDir: string,
  docker: DockerApi,
  slug: string,
): Promise<TenantAccess> {
  checkSlug(slug);
  let text: string;
  try {
    text = await readFile(join(tenantsDir, slug, '.env'), 'utf8');
  } catch {
    throw new WorkerError('tenant', `Tenant '${slug}' is not on this host.`);
  }
  const env = parseEnv(text);
  const [pgIp, qdrantIp, n8nIp] = await Promise.all([
    serviceIp(docker, slug, 'postgres'),
    serviceIp(docker, slug, 'qdrant'),
    serviceIp(docker, slug, 'n8n'),
  ]);
  const base = (env['OPENAI_BASE_URL'] || 'https://api.openai.com/v1').replace(/\/+$/, '');
  return {
    slug,
    pg: {
      host: pgIp,
      port: 5432,
      user: env['POSTGRES_USER'] ?? '',
      password: env['POSTGRES_PASSWORD'] ?? '',
      database: env['POSTGRES_DB'] ?? '',
    },
    qdrant: { url: `http://${qdrantIp}:6333`, apiKey: env['QDRANT_API_KEY'] ?? '' },
    n8n: { url: `http://${n8nIp}:${env['N8N_PORT'] || '5678'}`, apiKey: env['TRUFFLES_API_KEY'] || null },
    llm: { baseUrl: base, apiKey: env['OPENAI_API_KEY'] || null },
  };
}
