import { posix } from 'node:path';
import type { CreateStep } from '../../../../shared/contract';
import { toErrorInfo } from '../../errors';
import { appendAudit, auditActor } from '../../audit/trail';
import { writeHostFile } from '../hostfs';
import { TENANT_RECORD_VERSION, type TenantOperation, type TenantRecord } from '../record';
import { TEMPLATE_VERSION } from '../render';
import type { TenantRuntime } from '../runtime';
import { teardown } from '../teardown';
import type { Ctx } from './context';

/** The tenant's record through an operation: written as it goes, at its end, and after a failure. */

/** The record's `lastOperation` for an operation that starts now, run by this console's operator. */
export function runningOperation(kind: 'create' | 'update', now: string): TenantOperation {
  return {
    kind,
    state: 'running',
    actor: auditActor(),
    startedAt: now,
    finishedAt: null,
    step: null,
    error: null,
  };
}

export async function writeRecord(
  ctx: Ctx,
  patch: Partial<TenantRecord>,
  op: Partial<TenantOperation>,
): Promise<void> {
  const now = new Date().toISOString();
  const base: TenantRecord = ctx.record ?? {
    version: TENANT_RECORD_VERSION,
    slug: ctx.input.slug,
    plan: ctx.input.plan,
    domain: ctx.domain,
    modules: ctx.modules.map((m) => ({ name: m.manifest.name, version: m.manifest.version })),
    templateVersion: TEMPLATE_VERSION,
    images: ctx.images,
    state: 'creating',
    createdAt: now,
    createdBy: auditActor(),
    updatedAt: now,
    lastOperation: runningOperation('create', now),
  };
  const next: TenantRecord = {
    ...base,
    ...patch,
    updatedAt: now,
    lastOperation: { ...base.lastOperation, ...op },
  };
  await writeHostFile(
    ctx.transport,
    posix.join(ctx.dir, 'tenant.json'),
    JSON.stringify(next, null, 2) + '\n',
    0o640,
  );
  ctx.record = next;
}

export async function stepRecord(rt: TenantRuntime, ctx: Ctx): Promise<string> {
  await writeRecord(
    ctx,
    { state: 'running', ...(ctx.workflowsDigest ? { workflowsDigest: ctx.workflowsDigest } : {}) },
    { state: 'succeeded', finishedAt: new Date().toISOString(), step: null, error: null },
  );
  await appendAudit(
    ctx.transport,
    { stateDir: ctx.host.stateDir, user: ctx.host.user },
    {
      action:
        ctx.kind === 'update' ? 'tenant.update' : ctx.resumed ? 'tenant.create-resumed' : 'tenant.create',
      subject: `tenant:${ctx.input.slug}`,
      details: {
        plan: ctx.input.plan,
        domain: ctx.domain,
        modules: ctx.modules.map((m) => m.manifest.name),
      },
    },
  ).catch((err: unknown) =>
    rt.log(ctx.input.slug, 'warn', `Audit trail not written: ${toErrorInfo(err).message}`),
  );
  return ctx.domain;
}

/** After a failed step: roll back what this create made, unless asked to keep it or the connection is gone. */
export async function afterFailure(
  rt: TenantRuntime,
  ctx: Ctx,
  step: CreateStep,
  err: unknown,
): Promise<void> {
  const info = toErrorInfo(err);
  if (ctx.kind === 'update') {
    // The tenant existed before: never torn down; the record says what failed where (once the
    // update wrote anything: before that, the record is left exactly as it was).
    if (ctx.lock && ctx.touched && !/^(ssh\.|tenant\.lock-lost)/.test(info.code))
      await writeRecord(
        ctx,
        {},
        { state: 'failed', step, error: info, finishedAt: new Date().toISOString() },
      ).catch(() => undefined);
    return;
  }
  if (!ctx.touched || !ctx.lock) return;
  const connectionGone = /^(ssh\.|tenant\.lock-lost)/.test(info.code);
  if (connectionGone) {
    rt.log(ctx.input.slug, 'warn', 'The connection was lost: run the same create again to resume it.');
    return;
  }
  if (ctx.input.keepOnFailure) {
    await writeRecord(
      ctx,
      { state: 'failed' },
      { state: 'failed', step, error: info, finishedAt: new Date().toISOString() },
    ).catch(() => undefined);
    rt.log(
      ctx.input.slug,
      'warn',
      `Kept for inspection: ${ctx.dir}; delete it with truffles tenant delete ${ctx.input.slug} --confirm ${ctx.input.slug}`,
    );
    return;
  }
  rt.log(ctx.input.slug, 'warn', `Rolling back the failed create of '${ctx.input.slug}'…`);
  await teardown(rt, ctx.transport, ctx.host.stateDir, ctx.input.slug).catch((e: unknown) =>
    rt.log(ctx.input.slug, 'error', `Rollback incomplete: ${toErrorInfo(e).message}`),
  );
}
