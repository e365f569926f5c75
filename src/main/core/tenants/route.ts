import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreError } from '../errors';
import type { HostTransport } from '../hosts/transport';
import { logsSinceCommand } from './commands';
import { PROJECT_LABEL } from './compose';
import { readHostFile } from './hostfs';

/**
 * The route probe: whether the edge on the host routes a tenant's domain to its own n8n (an HTTPS
 * request through a tunnel to the edge, with the tenant's Host name), and the wait for it that
 * follows n8n's progress.
 */

/**
 * Waiting for the route (create, update, resume) follows n8n's progress, not a fixed clock: while
 * n8n is still starting — it has not logged that it finished activating its workflows, which is
 * when it registers their webhooks — the wait goes on up to a generous ceiling (a loaded 2-core
 * host takes minutes); once n8n has started, the edge gets `graceMs` to route it; a stopped n8n
 * ends the wait at once.
 */
export interface RouteWaitLimits {
  ceilingMs: number;
  graceMs: number;
}
export const ROUTE_WAIT: RouteWaitLimits = { ceilingMs: 10 * 60_000, graceMs: 60_000 };

/** Where n8n is: still starting, started (workflows activated, webhooks registered), or not running. */
export type N8nPhase = 'starting' | 'started' | 'down';

/** n8n 1.x logs this once `ActiveWorkflowManager.init()` has activated every workflow (start.js). */
export const N8N_STARTED_LINE = 'Editor is now accessible via';

/** The phase from n8n's container state and its log since that container (re)started. */
export function n8nPhaseOf(state: string, logSinceStart: string): N8nPhase {
  if (state !== 'running' && state !== 'restarting' && state !== 'created') return 'down';
  return state === 'running' && logSinceStart.includes(N8N_STARTED_LINE) ? 'started' : 'starting';
}

/** Whether to go on waiting for the route, or why to give up. */
export function routeWaitDecision(
  p: { elapsedMs: number; phase: N8nPhase; startedForMs: number | null },
  limits: RouteWaitLimits = ROUTE_WAIT,
): 'wait' | 'down' | 'ceiling' | 'grace' {
  if (p.phase === 'down') return 'down';
  if (p.elapsedMs >= limits.ceilingMs) return 'ceiling';
  if (p.phase === 'started' && (p.startedForMs ?? 0) >= limits.graceMs) return 'grace';
  return 'wait';
}

/** The webhook core_admin answers on, used to prove the route reaches this tenant's n8n. */
export const HEALTH_WEBHOOK = '/webhook/truffles-health';

/** A GET with the tenant's Host name (and SNI) through the edge on the host: its status and body (64 KiB at most). */
async function edgeGet(
  t: HostTransport,
  stateDir: string,
  domain: string,
  path: string,
): Promise<{ status: number; body: string }> {
  const edgeText = await readHostFile(t, posix.join(stateDir, 'edge', 'edge.json'));
  const httpsPort = edgeText
    ? Number((JSON.parse(edgeText) as { httpsPort?: unknown }).httpsPort) || 443
    : 443;
  const tunnel = await t.tunnel('127.0.0.1', httpsPort);
  try {
    const { request } = await import('node:https');
    return await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: tunnel.localPort,
          path,
          method: 'GET',
          servername: domain,
          headers: { host: domain },
          // The certificate may still be on its way from Let's Encrypt: the route is what is checked here.
          rejectUnauthorized: false,
          timeout: 15_000,
        },
        (r) => {
          let body = '';
          r.setEncoding('utf8');
          r.on('data', (d: string) => (body += d.length < 65536 ? d : ''));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in 15 s')));
      req.on('error', reject);
      req.end();
    });
  } finally {
    tunnel.close();
  }
}

/** An HTTPS request with the tenant's Host name through the edge on the host, answered by its n8n. */
export async function checkRoute(
  t: HostTransport,
  stateDir: string,
  slug: string,
  domain: string,
): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await edgeGet(t, stateDir, domain, HEALTH_WEBHOOK);
    let tenant: unknown = null;
    try {
      tenant = (JSON.parse(res.body) as { tenant?: unknown }).tenant;
    } catch {
      tenant = null;
    }
    if (res.status === 200 && tenant === slug)
      return { ok: true, detail: `https://${domain}${HEALTH_WEBHOOK} → 200 from ${slug}` };
    return {
      ok: false,
      detail: `https://${domain}${HEALTH_WEBHOOK} → ${res.status} ${res.body.slice(0, 120)}`,
    };
  } catch (err) {
    return { ok: false, detail: `https://${domain}${HEALTH_WEBHOOK}: ${(err as Error).message}` };
  }
}

/** n8n's own health endpoint: it answers anyone, and no webhooks-only route lets it through. */
export const EXPOSURE_PROBE = '/healthz';

/**
 * Whether n8n's own endpoints (its REST API, the editor) are out of the internet's reach, as the
 * webhooks-only route keeps them: a tenant whose compose file predates that route answers
 * EXPOSURE_PROBE through the edge — and an n8n with no owner yet can be taken over by its first
 * visitor. An update renders the route again.
 */
export async function checkExposure(
  t: HostTransport,
  stateDir: string,
  domain: string,
): Promise<{ ok: boolean; detail: string }> {
  const url = `https://${domain}${EXPOSURE_PROBE}`;
  try {
    const res = await edgeGet(t, stateDir, domain, EXPOSURE_PROBE);
    if (res.status === 200)
      return {
        ok: false,
        detail: `${url} → 200 from n8n: its own endpoints (its REST API) are open to anyone, not only its webhooks. Update the tenant: the new route lets only webhooks through.`,
      };
    return { ok: true, detail: `only webhooks are routed (${url} → ${res.status})` };
  } catch (err) {
    return { ok: false, detail: `${url} could not be checked: ${(err as Error).message}` };
  }
}

/** n8n's phase: its container's state, and whether its log since that start says it has started. */
async function n8nPhase(
  t: HostTransport,
  slug: string,
): Promise<{ phase: N8nPhase; last: string; id: string | null; startedAt: string | null }> {
  const docker = await t.docker();
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${PROJECT_LABEL}=${slug}`, 'com.docker.compose.service=n8n'] },
  });
  const c = list[0];
  if (!c) return { phase: 'down', last: 'no n8n container', id: null, startedAt: null };
  const info = await docker.getContainer(c.Id).inspect();
  const r = await t.exec(logsSinceCommand(info.State.StartedAt, c.Id), { timeoutMs: 30_000 });
  const lines = r.stdout.trim().split('\n');
  return {
    phase: n8nPhaseOf(info.State.Status, r.stdout),
    last: (lines[lines.length - 1] ?? '').trim().slice(0, 200),
    id: c.Id,
    startedAt: info.State.StartedAt,
  };
}

/**
 * Until n8n itself says it has started (N8N_STARTED_LINE in its log since `startedAt`, followed on
 * Docker's log stream over the host's connection), or `ms` at most: the route is checked again on
 * n8n's own signal, not after a blind sleep. The stream ends either way.
 */
export async function untilN8nStarted(
  t: HostTransport,
  containerId: string,
  startedAt: string,
  ms: number,
): Promise<void> {
  const docker = await t.docker();
  const since = Math.max(0, Math.floor(Date.parse(startedAt) / 1000) - 1);
  await new Promise<void>((resolve) => {
    let finished = false;
    let stream: NodeJS.ReadableStream | null = null;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      (stream as unknown as { destroy?: () => void } | null)?.destroy?.();
      resolve();
    };
    const timer = setTimeout(finish, ms);
    docker
      .getContainer(containerId)
      .logs({ follow: true, stdout: true, stderr: true, since })
      .then((s: NodeJS.ReadableStream) => {
        stream = s;
        // Ended meanwhile (the time ran out): the stream goes at once.
        if (finished) {
          (s as unknown as { destroy?: () => void }).destroy?.();
          return;
        }
        let tail = '';
        s.on('data', (d: Buffer) => {
          tail = (tail + d.toString('latin1')).slice(-4096);
          if (tail.includes(N8N_STARTED_LINE)) finish();
        });
        s.on('end', finish);
        s.on('error', finish);
      }, finish);
  });
}

/**
 * Wait until the edge routes the tenant's health webhook to its n8n, for as long as n8n makes
 * progress (ROUTE_WAIT): a busy host's slow n8n is waited for, a stopped one is not.
 */
export async function waitRoute(
  t: HostTransport,
  stateDir: string,
  slug: string,
  domain: string,
  limits: RouteWaitLimits = ROUTE_WAIT,
  onNote: (note: string) => void = () => undefined,
): Promise<string> {
  const began = Date.now();
  let startedSeen: number | null = null;
  let lastNote = '';
  for (;;) {
    const r = await checkRoute(t, stateDir, slug, domain);
    if (r.ok) return r.detail;
    const n8n = await n8nPhase(t, slug);
    if (n8n.phase === 'started') startedSeen ??= Date.now();
    const decision = routeWaitDecision(
      {
        elapsedMs: Date.now() - began,
        phase: n8n.phase,
        startedForMs: startedSeen === null ? null : Date.now() - startedSeen,
      },
      limits,
    );
    const waited = Math.round((Date.now() - began) / 1000);
    if (decision === 'down')
      throw new CoreError(
        'tenant.route',
        `n8n of '${slug}' is not running while its route was awaited (${n8n.last}); ${r.detail}`,
        `Look at its logs: truffles tenant logs ${slug} n8n`,
      );
    if (decision === 'ceiling')
      throw new CoreError(
        'tenant.route',
        `Waited ${waited} s for n8n of '${slug}' to ${n8n.phase === 'starting' ? 'finish starting and register its webhooks' : 'be routed'}; ${r.detail}. n8n's last log line: ${n8n.last}`,
        'The host may be overloaded: look at its load and n8n’s logs, then run the same command again to resume.',
      );
    if (decision === 'grace')
      throw new CoreError(
        'tenant.route',
        `n8n of '${slug}' has started (its workflows are activated), but after ${waited} s the edge does not route ${domain} to it: ${r.detail}`,
        'Check the edge (truffles edge status) and the n8n labels.',
      );
    const note =
      n8n.phase === 'starting'
        ? `waiting for n8n to finish starting and register webhook ${HEALTH_WEBHOOK} (${waited} s)`
        : `n8n has started; waiting for the edge to route ${domain}`;
    if (note.split(' (')[0] !== lastNote.split(' (')[0]) onNote(note);
    lastNote = note;
    // While n8n starts, its own log line ends the wait; once it has started, the edge is asked again soon.
    if (n8n.phase === 'starting' && n8n.id && n8n.startedAt)
      await untilN8nStarted(t, n8n.id, n8n.startedAt, 5000);
    else await sleep(n8n.phase === 'started' ? 500 : 2000);
  }
}
