import { randomUUID } from 'node:crypto';
import type { AppEvent, CommandInput, CommandOutput } from '../../../shared/contract';
import type { BackupService } from '../backups/service';
import { CoreError, toErrorInfo } from '../errors';
import { appendAudit } from '../audit/trail';
import type { HostService } from '../hosts/service';
import type { TenantView } from '../../../shared/contract';
import type { TenantService, UpdatePlan } from '../tenants/service';

type Emit = (event: AppEvent) => void;
export type FleetOutcome = CommandOutput<'fleet.update'>['outcomes'][number];
type FleetState = Extract<AppEvent, { type: 'fleet.progress' }>['state'];

export interface SafeUpdateChange {
  addModules: string[];
  removeModules: string[];
  env: Record<string, string>;
  refreshImages?: boolean;
}

/**
 * Safe updates (issue 5): every update of a tenant takes a backup first, applies the change,
 * waits for health and, when the tenant does not come back healthy, restores that backup —
 * previous compose file, images, and the database the migrations may have changed. A fleet
 * update runs safe updates over a selection, a few at a time, and stops after N failures.
 */
export class FleetService {
  constructor(
    private readonly hosts: HostService,
    private readonly tenants: TenantService,
    private readonly backups: BackupService,
    private readonly emit: Emit,
  ) {}

  /** One tenant: backup → update → (health is part of the update) → rollback on failure. */
  async safeUpdate(
    slug: string,
    change: SafeUpdateChange,
    hostName?: string,
    onState: (state: FleetState, detail: string) => void = () => undefined,
  ): Promise<{
    outcome: 'updated' | 'rolled-back' | 'failed';
    backupId: string | null;
    detail: string;
    view: TenantView | null;
    /** Set when the update was refused before anything was done: no backup, no change, no restore. */
    refused?: CoreError;
  }> {
    const { host, t } = await this.tenants.locate(slug, hostName);
    // Everything is checked first (reading only): a wrong input never costs a backup and a restore.
    let plan: UpdatePlan;
    try {
      plan = await this.tenants.planUpdate(slug, change, host.name);
    } catch (err) {
      const why = toErrorInfo(err);
      const detail = `refused, nothing changed, no backup taken: ${why.message}`;
      onState('failed', detail);
      return {
        outcome: 'failed',
        backupId: null,
        detail,
        view: null,
        refused: new CoreError(
          why.code,
          why.message,
          `${why.hint} Nothing was changed and no backup was taken.`.trim(),
          why.details,
        ),
      };
    }
    onState('backup', 'backing up before the update');
    const backup = await this.backups.runAgent(t, host, slug, 'pre-update');
    onState('updating', `backup ${backup.id} taken; applying`);
    try {
      const view = await this.tenants.applyUpdate(plan);
      onState('updated', `healthy; backup ${backup.id} kept`);
      return { outcome: 'updated', backupId: backup.id, detail: 'updated and healthy', view };
    } catch (err) {
      const why = toErrorInfo(err);
      if (/^(ssh\.|tenant\.lock)/.test(why.code)) {
        onState('failed', why.message);
        return {
          outcome: 'failed',
          backupId: backup.id,
          detail: `${why.message} (not rolled back: the host could not be reached; backup ${backup.id} holds the state before)`,
          view: null,
        };
      }
      if (!plan.touched) {
        // Stopped before it changed anything (the tenant changed meanwhile, …): nothing to restore.
        const detail = `${why.message} (stopped before it changed anything: not rolled back; backup ${backup.id} kept)`;
        onState('failed', detail);
        return { outcome: 'failed', backupId: backup.id, detail, view: null };
      }
      onState('rolling-back', `${why.message}; restoring ${backup.id}`);
      try {
        await this.backups.restore({
          slug,
          host: host.name,
          backupId: backup.id,
          confirm: slug,
          skipSafetyBackup: true,
        });
        await appendAudit(t, host, {
          action: 'tenant.update.rolled-back',
          subject: `tenant:${slug}`,
          details: { backupId: backup.id, error: why.message.slice(0, 500) },
        }).catch(() => undefined);
        onState('rolled-back', why.message);
        return {
          outcome: 'rolled-back',
          backupId: backup.id,
          detail: `rolled back: ${why.message}`,
          view: null,
        };
      } catch (err2) {
        const why2 = toErrorInfo(err2);
        onState('failed', why2.message);
        return {
          outcome: 'failed',
          backupId: backup.id,
          detail: `${why.message}; the rollback failed too: ${why2.message}`,
          view: null,
        };
      }
    }
  }

  /** A tenant update as the console and CLI run it: safe, and an error when it did not stick. */
  async updateTenant(slug: string, change: SafeUpdateChange, hostName?: string): Promise<TenantView> {
    const r = await this.safeUpdate(slug, change, hostName);
    if (r.outcome === 'updated' && r.view) return r.view;
    if (r.refused) throw r.refused;
    throw new CoreError(
      r.outcome === 'rolled-back' ? 'tenant.update-rolled-back' : 'tenant.update-failed',
      r.outcome === 'rolled-back'
        ? `The update of '${slug}' did not become healthy and was rolled back to backup ${r.backupId ?? '?'}: ${r.detail}`
        : `The update of '${slug}' failed: ${r.detail}`,
      r.outcome === 'rolled-back'
        ? 'The tenant runs as before the update. Fix the cause (see the message), then update again.'
        : 'Fix the cause (see the message), then update again.',
      { backupId: r.backupId },
    );
  }

  /** Delete, with a final backup first unless asked not to (the backup outlives the tenant). */
  async deleteTenant(
    slug: string,
    confirm: string,
    hostName?: string,
    skipFinalBackup = false,
  ): Promise<{ deleted: true; finalBackupId: string | null }> {
    if (confirm !== slug)
      throw new CoreError(
        'tenant.confirm',
        `To delete '${slug}', confirm with its slug (got '${confirm}').`,
        `Add --confirm ${slug}`,
      );
    const { host, t } = await this.tenants.locate(slug, hostName);
    let finalBackupId: string | null = null;
    // Without a fleet backup key no backup can be made at all: the delete goes ahead, as before
    // backups existed (the key banner on the Backups screen says to make one).
    const hasKey = await this.backups.hasKey();
    if (!skipFinalBackup && hasKey) {
      try {
        finalBackupId = (await this.backups.runAgent(t, host, slug, 'final')).id;
      } catch (err) {
        const why = toErrorInfo(err);
        throw new CoreError(
          'tenant.final-backup',
          `'${slug}' was not deleted: its final backup failed: ${why.message}`,
          `Fix the cause and retry, or delete without a final backup on purpose (--no-final-backup).`,
        );
      }
    }
    await this.tenants.delete(slug, confirm, host.name);
    return { deleted: true, finalBackupId };
  }

  async update(
    input: CommandInput<'fleet.update'> & { concurrency: number; stopAfterFailures: number },
  ): Promise<CommandOutput<'fleet.update'>> {
    const opId = input.opId ?? randomUUID();
    const sel = input.selection;
    if (!sel.host && !sel.label && !sel.slugs?.length)
      throw new CoreError(
        'fleet.selection',
        'Choose which tenants to update: a host, a host label or a list of tenants.',
        'Use --host NAME, --label key=value or --tenants a,b,c.',
      );
    const listed = await this.tenants.list(sel.host);
    let chosen = listed.tenants;
    if (sel.label) {
      const [k, v] = sel.label.split('=') as [string, string];
      const hostsWith = new Set(
        (await this.hosts.list()).filter((h) => h.labels[k] === v).map((h) => h.name),
      );
      chosen = chosen.filter((x) => hostsWith.has(x.host));
    }
    if (sel.slugs?.length) {
      const unknown = sel.slugs.filter((s) => !chosen.some((x) => x.slug === s));
      if (unknown.length)
        throw new CoreError(
          'fleet.unknown',
          `Not found in the selection: ${unknown.join(', ')}.`,
          'Check the names with truffles tenant list.',
        );
      chosen = sel.slugs.map((s) => chosen.find((x) => x.slug === s)).filter((x): x is TenantView => !!x);
    }
    const queue = chosen.map((x) => ({ host: x.host, slug: x.slug, state: x.state }));
    for (const q of queue) this.progress(opId, q.host, q.slug, 'queued', '');
    const outcomes: FleetOutcome[] = [];
    let failures = 0;
    let stopped = false;
    // Per host, no more updates at once than its one connection carries: each holds about two
    // session channels at a time (a command, a stream), and the locks and SFTP share two more.
    // The other workers take tenants of other hosts meanwhile, or wait for a turn.
    const perHost = fleetPerHostLimit(this.hosts.sessionBudget());
    const running = new Map<string, number>();
    const pending = [...queue];
    let wake: Array<() => void> = [];
    const take = async (): Promise<(typeof queue)[number] | null> => {
      for (;;) {
        if (!pending.length) return null;
        const i = pending.findIndex((q) => (running.get(q.host) ?? 0) < perHost);
        if (i >= 0) {
          const [item] = pending.splice(i, 1);
          if (item) running.set(item.host, (running.get(item.host) ?? 0) + 1);
          return item ?? null;
        }
        await new Promise<void>((resolve) => wake.push(resolve));
      }
    };
    const done = (host: string): void => {
      running.set(host, (running.get(host) ?? 1) - 1);
      const w = wake;
      wake = [];
      for (const f of w) f();
    };
    const worker = async (): Promise<void> => {
      for (;;) {
        const item = await take();
        if (!item) return;
        try {
          await one(item);
        } finally {
          done(item.host);
        }
      }
    };
    const one = async (item: (typeof queue)[number]): Promise<void> => {
      {
        const started = Date.now();
        if (stopped || item.state !== 'running') {
          const detail = stopped
            ? `not started: stopped after ${failures} failure(s)`
            : `skipped: the tenant is ${item.state}`;
          this.progress(opId, item.host, item.slug, 'skipped', detail);
          outcomes.push({
            host: item.host,
            slug: item.slug,
            outcome: 'skipped',
            backupId: null,
            detail,
            seconds: 0,
          });
          return;
        }
        let result: FleetOutcome;
        try {
          const r = await this.safeUpdate(
            item.slug,
            {
              addModules: input.addModules ?? [],
              removeModules: input.removeModules ?? [],
              env: {},
              refreshImages: true,
            },
            item.host,
            (state, detail) => this.progress(opId, item.host, item.slug, state, detail),
          );
          result = {
            host: item.host,
            slug: item.slug,
            outcome: r.outcome,
            backupId: r.backupId,
            detail: r.detail,
            seconds: (Date.now() - started) / 1000,
          };
        } catch (err) {
          const why = toErrorInfo(err);
          this.progress(opId, item.host, item.slug, 'failed', why.message);
          result = {
            host: item.host,
            slug: item.slug,
            outcome: 'failed',
            backupId: null,
            detail: why.message,
            seconds: (Date.now() - started) / 1000,
          };
        }
        outcomes.push(result);
        if (result.outcome !== 'updated') {
          failures += 1;
          if (failures >= input.stopAfterFailures) stopped = true;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(input.concurrency, Math.max(queue.length, 1)) }, worker));
    for (const f of wake) f();
    const order = new Map(queue.map((q, i) => [`${q.host}/${q.slug}`, i]));
    outcomes.sort(
      (a, b) => (order.get(`${a.host}/${a.slug}`) ?? 0) - (order.get(`${b.host}/${b.slug}`) ?? 0),
    );
    return { outcomes, stopped };
  }

  private progress(opId: string, host: string, slug: string, state: FleetState, detail: string): void {
    this.emit({ type: 'fleet.progress', opId, host, slug, state, detail });
  }
}

/** Updates at once on one host: each about two session channels; two more for the locks and SFTP. */
export function fleetPerHostLimit(sessionBudget: number): number {
  return Math.max(1, Math.floor((sessionBudget - 2) / 2));
}
