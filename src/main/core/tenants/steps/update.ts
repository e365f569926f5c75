import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { CREATE_STEPS, type CreateStep } from '../../../../shared/contract';
import { CoreError } from '../../errors';
import { parseHostCatalog, resolveImages, type ImageKey } from '../catalog';
import { readHostFile, tenantDir } from '../hostfs';
import { BASE_MODULES, resolveModules } from '../modules';
import { TEMPLATE_VERSION } from '../render';
import { parseEnvFile } from '../resources';
import type { TenantRuntime } from '../runtime';
import type { UpdateChange, UpdatePlan } from '../types';
import type { Ctx } from './context';
import { runningOperation } from './record';

/** What an update runs: the create's steps from the lock on, without the checks only a new tenant needs. */
const CREATE_ONLY: readonly CreateStep[] = ['validate', 'preflight', 'images'];
export const UPDATE_STEPS: readonly CreateStep[] = CREATE_STEPS.filter((s) => !CREATE_ONLY.includes(s));

/**
 * Check an update completely — the tenant's state, the module lists, tiers and dependencies,
 * the variables — against the tenant's record and files on the host, and say what it will do.
 * Reads only: a refused plan has changed nothing (a safe update takes its backup only after this).
 */
export async function planUpdate(
  rt: TenantRuntime,
  slug: string,
  change: UpdateChange,
  hostName?: string,
): Promise<UpdatePlan> {
  const { host, t, record } = await rt.queries.locate(slug, hostName);
  if (record.state !== 'running')
    throw new CoreError(
      'tenant.state',
      `Tenant '${slug}' is ${record.state}; only a running tenant can be updated.`,
      record.state === 'suspended'
        ? `Resume it first: truffles tenant resume ${slug}`
        : 'Finish or delete it first.',
    );
  const current = record.modules.map((m) => m.name);
  const problems: string[] = [];
  for (const r of change.removeModules) {
    if (BASE_MODULES.includes(r)) problems.push(`${r} is part of every tenant and cannot be removed.`);
    else if (!current.includes(r)) problems.push(`${r} is not installed on '${slug}'.`);
  }
  for (const a of change.addModules)
    if (current.includes(a)) problems.push(`${a} is already installed on '${slug}'.`);
  if (problems.length)
    throw new CoreError(
      'module.selection',
      problems.join(' '),
      'Change the module lists; nothing was changed.',
      { problems },
    );
  const requested = [
    ...new Set([...current.filter((x) => !change.removeModules.includes(x)), ...change.addModules]),
  ].filter((x) => !BASE_MODULES.includes(x));
  const catalog = await rt.catalog();
  const modules = resolveModules(catalog, requested, record.plan);
  for (const r of change.removeModules) {
    const needer = modules.find((m) => m.manifest.depends.includes(r));
    if (needer)
      throw new CoreError(
        'module.selection',
        `${r} is needed by ${needer.manifest.name}.`,
        `Remove ${needer.manifest.name} too, or keep ${r}.`,
      );
  }
  const declared = new Set(modules.flatMap((m) => m.manifest.env.map((v) => v.name)));
  for (const name of Object.keys(change.env))
    if (!declared.has(name))
      throw new CoreError(
        'tenant.env-unknown',
        `${name} is not a variable of the tenant's modules.`,
        `Known: ${[...declared].join(', ') || 'none'}.`,
      );
  const dir = tenantDir(host.stateDir, slug);
  const existingEnv = parseEnvFile((await readHostFile(t, posix.join(dir, '.env'))) ?? '');
  for (const m of modules)
    for (const v of m.manifest.env)
      if (v.source === 'operator' && v.required && !change.env[v.name] && !existingEnv[v.name])
        throw new CoreError(
          'tenant.env-missing',
          `Module ${m.manifest.name} needs ${v.name} (${v.description}).`,
          `Give it with --env ${v.name}=…`,
        );
  const removedIds: string[] = [];
  for (const r of change.removeModules) {
    const m = catalog.get(r);
    for (const f of m?.manifest.workflows ?? []) {
      const id = (JSON.parse(await readFile(join(m?.dir ?? '', 'workflows', f), 'utf8')) as { id?: unknown })
        .id;
      if (typeof id === 'string') removedIds.push(id);
    }
  }
  let images = record.images as Record<ImageKey, string>;
  if (change.refreshImages) {
    const catalogText = await readHostFile(t, posix.join(host.stateDir, 'catalog.json'));
    images = resolveImages(
      host,
      parseHostCatalog(catalogText, `${host.name}:${host.stateDir}/catalog.json`),
    ).images;
  }
  const now = new Date().toISOString();
  const ctx: Ctx = {
    opId: randomUUID(),
    input: {
      slug,
      host: host.name,
      plan: record.plan,
      modules: requested,
      domain: record.domain,
      env: change.env,
      keepOnFailure: true,
    },
    host,
    transport: t,
    dir,
    domain: record.domain,
    modules,
    images,
    env: {},
    record: {
      ...record,
      images,
      templateVersion: TEMPLATE_VERSION,
      modules: modules.map((m) => ({ name: m.manifest.name, version: m.manifest.version })),
      lastOperation: runningOperation('update', now),
    },
    lock: null,
    touched: false,
    resumed: false,
    kind: 'update',
    steps: UPDATE_STEPS,
    deactivate: removedIds,
    planned: record.updatedAt,
  };
  return ctx;
}
