import { posix } from 'node:path';
import type { TenantView } from '../../../shared/contract';
import { CoreError, toErrorInfo } from '../errors';
import { appendAudit, auditActor } from '../audit/trail';
import { startStopCommand } from './commands';
import { waitHealthy } from './health';
import { tenantDir, writeHostFile } from './hostfs';
import { acquireTenantLock } from './lock';
import type { TenantRecord } from './record';
import { ROUTE_WAIT, waitRoute } from './route';
import type { TenantRuntime } from './runtime';
import { teardown } from './teardown';
import { tenantView } from './view';

/** A running tenant's life after its create: suspended, resumed, deleted. */

/** Stop (suspend) or start (resume) a tenant's containers, under its lock, and record it. */
export async function setRunning(
  rt: TenantRuntime,
  slug: string,
  run: boolean,
  hostName?: string,
): Promise<TenantView> {
  const { host, t, record } = await rt.queries.locate(slug, hostName);
  const want = run ? 'suspended' : 'running';
  if (record.state !== want)
    throw new CoreError(
      'tenant.state',
      `Tenant '${slug}' is ${record.state}; ${run ? 'only a suspended tenant can be resumed' : 'only a running tenant can be suspended'}.`,
      'Check it with truffles tenant status.',
    );
  const lock = await acquireTenantLock(t, host.stateDir, slug, run ? 'resume' : 'suspend');
  const dir = tenantDir(host.stateDir, slug);
  const started = new Date().toISOString();
  const kind = run ? 'resume' : 'suspend';
  const write = async (r: TenantRecord): Promise<void> =>
    writeHostFile(t, posix.join(dir, 'tenant.json'), JSON.stringify(r, null, 2) + '\n', 0o640);
  try {
    const r = await t.exec(startStopCommand(dir, slug, run), { timeoutMs: 5 * 60_000 });
    if (r.code !== 0)
      throw new CoreError(
        'compose.' + kind,
        `docker compose ${run ? 'start' : 'stop'} failed for '${slug}': ${r.stderr.trim().split('\n').pop() ?? ''}`,
        'See the message; retry.',
      );
    if (run) {
      await waitHealthy(rt, t, slug);
      await waitRoute(t, host.stateDir, slug, record.domain, rt.options.routeWait ?? ROUTE_WAIT);
    }
    const next: TenantRecord = {
      ...record,
      state: run ? 'running' : 'suspended',
      updatedAt: new Date().toISOString(),
      lastOperation: {
        kind,
        state: 'succeeded',
        actor: auditActor(),
        startedAt: started,
        finishedAt: new Date().toISOString(),
        step: null,
        error: null,
      },
    };
    await write(next);
    await appendAudit(t, host, { action: `tenant.${kind}`, subject: `tenant:${slug}`, details: {} }).catch(
      () => undefined,
    );
    rt.emit({ type: 'tenants.changed', host: host.name });
    return tenantView(host.name, next);
  } catch (err) {
    await write({
      ...record,
      updatedAt: new Date().toISOString(),
      lastOperation: {
        kind,
        state: 'failed',
        actor: auditActor(),
        startedAt: started,
        finishedAt: new Date().toISOString(),
        step: null,
        error: toErrorInfo(err),
      },
    }).catch(() => undefined);
    throw err;
  } finally {
    await lock.release();
  }
}

export async function deleteTenant(
  rt: TenantRuntime,
  slug: string,
  confirm: string,
  hostName?: string,
): Promise<{ deleted: true }> {
  if (confirm !== slug)
    throw new CoreError(
      'tenant.confirm',
      `To delete '${slug}', confirm with its slug (got '${confirm}').`,
      `Add --confirm ${slug}`,
    );
  const { host, t, record } = await rt.queries.locate(slug, hostName);
  const lock = await acquireTenantLock(t, host.stateDir, slug, 'delete');
  try {
    const ctxLike = { transport: t, dir: tenantDir(host.stateDir, slug), record };
    await writeHostFile(
      t,
      posix.join(ctxLike.dir, 'tenant.json'),
      JSON.stringify({ ...record, state: 'deleting', updatedAt: new Date().toISOString() }, null, 2) + '\n',
      0o640,
    );
    await teardown(rt, t, host.stateDir, slug);
    await appendAudit(t, host, {
      action: 'tenant.delete',
      subject: `tenant:${slug}`,
      details: { domain: record.domain },
    }).catch(() => undefined);
  } finally {
    await lock.release();
  }
  rt.emit({ type: 'tenants.changed', host: host.name });
  return { deleted: true };
}
