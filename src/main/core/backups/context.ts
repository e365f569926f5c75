import type { AppEvent, TenantView } from '../../../shared/contract';
import { CoreError } from '../errors';
import type { HostService } from '../hosts/service';
import type { HostTransport } from '../hosts/transport';
import type { ExecOptions, ExecResult } from '../ssh/connection';
import type { HostRecord } from '../store/schema';
import type { BackupKeys } from './keys';

/**
 * What backups needs of tenants: these five methods, no more. `TenantService` satisfies it as it
 * is; backups never imports the service itself.
 */
export interface TenantAccess {
  /** The host a tenant lives on: the one given, else found by asking every host. */
  locate(
    slug: string,
    hostName?: string,
  ): Promise<{ host: HostRecord; t: HostTransport; record: Pick<TenantView, 'plan' | 'state' | 'domain'> }>;
  list(hostName?: string): Promise<{
    tenants: Pick<TenantView, 'host' | 'slug' | 'state'>[];
    unreachable: { host: string; error: { message: string } }[];
  }>;
  waitHealthy(t: HostTransport, slug: string, ctx?: undefined, only?: readonly string[]): Promise<unknown>;
  containerIp(t: HostTransport, slug: string, service: string): Promise<string>;
  /** Until the edge routes the tenant to its n8n, for as long as n8n makes progress (as a create waits). */
  waitRoute(
    t: HostTransport,
    stateDir: string,
    slug: string,
    domain: string,
    onNote?: (note: string) => void,
  ): Promise<string>;
}

/** What every part of the backups feature works with: given once by BackupService. */
export interface BackupDeps {
  hosts: Pick<HostService, 'get' | 'transport' | 'list'>;
  tenants: TenantAccess;
  keys: BackupKeys;
  emit: (event: AppEvent) => void;
  templatesDir: () => string;
  /** How long staging may go without progress (BackupService.stallMs, a test seam). */
  stallMs: () => number;
  /** The drills running now (`host/slug`): the due-drill runner never starts a second. */
  drilling: Set<string>;
}

export function log(d: BackupDeps, slug: string, level: 'info' | 'warn' | 'error', message: string): void {
  d.emit({ type: 'log', source: `backup:${slug}`, level, message, at: new Date().toISOString() });
}

/**
 * Run a command that must succeed; otherwise an error that says what failed, with the end of
 * the command's own message (which names the cause: a full disk, a refused statement…).
 */
export async function execOk(
  t: HostTransport,
  code: string,
  what: string,
  argv: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const r = await t.exec(argv, options);
  if (r.code !== 0)
    throw new CoreError(
      code,
      `${what} failed: ${r.stderr.trim().slice(-400) || `exit ${String(r.code)}`}`,
      'That is the host’s own message: fix its cause, then run the same command again.',
    );
  return r;
}

/** Where a tenant's backups are: its host, even after the tenant was deleted (its final backup stays). */
export async function where(
  d: BackupDeps,
  slug: string,
  hostName?: string,
): Promise<{
  host: HostRecord;
  t: HostTransport;
  record: { plan: 'starter' | 'pro' | 'enterprise' } | null;
}> {
  if (!hostName) return d.tenants.locate(slug);
  const host = await d.hosts.get(hostName);
  const t = await d.hosts.transport(hostName);
  const record = await d.tenants
    .locate(slug, hostName)
    .then((x) => x.record)
    .catch(() => null);
  return { host, t, record };
}
