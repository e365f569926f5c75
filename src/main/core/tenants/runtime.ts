import { join } from 'node:path';
import type { CreateStep, ModuleInfo } from '../../../shared/contract';
import type { HostService } from '../hosts/service';
import { BootSlots } from './bootslots';
import { loadModules, type LoadedModule } from './modules';
import { TenantQueries } from './queries';
import { findResourcesDir } from './resources';
import type { Emit, TenantServiceOptions } from './types';

/** What a step's progress names: its operation, tenant, kind and list of steps. */
export interface ProgressCtx {
  opId: string;
  input: { slug: string };
  kind: 'create' | 'update';
  steps: readonly CreateStep[];
}

/**
 * What every part of the tenants feature shares: the hosts, the event sink, the options, the
 * module catalog (loaded once), the read models, and how a log line or a step's progress is said.
 */
export class TenantRuntime {
  private catalogCache: Promise<Map<string, LoadedModule>> | null = null;
  readonly queries: TenantQueries;
  /** n8n boots taking turns per host (./bootslots.ts). */
  readonly bootSlots = new BootSlots();

  constructor(
    readonly hosts: HostService,
    readonly emit: Emit,
    readonly options: TenantServiceOptions = {},
  ) {
    this.queries = new TenantQueries(hosts);
  }

  resources(): string {
    return this.options.resourcesDir ?? findResourcesDir();
  }

  catalog(): Promise<Map<string, LoadedModule>> {
    this.catalogCache ??= loadModules(join(this.resources(), 'modules'));
    this.catalogCache.catch(() => (this.catalogCache = null));
    return this.catalogCache;
  }

  async moduleCatalog(): Promise<ModuleInfo[]> {
    return [...(await this.catalog()).values()].map(({ manifest: m }) => ({
      name: m.name,
      version: m.version,
      title: m.title,
      description: m.description,
      tier: m.tier,
      status: m.status,
      depends: m.depends,
      env: m.env,
    }));
  }

  log(slug: string, level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', source: `tenant:${slug}`, level, message, at: new Date().toISOString() });
  }

  progress(ctx: ProgressCtx, step: CreateStep, state: 'running' | 'done' | 'failed', message?: string): void {
    this.emit({
      type: 'progress',
      opId: ctx.opId,
      title: `${ctx.kind === 'create' ? 'Create' : 'Update'} tenant ${ctx.input.slug}`,
      step,
      stepIndex: Math.max(0, ctx.steps.indexOf(step)),
      stepCount: ctx.steps.length,
      state,
      ...(message ? { message } : {}),
    });
  }
}
