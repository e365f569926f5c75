/**
 * Health: the host agent's life (install, update, status) and the reads it serves. One agent
 * connection per host, opened over the host's SSH connection on first use and kept while it
 * lives; a fleet read is one request per host, all at once.
 */
import { posix } from 'node:path';
import type { z } from 'zod';
import { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import type { AgentStatus, FleetHealth } from '../../../shared/contract';
import { HistorySeriesSchema, HostSnapshotSchema } from '../../../shared/contract';
import type {
  ContainerHealth,
  HistorySeries,
  HostSnapshot,
  WatchEvent,
} from '../../../shared/agent/protocol';
import { AGENT_LABEL, AGENT_VERSION } from '../../../shared/agent/protocol';
import { CoreError, toErrorInfo } from '../errors';
import type { HostService } from '../hosts/service';
import type { HostTransport } from '../hosts/transport';
import { parseHostCatalog, resolveImages } from '../tenants/catalog';
import { mkdirHost, readHostFile } from '../tenants/hostfs';
import { openSupportDoor } from '../hosts/door';
import { agentBundle } from './bundle';
import { AgentClient } from './client';
import type { AgentStream } from './client';
import { parseSupportGid, SUPPORT_RUN, supportGroupCommand } from '../access/support';
import {
  AGENT_BUNDLE_LABEL,
  AGENT_SUPPORT_LABEL,
  AGENT_CONTAINER,
  agentDir,
  containerInspectCommand,
  agentProgramName,
  agentRemoveCommand,
  agentRunCommand,
  agentSocket,
  imagePresentCommand,
  socketGroupCommand,
} from './commands';

const READY_WAIT_MS = 20_000;

export interface HealthServiceOptions {
  /** More environment for the agents this console installs (a test seam: e.g. faster side reads). */
  agentEnv?: Record<string, string>;
}

export interface ProgramContainer {
  labels: Record<string, string>;
  status: string;
  startedAt: string | null;
  restarts: number;
  image: string;
}

export class HealthService {
  private readonly clients = new Map<string, Promise<AgentClient>>();

  constructor(
    private readonly hosts: HostService,
    private readonly options: HealthServiceOptions = {},
  ) {}

  /** The host's agent client, opened on first use and reopened after it closes. */
  async client(hostName: string): Promise<AgentClient> {
    const existing = this.clients.get(hostName);
    if (existing) {
      const c = await existing.catch(() => null);
      if (c && !c.isClosed) return c;
      if (this.clients.get(hostName) === existing) this.clients.delete(hostName);
    }
    const opening = this.open(hostName);
    this.clients.set(hostName, opening);
    opening.catch(() => {
      if (this.clients.get(hostName) === opening) this.clients.delete(hostName);
    });
    return opening;
  }

  private async open(hostName: string): Promise<AgentClient> {
    const host = await this.hosts.get(hostName);
    const t = await this.hosts.transport(hostName);
    // A support console: the support account's door is its only way to the agent (issue 17).
    const client =
      host.role === 'support'
        ? await openSupportDoor(t, hostName)
        : await AgentClient.open(await this.agentSocket(t, hostName, host.stateDir), hostName);
    client.onClose(() => {
      void this.clients.get(hostName)?.then((c) => {
        if (c === client) this.clients.delete(hostName);
      });
    });
    return client;
  }

  private async agentSocket(t: HostTransport, hostName: string, stateDir: string): Promise<Duplex> {
    try {
      return await t.unixStream(agentSocket(stateDir));
    } catch (err) {
      throw new CoreError(
        'agent.unreachable',
        `The console could not reach the agent on '${hostName}': ${err instanceof Error ? err.message : String(err)}`,
        `Is it installed? \`truffles agent status ${hostName}\` tells; \`truffles agent install ${hostName}\` installs it.`,
      );
    }
  }

  async snapshot(hostName: string): Promise<HostSnapshot> {
    const raw = await (await this.client(hostName)).request('snapshot', {});
    return checked(HostSnapshotSchema, raw, hostName, 'snapshot');
  }

  async fleet(): Promise<FleetHealth> {
    const hosts = await this.hosts.list();
    const rows = await Promise.all(
      hosts.map(async (h) => {
        const t0 = performance.now();
        try {
          const snapshot = await this.snapshot(h.name);
          return { host: h.name, snapshot, error: null, ms: performance.now() - t0 };
        } catch (err) {
          return { host: h.name, snapshot: null, error: toErrorInfo(err), ms: performance.now() - t0 };
        }
      }),
    );
    return { takenAt: new Date().toISOString(), agentVersion: AGENT_VERSION, hosts: rows };
  }

  /** A tenant's containers: on the host given, else on the first host whose agent knows it. */
  async tenant(slug: string, hostName?: string): Promise<{ host: string; containers: ContainerHealth[] }> {
    // One host named: its agent (its failure is the answer). Else every host's, all at once.
    const snapshots = hostName
      ? [{ host: hostName, snapshot: await this.snapshot(hostName) }]
      : (await this.fleet()).hosts;
    for (const { host, snapshot } of snapshots) {
      const containers = snapshot?.containers.filter((c) => c.tenant === slug) ?? [];
      if (containers.length) return { host, containers };
    }
    throw new CoreError(
      'health.tenant-unknown',
      `No agent knows a tenant '${slug}'${hostName ? ` on '${hostName}'` : ''}.`,
      'Check the slug with `truffles tenants list`, and that the host has an agent (`truffles agent status HOST`).',
    );
  }

  async history(hostName: string, range: '1h' | '24h', container?: string): Promise<HistorySeries> {
    const c = await this.client(hostName);
    const raw = await c.request(
      'history',
      container ? { scope: 'container', name: container, range } : { scope: 'host', range },
    );
    return checked(HistorySeriesSchema, raw, hostName, 'history');
  }

  /** Follow a host's changes (state, health, stats, the host's own); `close` ends it. */
  async watch(hostName: string, onEvent: (e: WatchEvent) => void): Promise<AgentStream> {
    return (await this.client(hostName)).stream('watch', {}, onEvent);
  }

  // ---------- the agent's life ----------

  async status(hostName: string): Promise<AgentStatus> {
    const host = await this.hosts.get(hostName);
    const t = await this.hosts.transport(hostName);
    // A support console cannot ask Docker: what the agent says of itself through the door is all.
    const [container, bundle] = await Promise.all([
      host.role === 'support' ? Promise.resolve(null) : inspectAgent(t),
      agentBundle().catch(() => null),
    ]);
    const base: AgentStatus = {
      host: hostName,
      state: 'missing',
      version: container?.labels[AGENT_LABEL] ?? null,
      protocol: null,
      expectedVersion: AGENT_VERSION,
      bundle: container?.labels[AGENT_BUNDLE_LABEL] ?? null,
      expectedBundle: bundle?.sha256 ?? null,
      image: container?.image ?? null,
      startedAt: container?.startedAt ?? null,
      restarts: container?.restarts ?? 0,
      rssBytes: null,
      cpuSeconds: null,
      eventsConnected: null,
      containers: null,
      statsSource: null,
      problem: null,
    };
    if (!container && host.role !== 'support')
      return { ...base, problem: `No agent container (${AGENT_CONTAINER}) on this host.` };
    if (container && container.status !== 'running' && container.status !== 'restarting')
      return { ...base, state: 'stopped', problem: `Its container is ${container.status}.` };
    try {
      const snap = await this.snapshot(hostName);
      const outdated =
        base.bundle !== null && base.expectedBundle !== null && base.bundle !== base.expectedBundle;
      return {
        ...base,
        state: outdated || snap.agent.version !== AGENT_VERSION ? 'outdated' : 'answering',
        version: snap.agent.version,
        protocol: snap.agent.protocol,
        rssBytes: snap.agent.rssBytes,
        cpuSeconds: snap.agent.cpuSeconds,
        eventsConnected: snap.agent.eventsConnected,
        containers: snap.containers.length,
        statsSource: snap.agent.statsSource ?? null,
        problem: outdated
          ? 'It runs an older build than this console’s; `truffles agent update` replaces it.'
          : null,
      };
    } catch (err) {
      const info = toErrorInfo(err);
      const incompatible = info.code === 'agent.protocol-version' || info.code === 'agent.protocol';
      return { ...base, state: incompatible ? 'incompatible' : 'running', problem: info.message };
    }
  }

  /**
   * Install (or, with `replace`, update) the agent: the program uploaded into the state folder,
   * run by the Node.js of an image the host already has (by default its n8n image), then waited
   * for until it greets with this console's protocol. Idempotent: the same build already
   * running is left alone.
   */
  async install(
    input: { host: string; runtimeImage?: string | undefined },
    replace: boolean,
  ): Promise<AgentStatus> {
    const host = await this.hosts.get(input.host);
    const t = await this.hosts.transport(input.host);
    const bundle = await agentBundle();
    const current = await inspectAgent(t);
    // The host's support account, if it has one: the agent serves its door (issue 17).
    const supportGid = parseSupportGid((await t.exec(supportGroupCommand(), { timeoutMs: 15_000 })).stdout);
    if (
      current &&
      !replace &&
      current.labels[AGENT_BUNDLE_LABEL] === bundle.sha256 &&
      (current.labels[AGENT_SUPPORT_LABEL] ?? null) === (supportGid === null ? null : String(supportGid)) &&
      current.status === 'running'
    ) {
      const s = await this.status(input.host);
      if (s.state === 'answering') return s;
    }
    const image = input.runtimeImage ?? (await this.runtimeImage(t, host));
    const present = await t.exec(imagePresentCommand(image), { timeoutMs: 30_000 });
    if (present.code !== 0)
      throw new CoreError(
        'agent.image-missing',
        `The image that runs the agent (${image}) is not on '${input.host}'.`,
        `Ship the host's images first (\`truffles host ship-images ${input.host}\`), or name another image with Node.js ≥ 20 (--runtime-image).`,
      );
    const gid = await t.exec(socketGroupCommand(host.dockerSocket), { timeoutMs: 15_000 });
    const socketGid = Number(gid.stdout.trim());
    if (gid.code !== 0 || !Number.isInteger(socketGid))
      throw new CoreError(
        'agent.docker-socket',
        `Could not read the group of ${host.dockerSocket} on '${input.host}': ${gid.stderr.trim() || `exit ${String(gid.code)}`}.`,
        'Check the host with `truffles host check`.',
      );
    const dir = agentDir(host.stateDir);
    await mkdirHost(t, dir, '0750');
    if (supportGid !== null) await mkdirHost(t, posix.join(host.stateDir, 'audit'), '0750');
    await mkdirHost(t, posix.join(dir, 'data'), '0750');
    const program = agentProgramName(bundle.version, bundle.sha256);
    await t.upload(Readable.from([bundle.code]), posix.join(dir, program), { mode: 0o644 });
    this.forget(input.host);
    if (current) await runInstallStep(t, agentRemoveCommand(), 'removing the old agent');
    await runInstallStep(
      t,
      agentRunCommand({
        image,
        version: bundle.version,
        sha256: bundle.sha256,
        stateDir: host.stateDir,
        dockerSocket: host.dockerSocket,
        socketGid,
        program,
        hostName: input.host,
        ...(supportGid !== null ? { support: { gid: supportGid, runDir: SUPPORT_RUN } } : {}),
        ...(this.options.agentEnv ? { env: this.options.agentEnv } : {}),
      }),
      'starting the agent',
    );
    return this.waitAnswering(input.host);
  }

  private async waitAnswering(hostName: string): Promise<AgentStatus> {
    const deadline = Date.now() + READY_WAIT_MS;
    let last: AgentStatus | null = null;
    while (Date.now() < deadline) {
      last = await this.status(hostName);
      if (last.state === 'answering' || last.state === 'incompatible') return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new CoreError(
      'agent.not-ready',
      `The agent on '${hostName}' did not answer within ${READY_WAIT_MS / 1000} s${last?.problem ? `: ${last.problem}` : ''}.`,
      `Its log: \`docker logs truffles-agent\` on the host. \`truffles agent status ${hostName}\` shows its state.`,
    );
  }

  /** The image whose programs run ours on the host (the agent's Node.js; the support setup's chroot). */
  async runtimeImageOf(hostName: string): Promise<string> {
    return this.runtimeImage(await this.hosts.transport(hostName), await this.hosts.get(hostName));
  }

  private async runtimeImage(
    t: HostTransport,
    host: { name: string; stateDir: string; registryMirror: string | null },
  ): Promise<string> {
    const text = await readHostFile(t, posix.join(host.stateDir, 'catalog.json'));
    const catalog = parseHostCatalog(text, `${host.name}:${host.stateDir}/catalog.json`);
    return resolveImages(host, catalog).images.n8n;
  }

  /** Drop a host's agent connection (before replacing the agent; when the host is removed). */
  forget(hostName: string): void {
    const c = this.clients.get(hostName);
    this.clients.delete(hostName);
    void c?.then((x) => x.close()).catch(() => undefined);
  }

  close(): void {
    for (const name of [...this.clients.keys()]) this.forget(name);
  }
}

/** One step of installing a program of ours on a host; its failure says which and how to go on. */
export async function runInstallStep(
  t: HostTransport,
  argv: string[],
  what: string,
  code = 'agent.install',
): Promise<void> {
  const r = await t.exec(argv, { timeoutMs: 120_000 });
  if (r.code !== 0)
    throw new CoreError(
      code,
      `${what[0]?.toUpperCase()}${what.slice(1)} failed: ${r.stderr.trim() || `exit ${String(r.code)}`}.`,
      'Check Docker on the host (`truffles host check`), then retry: installing is safe to repeat.',
    );
}

function inspectAgent(t: HostTransport): Promise<ProgramContainer | null> {
  return inspectContainer(t, AGENT_CONTAINER);
}

/** A program container of ours (the agent, the kb worker): its labels and state, or null when there is none. */
export async function inspectContainer(t: HostTransport, name: string): Promise<ProgramContainer | null> {
  const r = await t.exec(containerInspectCommand(name), { timeoutMs: 15_000 });
  if (r.code !== 0) return null;
  const [labels, status, startedAt, restarts, image] = r.stdout.trim().split('\t');
  let parsed: Record<string, string>;
  try {
    parsed = (JSON.parse(labels ?? '{}') as Record<string, string> | null) ?? {};
  } catch {
    parsed = {};
  }
  return {
    labels: parsed,
    status: status ?? 'unknown',
    startedAt: startedAt && !startedAt.startsWith('0001-') ? startedAt : null,
    restarts: Number(restarts) || 0,
    image: image ?? '',
  };
}

/** An agent's answer checked against the contract's schema for it. */
export function checked<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  host: string,
  what: string,
): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw new CoreError(
    'agent.protocol',
    `The agent on '${host}' answered "${what}" with something this console cannot read: ${r.error.message.slice(0, 300)}`,
    `Update the agent with \`truffles agent update ${host}\`.`,
  );
}
