import type { CreateStep, TenantView } from '../../../../shared/contract';
import { CoreError, toErrorInfo } from '../../errors';
import { DATA_SERVICES } from '../compose';
import { waitHealthy } from '../health';
import { acquireTenantLock } from '../lock';
import type { TenantRecord } from '../record';
import type { TenantRuntime } from '../runtime';
import { STEP_TITLES, tenantView } from '../view';
import type { Ctx } from './context';
import { stepCollections, stepMigrate, stepWorkflows } from './data';
import { stepImages, stepPreflight } from './preflight';
import { afterFailure, stepRecord } from './record';
import { endN8nBoot, stepN8n, stepRoute, stepSecrets, stepStart, stepUpload } from './stack';
import { stepValidate } from './validate';

/** Run the operation's steps in order, each with its progress; after a failure, roll back or record it. */
export async function runOperation(rt: TenantRuntime, ctx: Ctx, signal?: AbortSignal): Promise<TenantView> {
  const { input } = ctx;
  let current: CreateStep = ctx.steps[0] ?? 'validate';
  try {
    for (const step of ctx.steps) {
      current = step;
      await rt.options.beforeStep?.(step, input.slug);
      // Cancelled (ops.cancel): stop at this step boundary; what was made goes like after a failure.
      if (signal?.aborted)
        throw new CoreError(
          'op.cancelled',
          `The ${ctx.kind} of '${input.slug}' was cancelled before step ${step}.`,
          'Run it again when you want it.',
        );
      rt.progress(ctx, step, 'running', STEP_TITLES[step]);
      const note = await runStep(rt, step, ctx);
      rt.progress(ctx, step, 'done', note ?? undefined);
    }
    const view = tenantView(ctx.host.name, ctx.record as TenantRecord);
    rt.emit({ type: 'tenants.changed', host: ctx.host.name });
    return view;
  } catch (err) {
    const info = toErrorInfo(err);
    rt.progress(ctx, current, 'failed', info.message);
    await endN8nBoot(rt, ctx);
    await afterFailure(rt, ctx, current, err);
    throw err;
  } finally {
    await endN8nBoot(rt, ctx);
    await ctx.lock?.release();
  }
}

async function runStep(rt: TenantRuntime, step: CreateStep, ctx: Ctx): Promise<string | null> {
  switch (step) {
    case 'validate':
      return stepValidate(rt, ctx);
    case 'lock': {
      const lock = await acquireTenantLock(ctx.transport, ctx.host.stateDir, ctx.input.slug, ctx.kind);
      if (ctx.kind === 'update') {
        // The plan was checked against the record as it was: under the lock it must still be so.
        const now = await rt.queries
          .readRecord(ctx.transport, ctx.host.stateDir, ctx.input.slug)
          .catch(() => null);
        if (!now || now.updatedAt !== ctx.planned || now.state !== 'running') {
          await lock.release();
          throw new CoreError(
            'tenant.changed',
            `Tenant '${ctx.input.slug}' changed on ${ctx.host.name} while the update was being prepared${now ? ` (now ${now.state}, ${now.lastOperation.kind} by ${now.lastOperation.actor})` : ''}.`,
            'Nothing was changed by this update; check the tenant and run it again.',
          );
        }
      }
      ctx.lock = lock;
      return null;
    }
    case 'render':
      return null;
    case 'health':
      return waitHealthy(rt, ctx.transport, ctx.input.slug, ctx, DATA_SERVICES);
    default:
      return STEP_RUNNERS[step](rt, ctx);
  }
}

/** The steps that are one function of the runtime and the operation's context. */
const STEP_RUNNERS = {
  preflight: stepPreflight,
  images: stepImages,
  secrets: stepSecrets,
  upload: stepUpload,
  start: stepStart,
  migrate: stepMigrate,
  collections: stepCollections,
  workflows: stepWorkflows,
  n8n: stepN8n,
  route: stepRoute,
  record: stepRecord,
} satisfies Record<
  Exclude<CreateStep, 'validate' | 'lock' | 'render' | 'health'>,
  (rt: never, ctx: never) => unknown
>;
