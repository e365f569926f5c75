import type { ModuleInfo, TenantStatus, TenantView } from '../../../shared/contract';
import type { HostService } from '../hosts/service';
import type { HostTransport } from '../hosts/transport';
import type { HostRecord } from '../store/schema';
import { containerIp } from '../tenantdata/container';
import { waitHealthy } from './health';
import { deleteTenant, setRunning } from './lifecycle';
import type { TenantRecord } from './record';
import { checkRoute, ROUTE_WAIT, waitRoute } from './route';
import { TenantRuntime } from './runtime';
import { createCtx, type Ctx } from './steps/context';
import { runOperation } from './steps/run';
import { planUpdate } from './steps/update';
import type { CreateTenantInput, Emit, TenantServiceOptions, UpdateChange, UpdatePlan } from './types';
import { verifyTenant } from './verify';

/**
 * The tenant factory (spec §3.4): from a slug, a plan and modules, a complete, isolated, healthy
 * stack on a host — as named steps that report progress, are each idempotent, and are resumed by
 * running the same create again. A failed create rolls back what it made (unless asked to keep
 * it); a create cut off mid-way (console killed, connection lost) leaves `state: creating` on the
 * host, and the next create of the same slug continues it with the same secrets.
 *
 * This class only composes: the read models are in queries.ts and verify.ts, the steps in
 * steps/, suspend/resume/delete in lifecycle.ts, the route probe in route.ts, and every host
 * command is built by commands.ts.
 */

export { CREATE_STEPS, type CreateStep } from '../../../shared/contract';
export { compose, DATA_SERVICES } from './compose';
export { projectResources } from './containers';
export { findResourcesDir, parseEnvFile } from './resources';
export {
  N8N_STARTED_LINE,
  n8nPhaseOf,
  ROUTE_WAIT,
  routeWaitDecision,
  type N8nPhase,
  type RouteWaitLimits,
} from './route';
export { UPDATE_STEPS } from './steps/update';
export type { CreateTenantInput, Emit, TenantServiceOptions, UpdateChange, UpdatePlan } from './types';

export class TenantService {
  private readonly rt: TenantRuntime;

  constructor(hosts: HostService, emit: Emit, options: TenantServiceOptions = {}) {
    this.rt = new TenantRuntime(hosts, emit, options);
  }

  moduleCatalog(): Promise<ModuleInfo[]> {
    return this.rt.moduleCatalog();
  }

  list(hostName?: string): ReturnType<TenantRuntime['queries']['list']> {
    return this.rt.queries.list(hostName);
  }

  /** The host a tenant lives on: the one given, else found by asking every host. */
  locate(
    slug: string,
    hostName?: string,
  ): Promise<{ host: HostRecord; t: HostTransport; record: TenantRecord }> {
    return this.rt.queries.locate(slug, hostName);
  }

  status(slug: string, hostName?: string): Promise<TenantStatus> {
    return this.rt.queries.status(slug, hostName);
  }

  /** Create (or resume) a tenant; `signal` (its operation's) stops it at the next step boundary. */
  create(input: CreateTenantInput, signal?: AbortSignal): Promise<TenantView> {
    return runOperation(this.rt, createCtx(input), signal);
  }

  /** Poll until every service is healthy; fail early on an unhealthy or exited service. */
  waitHealthy(t: HostTransport, slug: string, ctx?: Ctx, only?: readonly string[]): Promise<string> {
    return waitHealthy(this.rt, t, slug, ctx, only);
  }

  containerIp(t: HostTransport, slug: string, service: string): Promise<string> {
    return containerIp(t, slug, service);
  }

  /** An HTTPS request with the tenant's Host name through the edge on the host, answered by its n8n. */
  checkRoute(
    t: HostTransport,
    stateDir: string,
    slug: string,
    domain: string,
  ): Promise<{ ok: boolean; detail: string }> {
    return checkRoute(t, stateDir, slug, domain);
  }

  /**
   * Wait until the edge routes the tenant's health webhook to its n8n, for as long as n8n makes
   * progress (ROUTE_WAIT): a busy host's slow n8n is waited for, a stopped one is not.
   */
  waitRoute(
    t: HostTransport,
    stateDir: string,
    slug: string,
    domain: string,
    onNote: (note: string) => void = () => undefined,
  ): Promise<string> {
    return waitRoute(t, stateDir, slug, domain, this.rt.options.routeWait ?? ROUTE_WAIT, onNote);
  }

  /**
   * Add or remove modules of a running tenant: migrations forward only, workflows of added modules
   * imported and activated, those of removed modules deactivated (kept, with their history), the
   * stack re-rendered and n8n recreated with the new environment, health and route checked again.
   * A failed update never tears the tenant down; its record says what failed where.
   */
  async update(slug: string, change: UpdateChange, hostName?: string): Promise<TenantView> {
    return this.applyUpdate(await this.planUpdate(slug, change, hostName));
  }

  /**
   * Check an update completely against the tenant's record and files on the host, and say what
   * it will do. Reads only: a refused plan has changed nothing (a safe update takes its backup
   * only after this).
   */
  planUpdate(slug: string, change: UpdateChange, hostName?: string): Promise<UpdatePlan> {
    return planUpdate(this.rt, slug, change, hostName);
  }

  /** Apply a planned update (from the lock on); `plan.touched` says afterwards whether it changed the host. */
  applyUpdate(plan: UpdatePlan): Promise<TenantView> {
    return runOperation(this.rt, plan as Ctx);
  }

  /** Stop a tenant's containers (data kept); the edge stops routing to it. */
  suspend(slug: string, hostName?: string): Promise<TenantView> {
    return setRunning(this.rt, slug, false, hostName);
  }

  /** Start a suspended tenant again and wait until it is healthy and routed. */
  resume(slug: string, hostName?: string): Promise<TenantView> {
    return setRunning(this.rt, slug, true, hostName);
  }

  /** Prove a tenant is healthy and isolated (verify.ts). */
  verify(slug: string, hostName?: string): ReturnType<typeof verifyTenant> {
    return verifyTenant(this.rt.queries, slug, hostName);
  }

  delete(slug: string, confirm: string, hostName?: string): Promise<{ deleted: true }> {
    return deleteTenant(this.rt, slug, confirm, hostName);
  }
}
