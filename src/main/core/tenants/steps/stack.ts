import { join, posix } from 'node:path';
import { CoreError } from '../../errors';
import { startDataCommand, startN8nCommand } from '../commands';
import { DATA_SERVICES } from '../compose';
import { liftCpus, putCpusBack } from '../cpus';
import { waitHealthy } from '../health';
import { mkdirHost, readHostFile, writeHostFile } from '../hostfs';
import { renderTenant } from '../render';
import { parseEnvFile, secret } from '../resources';
import { ROUTE_WAIT, waitRoute } from '../route';
import type { TenantRuntime } from '../runtime';
import type { Ctx } from './context';
import { writeRecord } from './record';

/** The steps that make and start the stack: secrets, files, the data services, n8n, the route. */

export async function stepSecrets(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  if (ctx.kind === 'update') {
    const env = parseEnvFile((await readHostFile(ctx.transport, posix.join(ctx.dir, '.env'))) ?? '');
    let added = 0;
    for (const m of ctx.modules)
      for (const v of m.manifest.env) {
        if (ctx.input.env[v.name] !== undefined) env[v.name] = ctx.input.env[v.name] ?? '';
        else if (env[v.name] === undefined) {
          env[v.name] = v.source === 'generate' ? secret() : '';
          added += 1;
        }
      }
    ctx.env = env;
    return `kept, ${added} new`;
  }
  if (ctx.resumed) {
    const text = await readHostFile(ctx.transport, posix.join(ctx.dir, '.env'));
    if (text) {
      ctx.env = parseEnvFile(text);
      return 'kept from the interrupted create';
    }
  }
  // Zero-state (spec §4.3): every secret new, from the OS CSPRNG, never shared between tenants.
  const env: Record<string, string> = {
    POSTGRES_DB: 'truffles',
    POSTGRES_USER: 'truffles',
    POSTGRES_PASSWORD: secret(),
    N8N_ENCRYPTION_KEY: secret(32),
    QDRANT_API_KEY: secret(),
    REDIS_PASSWORD: secret(),
  };
  for (const m of ctx.modules)
    for (const v of m.manifest.env) {
      if (v.source === 'generate') env[v.name] = secret();
      else env[v.name] = ctx.input.env[v.name] ?? '';
    }
  ctx.env = env;
  return `${Object.keys(env).length} values`;
}

export async function stepUpload(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  const files = await renderTenant(join(rt.resources(), 'templates'), {
    slug: ctx.input.slug,
    domain: ctx.domain,
    plan: ctx.input.plan,
    images: ctx.images,
    modules: ctx.modules,
    env: ctx.env,
    timezone: rt.options.timezone ?? 'Asia/Almaty',
  });
  ctx.touched = true;
  await mkdirHost(ctx.transport, ctx.dir, '0750');
  // The record first, so an interruption from here on is found and resumed.
  await writeRecord(ctx, {}, { step: 'upload' });
  await writeHostFile(ctx.transport, posix.join(ctx.dir, '.env'), files.env, 0o600);
  await writeHostFile(ctx.transport, posix.join(ctx.dir, 'compose.yaml'), files.compose, 0o640);
  return `${ctx.dir}`;
}

export async function stepStart(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  ctx.touched = true;
  const r = await ctx.transport.exec(startDataCommand(ctx.dir, ctx.input.slug), {
    timeoutMs: 10 * 60_000,
    onStderr: (d) => {
      for (const line of d.toString('utf8').split('\n'))
        if (line.trim()) rt.log(ctx.input.slug, 'info', line.trim());
    },
  });
  if (r.code !== 0)
    throw new CoreError(
      'compose.up',
      `docker compose up failed for '${ctx.input.slug}': ${r.stderr.trim().split('\n').slice(-3).join(' ')}`,
      'See the log; fix the cause and run the same create again.',
    );
  return DATA_SERVICES.join(', ');
}

/**
 * n8n last: (re)created so it starts with the workflows its CLI activated. When the workflows step
 * found n8n already holding them, compose recreates it only if its image or settings changed.
 */
export async function stepN8n(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  ctx.bootSlot ??= await rt.bootSlots.acquire(
    ctx.host.name,
    async () => Number((await ctx.transport.exec(['nproc'], { timeoutMs: 20_000 })).stdout.trim()),
    (booting) =>
      rt.progress(
        ctx,
        'n8n',
        'running',
        `waiting for its turn: ${booting} n8n booting on ${ctx.host.name} (one per two CPUs)`,
      ),
  );
  const r = await ctx.transport.exec(startN8nCommand(ctx.dir, ctx.input.slug, !ctx.workflowsKept), {
    timeoutMs: 5 * 60_000,
  });
  if (r.code !== 0)
    throw new CoreError(
      'compose.up',
      `Starting n8n of '${ctx.input.slug}' failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`,
      'See the log; run the same create again.',
    );
  if (!ctx.workflowsKept) await liftN8nCpus(rt, ctx);
  return waitHealthy(rt, ctx.transport, ctx.input.slug, ctx);
}

/**
 * A new n8n boots bound by the CPU its plan allows (1 CPU on starter) for ~20 s of CPU before it
 * serves: until its route answers, it may use every CPU of the host (as a restore's PostgreSQL
 * may), and the plan's limit goes back then (`endN8nBoot`: after the route, and after any
 * failure). Nothing to do where the plan allows all the host's CPUs; refused by Docker, n8n boots
 * at its limit.
 */
async function liftN8nCpus(rt: TenantRuntime, ctx: Ctx): Promise<void> {
  ctx.cpuLifted = await liftCpus(
    ctx.transport,
    ctx.dir,
    ctx.input.slug,
    'n8n',
    'while it boots',
    (level, m) => rt.log(ctx.input.slug, level, m),
  );
}

/**
 * n8n's CPU limit back to what its compose file declares, once it has booted (or failed to), and
 * the host's boot slot given to the next n8n waiting for it.
 */
export async function endN8nBoot(rt: TenantRuntime, ctx: Ctx): Promise<void> {
  const lifted = ctx.cpuLifted;
  ctx.cpuLifted = null;
  try {
    if (lifted)
      await putCpusBack(ctx.transport, lifted, 'n8n', 'update', (level, m) =>
        rt.log(ctx.input.slug, level, m),
      );
  } finally {
    ctx.bootSlot?.();
    ctx.bootSlot = null;
  }
}

export async function stepRoute(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  try {
    return await waitRoute(
      ctx.transport,
      ctx.host.stateDir,
      ctx.input.slug,
      ctx.domain,
      rt.options.routeWait ?? ROUTE_WAIT,
      (note) => rt.progress(ctx, 'route', 'running', note),
    );
  } finally {
    await endN8nBoot(rt, ctx);
  }
}
