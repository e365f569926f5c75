import type { CreateStep, TenantView } from '../../../shared/contract';
import type { HostRecord } from '../store/schema';
import { BASE_MODULES } from './modules';
import type { TenantRecord } from './record';

/** The tenants' views and the words they carry: step titles, the interrupted-operation hint. */

export const STEP_TITLES: Record<CreateStep, string> = {
  validate: 'Check slug, modules and plan',
  lock: 'Take the tenant lock on the host',
  preflight: 'Check the host (edge, Docker, Compose, disk)',
  images: 'Make sure the images are on the host',
  secrets: 'Generate the tenant secrets',
  render: 'Render compose and .env',
  upload: 'Upload the files',
  start: 'Start PostgreSQL, Qdrant and Redis (docker compose up)',
  health: 'Wait until they are healthy',
  migrate: 'Apply module migrations',
  collections: 'Create Qdrant collections',
  workflows: 'Import and activate the n8n workflows and credentials',
  n8n: 'Start n8n and wait until the whole stack is healthy',
  route: 'Verify the route through the edge',
  record: 'Record the tenant',
};

/** What the contract shows of a tenant record. */
export function tenantView(host: string, r: TenantRecord): TenantView {
  return {
    host,
    slug: r.slug,
    plan: r.plan,
    domain: r.domain,
    modules: r.modules,
    templateVersion: r.templateVersion,
    images: r.images,
    state: r.state,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    updatedAt: r.updatedAt,
    lastOperation: r.lastOperation,
  };
}

/** A view whose running operation has no lock holder any more: interrupted, and what to do. */
export function interruptedView(v: TenantView, host: HostRecord): TenantView {
  const op = v.lastOperation;
  const at = op.step ? ` at step ${op.step}` : '';
  const extra = v.modules.map((m) => m.name).filter((m) => !BASE_MODULES.includes(m));
  const domain =
    host.baseDomain && v.domain === `${v.slug}.${host.baseDomain}` ? '' : ` --domain ${v.domain}`;
  const del = `truffles tenant delete ${v.slug} --host ${v.host} --confirm ${v.slug}`;
  const hint =
    op.kind === 'create'
      ? `Resume it with the same settings: truffles tenant create ${v.slug} --host ${v.host} --plan ${v.plan}${extra.length ? ` --modules ${extra.join(',')}` : ''}${domain} (and the same --env values), or delete it: ${del}`
      : `Check it (truffles tenant status ${v.slug} --host ${v.host}) and run the ${op.kind} again, or delete it: ${del}`;
  return {
    ...v,
    lastOperation: {
      ...op,
      state: 'interrupted',
      error: {
        code: 'tenant.interrupted',
        message: `The ${op.kind} of '${v.slug}' started ${op.startedAt} by ${op.actor} was interrupted${at}: no console is running it any more (its lock is free).`,
        hint,
      },
    },
  };
}
