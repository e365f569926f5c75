import { randomBytes } from 'node:crypto';
import { join, posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import md5 from 'apache-md5';
import { EdgeInfoSchema, type AppEvent, type EdgeInfo, type EdgeStatus } from '../../../shared/contract';
import { CoreError, toErrorInfo } from '../errors';
import { appendAudit } from '../audit/trail';
import type { HostService } from '../hosts/service';
import type { HostTransport } from '../hosts/transport';
import { parseHostCatalog, resolveImages } from '../tenants/catalog';
import { edgeUpCommand } from './commands';
import { mkdirHost, readHostFile, writeHostFile } from '../tenants/hostfs';
import { acquireTenantLock } from '../tenants/lock';
import { renderEdge } from '../tenants/render';

/**
 * The host-level edge (spec §1.2.1): one Traefik per host in front of every tenant, installed
 * and upgraded by the console from templates/edge, described on the host by `edge/edge.json`.
 */

export interface EdgeInstallInput {
  host: string;
  baseDomain?: string | undefined;
  acmeEmail: string;
  httpPort?: number | undefined;
  httpsPort?: number | undefined;
  /** Dashboard password; generated (and returned once) when not given. */
  dashboardPassword?: string | undefined;
  /** Re-render and restart even when the edge already runs as asked (rotates the dashboard password). */
  force?: boolean | undefined;
}

export class EdgeService {
  constructor(
    private readonly hosts: HostService,
    private readonly emit: (e: AppEvent) => void,
    private readonly templatesDir: () => string,
  ) {}

  private dir(stateDir: string): string {
    return posix.join(stateDir, 'edge');
  }

  async status(hostName: string): Promise<EdgeStatus> {
    const host = await this.hosts.get(hostName);
    const t = await this.hosts.transport(hostName);
    return { host: hostName, ...(await this.state(t, host.stateDir)) };
  }

  private async state(t: HostTransport, stateDir: string): Promise<Omit<EdgeStatus, 'host'>> {
    const text = await readHostFile(t, posix.join(this.dir(stateDir), 'edge.json'));
    let installed: EdgeInfo | null = null;
    if (text) {
      try {
        const r = EdgeInfoSchema.safeParse(JSON.parse(text));
        installed = r.success ? r.data : null;
      } catch {
        installed = null;
      }
    }
    const docker = await t.docker();
    const list = await docker.listContainers({ all: true, filters: { label: ['org.truffles.edge=true'] } });
    const c = list[0];
    if (!c) return { installed, running: false, health: 'missing' };
    const info = await docker.getContainer(c.Id).inspect();
    return { installed, running: info.State.Running, health: info.State.Health?.Status ?? 'none' };
  }

  /** Install or upgrade the edge; idempotent (the same input leaves a running edge as it is). */
  async install(input: EdgeInstallInput): Promise<{ status: EdgeStatus; dashboardPassword: string | null }> {
    const host = await this.hosts.get(input.host);
    const baseDomain = input.baseDomain ?? host.baseDomain;
    if (!baseDomain)
      throw new CoreError(
        'edge.domain',
        `Host '${input.host}' has no base domain.`,
        'Give --base-domain, e.g. bots.example.kz.',
      );
    const t = await this.hosts.transport(input.host);
    const lock = await acquireTenantLock(t, host.stateDir, 'edge', 'edge install');
    try {
      const dir = this.dir(host.stateDir);
      const catalogText = await readHostFile(t, posix.join(host.stateDir, 'catalog.json'));
      const image = resolveImages(
        host,
        parseHostCatalog(catalogText, `${input.host}:${host.stateDir}/catalog.json`),
      ).images.traefik;
      // Already there as asked: leave it running (tenants' routes stay up; the password stays).
      const now = await this.state(t, host.stateDir);
      if (
        !input.force &&
        !input.dashboardPassword &&
        now.running &&
        now.health === 'healthy' &&
        now.installed?.image === image &&
        now.installed.baseDomain === baseDomain &&
        now.installed.httpPort === (input.httpPort ?? 80) &&
        now.installed.httpsPort === (input.httpsPort ?? 443)
      )
        return { status: { host: input.host, ...now }, dashboardPassword: null };
      const password = input.dashboardPassword ?? randomBytes(12).toString('base64url');
      const user = 'admin';
      const files = await renderEdge(this.templatesDir(), {
        baseDomain,
        image,
        acmeEmail: input.acmeEmail,
        dashboardUsers: `${user}:${md5(password)}`,
        httpPort: input.httpPort ?? 80,
        httpsPort: input.httpsPort ?? 443,
      });
      await mkdirHost(t, dir, '0750');
      await writeHostFile(t, posix.join(dir, '.env'), files.env, 0o600);
      await writeHostFile(t, posix.join(dir, 'compose.yaml'), files.compose, 0o640);
      const up = await t.exec(edgeUpCommand(dir), {
        timeoutMs: 10 * 60_000,
      });
      if (up.code !== 0)
        throw new CoreError(
          'edge.up',
          `Starting the edge on ${input.host} failed: ${up.stderr.trim().split('\n').slice(-2).join(' ')}`,
          up.stderr.includes('address already in use')
            ? 'Ports 80/443 are taken on the host: stop what uses them.'
            : 'See the message; fix and run again.',
        );
      const deadline = Date.now() + 120_000;
      let s = await this.state(t, host.stateDir);
      while (s.health !== 'healthy' && Date.now() < deadline) {
        await sleep(1000);
        s = await this.state(t, host.stateDir);
      }
      if (s.health !== 'healthy')
        throw new CoreError(
          'edge.unhealthy',
          `The edge on ${input.host} did not become healthy (${s.health}).`,
          'Look at its logs: docker logs truffles-edge-traefik-1',
        );
      const info: EdgeInfo = {
        baseDomain,
        httpPort: input.httpPort ?? 80,
        httpsPort: input.httpsPort ?? 443,
        image,
        dashboardUser: user,
        installedAt: new Date().toISOString(),
      };
      await writeHostFile(t, posix.join(dir, 'edge.json'), JSON.stringify(info, null, 2) + '\n', 0o640);
      await appendAudit(t, host, {
        action: 'edge.install',
        subject: `host:${input.host}`,
        details: { image, baseDomain },
      }).catch((err: unknown) =>
        this.emit({
          type: 'log',
          source: `host:${input.host}`,
          level: 'warn',
          message: `Audit trail not written: ${toErrorInfo(err).message}`,
          at: new Date().toISOString(),
        }),
      );
      return {
        status: { host: input.host, ...(await this.state(t, host.stateDir)) },
        dashboardPassword: input.dashboardPassword ? null : password,
      };
    } finally {
      await lock.release();
    }
  }
}

export function templatesDirOf(resources: string): string {
  return join(resources, 'templates');
}
