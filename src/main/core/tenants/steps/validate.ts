import { CoreError } from '../../errors';
import { tenantDir } from '../hostfs';
import { resolveModules } from '../modules';
import type { TenantRuntime } from '../runtime';
import { RESERVED_SLUG_PREFIXES, SlugSchema } from '../slug';
import type { Ctx } from './context';

/**
 * The create's first step, before anything on the host: the slug, the modules for the plan, the
 * domain, the operator's values, and that no other host of the fleet has a tenant of this slug.
 */
export async function stepValidate(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  const { input } = ctx;
  const slug = SlugSchema.safeParse(input.slug);
  if (!slug.success)
    throw new CoreError(
      'tenant.slug',
      `Slug '${input.slug}': ${slug.error.issues[0]?.message ?? 'invalid'}`,
      'Choose another slug; nothing was created.',
    );
  // The edge's own compose project (truffles-edge) and anything else the console names itself.
  if (input.slug.startsWith('truffles-'))
    throw new CoreError(
      'tenant.slug',
      `Slug '${input.slug}': slugs starting with ${RESERVED_SLUG_PREFIXES.join(' or ')} are reserved for the console's own stacks (the edge, restore drills).`,
      'Choose another slug; nothing was created.',
    );
  ctx.modules = resolveModules(await rt.catalog(), input.modules, input.plan);
  ctx.host = await rt.hosts.get(input.host);
  if (!input.domain && !ctx.host.baseDomain)
    throw new CoreError(
      'tenant.domain',
      `Host '${input.host}' has no base domain, and no --domain was given.`,
      `Give --domain, or set the host's base domain (truffles host add … --base-domain bots.example.kz).`,
    );
  ctx.domain = input.domain ?? `${input.slug}.${ctx.host.baseDomain ?? ''}`;
  for (const m of ctx.modules)
    for (const v of m.manifest.env)
      if (v.source === 'operator' && v.required && !input.env[v.name])
        throw new CoreError(
          'tenant.env-missing',
          `Module ${m.manifest.name} needs ${v.name} (${v.description}).`,
          `Give it with --env ${v.name}=…`,
        );
  // Unique across the fleet: no other host may have it (another name for the same machine and
  // state folder is the same place, where an interrupted create is resumed, not a duplicate).
  const others = (await rt.hosts.list()).filter((h) => h.name !== input.host);
  const unreachable: string[] = [];
  const here = await rt.queries.placeId(input.host).catch(() => input.host);
  for (const h of others) {
    try {
      if ((await rt.queries.placeId(h.name)) === here) continue;
      const rec = await rt.hosts.get(h.name);
      const t = await rt.hosts.transport(h.name);
      if (await rt.queries.readRecord(t, rec.stateDir, input.slug))
        throw new CoreError(
          'tenant.exists',
          `Tenant '${input.slug}' already exists on ${h.name}.`,
          'Slugs are unique across the fleet: choose another.',
        );
    } catch (err) {
      if (err instanceof CoreError && err.code === 'tenant.exists') throw err;
      unreachable.push(h.name);
    }
  }
  if (unreachable.length)
    rt.log(
      input.slug,
      'warn',
      `Could not check ${unreachable.join(', ')} for a tenant of the same slug (unreachable).`,
    );
  ctx.transport = await rt.hosts.transport(input.host);
  ctx.dir = tenantDir(ctx.host.stateDir, input.slug);
  return `${ctx.modules.map((m) => m.manifest.name).join(', ')} on ${input.host} as ${ctx.domain}`;
}
