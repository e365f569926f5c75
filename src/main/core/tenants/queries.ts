import { posix } from 'node:path';
import type { TenantStatus, TenantView } from '../../../shared/contract';
import { CoreError, toErrorInfo } from '../errors';
import type { HostService } from '../hosts/service';
import type { HostTransport } from '../hosts/transport';
import type { HostRecord } from '../store/schema';
import { freeLocksCommand, machineIdCommand } from './commands';
import { serviceViews } from './containers';
import { listDirs, readHostFile, tenantDir, tenantsDir } from './hostfs';
import { locksDir } from './lock';
import { parseTenantRecord, type TenantRecord } from './record';
import { checkRoute } from './route';
import { SlugSchema } from './slug';
import { interruptedView, tenantView } from './view';

/** The tenants' read models: records on the hosts, the list across hosts, where a tenant is, its status. */
export class TenantQueries {
  constructor(private readonly hosts: HostService) {}

  async readRecord(t: HostTransport, stateDir: string, slug: string): Promise<TenantRecord | null> {
    const path = posix.join(tenantDir(stateDir, slug), 'tenant.json');
    const text = await readHostFile(t, path);
    return text === null ? null : parseTenantRecord(text, path);
  }

  private async hostTenants(name: string): Promise<TenantView[]> {
    const host = await this.hosts.get(name);
    const t = await this.hosts.transport(name);
    const slugs = await listDirs(t, tenantsDir(host.stateDir));
    const out: TenantView[] = [];
    for (const slug of slugs) {
      if (!SlugSchema.safeParse(slug).success) continue;
      const r = await this.readRecord(t, host.stateDir, slug).catch(() => null);
      if (r) out.push(tenantView(name, r));
    }
    return this.markInterrupted(t, host, out);
  }

  /**
   * An operation recorded as running whose tenant lock nobody holds was cut off: the console
   * running it died or lost its connection (the lock goes with its holder). Asked of the host with
   * one command (`flock -n` on each such tenant's lock file), and shown as `interrupted` with how
   * to resume or delete it. When the host cannot answer, the views stay as recorded.
   */
  async markInterrupted(t: HostTransport, host: HostRecord, views: TenantView[]): Promise<TenantView[]> {
    const running = views.filter((v) => v.lastOperation.state === 'running');
    if (running.length === 0) return views;
    const slugs = running.map((v) => v.slug);
    const r = await t
      .exec(freeLocksCommand(locksDir(host.stateDir), slugs), { timeoutMs: 15_000 })
      .catch(() => null);
    if (r?.code !== 0) return views;
    const free = new Set(
      r.stdout
        .split('\n')
        .filter((l) => l.startsWith('free '))
        .map((l) => l.slice(5)),
    );
    return views.map((v) => (free.has(v.slug) ? interruptedView(v, host) : v));
  }

  async list(hostName?: string): Promise<{
    tenants: TenantView[];
    unreachable: { host: string; error: ReturnType<typeof toErrorInfo> }[];
  }> {
    const names = hostName ? [hostName] : (await this.hosts.list()).map((h) => h.name);
    const results = await Promise.all(
      names.map(async (n) => {
        try {
          return { host: n, tenants: await this.hostTenants(n), error: null };
        } catch (err) {
          return { host: n, tenants: null, error: toErrorInfo(err) };
        }
      }),
    );
    const tenants: TenantView[] = [];
    const unreachable: { host: string; error: ReturnType<typeof toErrorInfo> }[] = [];
    // Two inventory entries may be one machine (another route, another name): list it once.
    const seen = new Set<string>();
    for (const r of results) {
      if (r.error) {
        unreachable.push({ host: r.host, error: r.error });
        continue;
      }
      const id = await this.placeId(r.host).catch(() => r.host);
      if (seen.has(id)) continue;
      seen.add(id);
      if (r.tenants) tenants.push(...r.tenants);
    }
    tenants.sort((a, b) => a.slug.localeCompare(b.slug));
    return { tenants, unreachable };
  }

  private readonly places = new Map<string, Promise<string>>();

  /** Which machine and state folder a host entry is: its /etc/machine-id (or hostname) and stateDir. */
  placeId(hostName: string): Promise<string> {
    let p = this.places.get(hostName);
    if (!p) {
      p = (async () => {
        const host = await this.hosts.get(hostName);
        const t = await this.hosts.transport(hostName);
        const r = await t.exec(machineIdCommand(), { timeoutMs: 15_000 });
        const id = r.stdout.trim();
        if (r.code !== 0 || !id)
          throw new CoreError('host.identity', `Cannot tell which machine ${hostName} is.`, 'Retry.');
        return `${id}:${host.stateDir}`;
      })();
      p.catch(() => this.places.delete(hostName));
      this.places.set(hostName, p);
    }
    return p;
  }

  /** The host a tenant lives on: the one given, else found by asking every host. */
  async locate(
    slug: string,
    hostName?: string,
  ): Promise<{ host: HostRecord; t: HostTransport; record: TenantRecord }> {
    const names = hostName ? [hostName] : (await this.hosts.list()).map((h) => h.name);
    for (const n of names) {
      const host = await this.hosts.get(n);
      // A connection that just dropped fails its first command and is opened again on the next:
      // a host is asked twice before it counts as unreachable.
      for (let attempt = 1; attempt <= 2; attempt++) {
        try {
          const t = await this.hosts.transport(n);
          const record = await this.readRecord(t, host.stateDir, slug);
          if (record) return { host, t, record };
          break;
        } catch (err) {
          if (attempt === 2 && hostName) throw err;
        }
      }
    }
    throw new CoreError(
      'tenant.unknown',
      `There is no tenant '${slug}'${hostName ? ` on ${hostName}` : ' on any reachable host'}.`,
      'List tenants with `truffles tenant list`.',
    );
  }

  async status(slug: string, hostName?: string): Promise<TenantStatus> {
    const { host, t, record } = await this.locate(slug, hostName);
    const [view] = await this.markInterrupted(t, host, [tenantView(host.name, record)]);
    const services = await serviceViews(t, slug);
    // The route is asked of the edge only when the tenant should answer (running, n8n healthy).
    const n8nUp = services.find((x) => x.service === 'n8n')?.health === 'healthy';
    const route =
      record.state === 'running' && n8nUp
        ? { name: 'route', ...(await checkRoute(t, host.stateDir, slug, record.domain)) }
        : null;
    return { ...(view ?? tenantView(host.name, record)), services, route };
  }
}
