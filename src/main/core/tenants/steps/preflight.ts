import { posix } from 'node:path';
import { CoreError } from '../../errors';
import { parseHostCatalog, resolveImages } from '../catalog';
import { preflightCommand, pullCommand } from '../commands';
import { SERVICES } from '../compose';
import { projectResources } from '../containers';
import { listDirs, readHostFile, tenantsDir } from '../hostfs';
import type { TenantRuntime } from '../runtime';
import { SlugSchema } from '../slug';
import type { Ctx } from './context';

/** A new tenant's checks before anything is made: the host, its domain, its compose project, its images. */

const MIN_FREE_BYTES = 2 * 1024 ** 3;

export async function stepPreflight(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  const { transport: t, input } = ctx;
  const existing = await rt.queries.readRecord(t, ctx.host.stateDir, input.slug);
  if (existing) {
    if (existing.state !== 'creating')
      throw new CoreError(
        'tenant.exists',
        `Tenant '${input.slug}' already exists on ${input.host} (${existing.state}).`,
        'Choose another slug, or delete that tenant first.',
      );
    const same =
      existing.plan === input.plan &&
      existing.domain === ctx.domain &&
      existing.modules.map((m) => m.name).join(',') === ctx.modules.map((m) => m.manifest.name).join(',');
    if (!same)
      throw new CoreError(
        'tenant.resume-mismatch',
        `An interrupted create of '${input.slug}' exists on ${input.host} with other settings (plan ${existing.plan}, modules ${existing.modules.map((m) => m.name).join(',')}, domain ${existing.domain}).`,
        'Run the create again with the same settings to finish it, or delete the tenant first.',
      );
    ctx.record = existing;
    ctx.resumed = true;
    rt.log(
      input.slug,
      'info',
      `Resuming the interrupted create started ${existing.createdAt} by ${existing.createdBy}.`,
    );
  }
  await checkDomain(rt, ctx);
  await checkProjectFree(ctx);
  const r = await t.exec(preflightCommand(ctx.host.stateDir), { timeoutMs: 30_000 });
  const out = r.stdout;
  if (out.includes('NOCOMPOSE'))
    throw new CoreError(
      'preflight.compose',
      `Docker Compose v2 is not available on ${input.host}.`,
      'Run `truffles host check` for the fix.',
    );
  if (out.includes('NOFLOCK'))
    throw new CoreError(
      'preflight.flock',
      `flock is missing on ${input.host}.`,
      'Install util-linux on the host.',
    );
  const df = out.trim().split('\n').pop()?.split(/\s+/) ?? [];
  const availKb = Number(df[3]);
  if (Number.isFinite(availKb) && availKb * 1024 < MIN_FREE_BYTES)
    throw new CoreError(
      'preflight.disk',
      `Only ${(availKb / 1024 / 1024).toFixed(1)} GiB free under ${ctx.host.stateDir} on ${input.host}; a tenant needs at least 2 GiB.`,
      'Free space on the host (docker system prune, old backups) or grow the disk.',
    );
  const docker = await t.docker();
  // The stack's health checks use start_interval (fast detection while starting): Engine 25+.
  const engine = await docker.version();
  const [major, minor] = engine.ApiVersion.split('.').map(Number);
  if ((major ?? 0) < 1 || ((major ?? 0) === 1 && (minor ?? 0) < 44))
    throw new CoreError(
      'preflight.docker-old',
      `Docker Engine ${engine.Version} (API ${engine.ApiVersion}) on ${input.host} is too old; tenant stacks need Engine 25 or later.`,
      'Upgrade Docker Engine on the host (docker.io from Debian 13, or Docker’s own packages).',
    );
  const edge = await docker.listContainers({
    filters: { label: ['org.truffles.edge=true'], status: ['running'] },
  });
  if (edge.length === 0)
    throw new CoreError(
      'preflight.edge',
      `The edge (Traefik) is not running on ${input.host}.`,
      `Install it first: truffles edge install --host ${input.host}`,
    );
  const nets = await docker.listNetworks({ filters: { name: ['web_gateway'] } });
  if (!nets.some((n) => n.Name === 'web_gateway'))
    throw new CoreError(
      'preflight.edge',
      `The network web_gateway is missing on ${input.host}.`,
      `Reinstall the edge: truffles edge install --host ${input.host}`,
    );
  const catalogText = await readHostFile(t, posix.join(ctx.host.stateDir, 'catalog.json'));
  ctx.images = resolveImages(
    ctx.host,
    parseHostCatalog(catalogText, `${input.host}:${ctx.host.stateDir}/catalog.json`),
  ).images;
  return ctx.resumed
    ? 'resuming an interrupted create'
    : `edge running, ${(availKb / 1024 / 1024).toFixed(1)} GiB free`;
}

/**
 * The tenant's domain is its own on the host: no other tenant record has it, and it is not the
 * edge's dashboard (`traefik.<base domain>`), whose router would otherwise compete for it.
 */
async function checkDomain(rt: TenantRuntime, ctx: Ctx): Promise<void> {
  const { transport: t, input } = ctx;
  const edgeText = await readHostFile(t, posix.join(ctx.host.stateDir, 'edge', 'edge.json'));
  let edgeBase: unknown;
  try {
    edgeBase = edgeText ? (JSON.parse(edgeText) as { baseDomain?: unknown }).baseDomain : null;
  } catch {
    edgeBase = null;
  }
  const dashboards = [edgeBase, ctx.host.baseDomain]
    .filter((d): d is string => typeof d === 'string' && d.length > 0)
    .map((d) => `traefik.${d}`);
  if (dashboards.includes(ctx.domain))
    throw new CoreError(
      'tenant.domain-taken',
      `${ctx.domain} is the edge's own dashboard on ${input.host}; a tenant cannot take it.`,
      'Give another --domain; nothing was created.',
    );
  for (const slug of await listDirs(t, tenantsDir(ctx.host.stateDir))) {
    if (slug === input.slug || !SlugSchema.safeParse(slug).success) continue;
    const other = await rt.queries.readRecord(t, ctx.host.stateDir, slug).catch(() => null);
    if (other?.domain === ctx.domain)
      throw new CoreError(
        'tenant.domain-taken',
        `${ctx.domain} is already the domain of tenant '${slug}' on ${input.host}.`,
        'Give another --domain; each tenant has its own. Nothing was created.',
      );
  }
}

/**
 * The slug names a compose project, its volumes (`<slug>_…`) and networks. Before anything is
 * made, none of them may exist unless they are this tenant's own (an interrupted create being
 * resumed): `compose up --remove-orphans` and a rollback would otherwise take over — and remove —
 * another stack (the edge, a site's monitoring) or its data.
 */
async function checkProjectFree(ctx: Ctx): Promise<void> {
  const found = await projectResources(await ctx.transport.docker(), ctx.input.slug);
  const foreign = [
    ...found.containers.filter((x) => !x.ours).map((x) => `container ${x.name}`),
    // A resumed create of a tenant from before volumes carried our label: Compose made them for it.
    ...found.volumes
      .filter((x) => !x.ours && !(ctx.resumed && x.project === ctx.input.slug))
      .map((x) => `volume ${x.name}`),
    ...found.networks
      .filter((x) => !x.ours && !(ctx.resumed && x.project === ctx.input.slug))
      .map((x) => `network ${x.name}`),
  ];
  // Ours but with no record: what an earlier tenant of this slug left behind — not ours to reuse.
  const leftovers = ctx.resumed
    ? []
    : [...found.containers, ...found.volumes, ...found.networks].filter((x) => x.ours).map((x) => x.name);
  if (foreign.length === 0 && leftovers.length === 0) return;
  const all = [...foreign, ...leftovers.map((n) => `${n} (left by an earlier tenant '${ctx.input.slug}')`)];
  const shown = all.slice(0, 8).join(', ') + (all.length > 8 ? `, and ${all.length - 8} more` : '');
  throw new CoreError(
    'tenant.project-exists',
    `The compose project '${ctx.input.slug}' already exists on ${ctx.input.host} without a tenant of this console: ${shown}.`,
    foreign.length
      ? `Choose another slug: these belong to another stack, which a tenant of this name would take over. Nothing was changed.`
      : `Choose another slug, or remove those leftovers on the host (docker rm -f / docker volume rm / docker network rm) and create again. Nothing was changed.`,
    {
      containers: found.containers.map((x) => x.name),
      volumes: found.volumes.map((x) => x.name),
      networks: found.networks.map((x) => x.name),
    },
  );
}

export async function stepImages(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  const docker = await ctx.transport.docker();
  const missing: string[] = [];
  for (const key of SERVICES) {
    const ref = ctx.images[key];
    try {
      await docker.getImage(ref).inspect();
    } catch {
      missing.push(ref);
    }
  }
  for (const ref of missing) {
    rt.log(ctx.input.slug, 'info', `Pulling ${ref}…`);
    const r = await ctx.transport.exec(pullCommand(ref), { timeoutMs: 15 * 60_000 });
    if (r.code !== 0)
      throw new CoreError(
        'images.pull',
        `${ref} is not on ${ctx.input.host} and cannot be pulled: ${r.stderr.trim().split('\n').pop() ?? ''}`,
        `Set a registry mirror for the host, or ship the image: truffles host ship-images ${ctx.input.host} ${ref}`,
      );
  }
  return missing.length ? `pulled ${missing.length}` : 'all present';
}
