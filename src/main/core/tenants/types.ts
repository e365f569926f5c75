import type { AppEvent } from '../../../shared/contract';
import type { Plan } from './modules';
import type { RouteWaitLimits } from './route';

export type Emit = (event: AppEvent) => void;

export interface CreateTenantInput {
  slug: string;
  host: string;
  plan: Plan;
  modules: string[];
  domain?: string | undefined;
  env: Record<string, string>;
  keepOnFailure: boolean;
  /** The operation's id (progress events carry it); a new one when not given. */
  opId?: string | undefined;
}

export interface TenantServiceOptions {
  /** Where `modules/` and `templates/` are; found next to the code by default. */
  resourcesDir?: string;
  /** How long services get to become healthy (default 5 min, spec's limit for a create). */
  healthTimeoutMs?: number;
  /** Test seam: runs before each step (a test may cut the connection or make it fail here). */
  beforeStep?: (step: string, slug: string) => Promise<void> | void;
  /** IANA zone for n8n and the databases. */
  timezone?: string;
  /** How long the route check waits (default ROUTE_WAIT: minutes while n8n starts, 60 s once it has). */
  routeWait?: RouteWaitLimits;
}

export interface UpdateChange {
  addModules: string[];
  removeModules: string[];
  env: Record<string, string>;
  /** Take the host's image catalog as it is now (image updates) instead of the tenant's current images. */
  refreshImages?: boolean;
}

/** A checked update, ready to apply (TenantService.planUpdate). */
export interface UpdatePlan {
  readonly input: { readonly slug: string };
  /** True once applying it may have changed something on the host (files, containers, data). */
  readonly touched: boolean;
}
