import { setTimeout as sleep } from 'node:timers/promises';
import { CoreError } from '../errors';
import type { HostTransport } from '../hosts/transport';
import { healthDetail, serviceViews } from './containers';
import type { ProgressCtx, TenantRuntime } from './runtime';

/** Poll until every service is healthy; fail early on an unhealthy or exited service. */
export async function waitHealthy(
  rt: TenantRuntime,
  t: HostTransport,
  slug: string,
  ctx?: ProgressCtx,
  only?: readonly string[],
): Promise<string> {
  const deadline = Date.now() + (rt.options.healthTimeoutMs ?? 5 * 60_000);
  let last = '';
  for (;;) {
    const services = (await serviceViews(t, slug)).filter((x) => !only || only.includes(x.service));
    const summary = services
      .map((s) => `${s.service} ${s.health === 'none' ? s.state : s.health}`)
      .join(', ');
    if (summary !== last && ctx) rt.progress(ctx, only ? 'health' : 'n8n', 'running', summary);
    last = summary;
    if (services.every((s) => s.health === 'healthy')) return summary;
    const bad = services.find(
      (s) => s.health === 'unhealthy' || s.state === 'exited' || s.state === 'dead' || s.state === 'missing',
    );
    if (bad) {
      const detail = await healthDetail(t, slug, bad.service);
      throw new CoreError(
        'tenant.unhealthy',
        `Service ${bad.service} of '${slug}' is ${bad.health === 'unhealthy' ? 'unhealthy' : bad.state}${detail ? `: ${detail}` : ''}.`,
        `Look at its logs: truffles tenant logs ${slug} ${bad.service}`,
      );
    }
    if (Date.now() > deadline)
      throw new CoreError(
        'tenant.health-timeout',
        `'${slug}' did not become healthy in time (${summary}).`,
        'Look at the services’ logs; run the create again to resume.',
      );
    await sleep(1000);
  }
}
