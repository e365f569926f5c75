/**
 * Knowledge bases (issue 15), the console's side: it streams an operator's file to the tenant's
 * host (`uploads.ts`: sha256 computed on the way), hands it to the host's knowledge-base worker and
 * from then on only reads: documents, jobs and their progress, chunks, the test search, the bot's answer.
 * Everything long runs on the host (src/kbworker), so closing the laptop stops nothing.
 *
 * The worker is installed on first use like the host agent: its program uploaded into
 * `<stateDir>/kb/program/`, run by the Node.js of the host's n8n image.
 */
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import type { KbJob, KbMethods, KbStreams } from '../../../shared/kb/protocol';
import { KB_PROTOCOL, KB_VERSION } from '../../../shared/kb/protocol';
import { parseHostCatalog, resolveImages } from '../tenants/catalog';
import type { AppEvent } from '../../../shared/contract';
import { CoreError, toErrorInfo } from '../errors';
import { AgentClient } from '../health/client';
import type { AgentRequester, AgentStream } from '../health/client';
import { programBundle } from '../health/bundle';
import { KbUploads } from './uploads';
import { containerRemoveCommand, imagePresentCommand, socketGroupCommand } from '../health/commands';
import { inspectContainer, runInstallStep } from '../health/service';
import type { HostService } from '../hosts/service';
import type { HostTransport } from '../hosts/transport';
import { mkdirHost, readHostFile } from '../tenants/hostfs';
import type { TenantService } from '../tenants/service';
import {
  KB_BUNDLE_LABEL,
  KB_CONTAINER,
  KB_ENV_LABEL,
  kbDir,
  kbEnvDigest,
  kbProgramName,
  kbRunCommand,
  kbSocket,
  kbSocketRemoveCommand,
} from './commands';

export type KbClient = AgentClient<
  KbMethods & Record<string, { params: unknown; result: unknown }>,
  KbStreams & Record<string, { params: unknown; event: unknown }>
>;

export interface KbServiceOptions {
  /** More environment for the workers this console installs (tests: shorter retry waits). */
  workerEnv?: Record<string, string>;
  /** How long a watch tries to come back after its worker connection went (tests: shorter). */
  watchGiveUpMs?: number;
}

/**
 * A support host's way to the reads (issue 17): its key reaches only the host agent's support door,
 * which asks the worker for the listing, chunks and test search (src/agent/kbDoor.ts), redacted.
 */
export interface KbSupportDoor {
  /** The host agent's client: for a support host, its support door. */
  client(host: string): Promise<AgentRequester>;
  /** Where a tenant runs, as the agents say (a support key cannot read the tenant records). */
  locate(slug: string): Promise<string>;
}

const READY_WAIT_MS = 30_000;
/** A watch whose worker connection went is made again after this wait… */
const WATCH_RESUME_WAIT_MS = 1_000;
/** …until it has failed for this long (a worker being replaced is back within seconds). */
const WATCH_GIVE_UP_MS = 60_000;

export class KbService {
  private readonly clients = new Map<string, Promise<KbClient>>();

  constructor(
    private readonly hosts: HostService,
    private readonly tenants: TenantService,
    private readonly emit: (e: AppEvent) => void,
    private readonly options: KbServiceOptions = {},
    private readonly door?: KbSupportDoor,
  ) {}

  private get watchGiveUpMs(): number {
    return this.options.watchGiveUpMs ?? WATCH_GIVE_UP_MS;
  }

  /** Files on their way from this machine to a tenant's host. */
  readonly uploads = new KbUploads({
    forTenant: (slug, host) => this.forTenant(slug, host),
    client: (host) => this.client(host),
    emit: (e) => this.emit(e),
  });

  /** The tenant's host and its worker's client (installed on first use). */
  async forTenant(
    slug: string,
    hostName?: string,
  ): Promise<{ host: string; client: KbClient; t: HostTransport; stateDir: string }> {
    const { host, t } = await this.tenants.locate(slug, hostName);
    return { host: host.name, client: await this.client(host.name), t, stateDir: host.stateDir };
  }

  async client(hostName: string): Promise<KbClient> {
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

  private async open(hostName: string): Promise<KbClient> {
    const host = await this.hosts.get(hostName);
    const t = await this.hosts.transport(hostName);
    await this.ensure(hostName);
    const socket = await t.unixStream(kbSocket(host.stateDir)).catch((err: unknown) => {
      throw new CoreError(
        'kb.unreachable',
        `The console could not reach the knowledge-base worker on '${hostName}': ${err instanceof Error ? err.message : String(err)}`,
        `Its log: \`docker logs truffles-kb\` on the host. Removing that container (\`docker rm -f truffles-kb\`) makes the console start a new worker on its next use.`,
      );
    });
    const client = await AgentClient.open<
      KbMethods & Record<string, { params: unknown; result: unknown }>,
      KbStreams & Record<string, { params: unknown; event: unknown }>
    >(socket, hostName, { name: 'truffles-kb', protocol: KB_PROTOCOL, version: KB_VERSION });
    client.onClose(() => {
      void this.clients.get(hostName)?.then((c) => {
        if (c === client) this.clients.delete(hostName);
      });
    });
    return client;
  }

  /**
   * Make sure this console's worker runs on the host: the same build running is left alone;
   * another (or none) is replaced. Jobs survive a replacement (they are files; the new worker
   * resumes them).
   */
  async ensure(hostName: string, replace = false): Promise<{ installed: boolean; version: string }> {
    const host = await this.hosts.get(hostName);
    const t = await this.hosts.transport(hostName);
    const bundle = await programBundle('kb');
    const current = await inspectContainer(t, KB_CONTAINER);
    if (
      current &&
      !replace &&
      current.labels[KB_BUNDLE_LABEL] === bundle.sha256 &&
      // with the settings this console runs it with (a worker started with others is replaced)
      (current.labels[KB_ENV_LABEL] ?? '-') === kbEnvDigest(this.options.workerEnv) &&
      // running, or being restarted by Docker after a crash: left alone
      (current.status === 'running' || current.status === 'restarting')
    )
      return { installed: false, version: bundle.version };
    const text = await readHostFile(t, posix.join(host.stateDir, 'catalog.json'));
    const image = resolveImages(host, parseHostCatalog(text, `${host.name}:${host.stateDir}/catalog.json`))
      .images.n8n;
    const present = await t.exec(imagePresentCommand(image), { timeoutMs: 30_000 });
    if (present.code !== 0)
      throw new CoreError(
        'kb.image-missing',
        `The image that runs the knowledge-base worker (${image}) is not on '${hostName}'.`,
        `Ship the host's images first (\`truffles host ship-images ${hostName}\`).`,
      );
    const gid = await t.exec(socketGroupCommand(host.dockerSocket), { timeoutMs: 15_000 });
    const socketGid = Number(gid.stdout.trim());
    if (gid.code !== 0 || !Number.isInteger(socketGid))
      throw new CoreError(
        'kb.install',
        `Could not read the group of ${host.dockerSocket} on '${hostName}'.`,
        'Check the host with `truffles host check`.',
      );
    // The worker runs as the owner of the state folder (the SSH user), not as root: the files it
    // writes are the console's to remove (a tenant's delete), and the tenants' .env (0600, theirs)
    // are readable to it.
    const owner = await t.exec(['stat', '-c', '%u:%g', '--', host.stateDir], { timeoutMs: 15_000 });
    const user = owner.stdout.trim();
    if (owner.code !== 0 || !/^\d+:\d+$/.test(user))
      throw new CoreError(
        'kb.install',
        `Could not read the owner of ${host.stateDir} on '${hostName}'.`,
        'Check the host with `truffles host check`.',
      );
    const dir = kbDir(host.stateDir);
    await mkdirHost(t, dir, '0750');
    await mkdirHost(t, posix.join(dir, 'program'), '0750');
    const program = kbProgramName(bundle.version, bundle.sha256);
    await t.upload(Readable.from([bundle.code]), posix.join(dir, 'program', program), { mode: 0o644 });
    // No client of the old worker is cached here: this runs while the host's client is being
    // opened (`client` opens only when none is open). Dropping that entry would close the new
    // client as soon as it connected, and with it the first read or watch made on it.
    if (current)
      await runInstallStep(t, containerRemoveCommand(KB_CONTAINER), 'removing the old worker', 'kb.install');
    // The old worker's socket file outlives it: gone first, so the socket below is the new worker's.
    await runInstallStep(t, kbSocketRemoveCommand(host.stateDir), 'removing the old socket', 'kb.install');
    await runInstallStep(
      t,
      kbRunCommand({
        image,
        version: bundle.version,
        sha256: bundle.sha256,
        stateDir: host.stateDir,
        dockerSocket: host.dockerSocket,
        socketGid,
        user,
        program,
        ...(this.options.workerEnv ? { env: this.options.workerEnv } : {}),
      }),
      'starting the worker',
      'kb.install',
    );
    // Answering: its socket exists once it listens.
    const deadline = Date.now() + READY_WAIT_MS;
    while (Date.now() < deadline) {
      const r = await t.exec(['test', '-S', kbSocket(host.stateDir)], { timeoutMs: 10_000 });
      const now = await inspectContainer(t, KB_CONTAINER);
      if (r.code === 0 && now?.status === 'running') return { installed: true, version: bundle.version };
      await new Promise((res) => setTimeout(res, 250));
    }
    throw new CoreError(
      'kb.not-ready',
      `The knowledge-base worker on '${hostName}' did not start within ${READY_WAIT_MS / 1000} s.`,
      'Its log: `docker logs truffles-kb` on the host.',
    );
  }

  async list(
    slug: string,
    hostName?: string,
  ): Promise<{ host: string } & KbMethods['kb.documents']['result'] & { jobs: KbJob[] }> {
    return this.read(slug, hostName, async (client, host) => {
      const [docs, jobs] = await Promise.all([
        client.request('kb.documents', { tenant: slug }, 60_000),
        client.request('kb.jobs', { tenant: slug }),
      ]);
      return { host, ...docs, jobs };
    });
  }

  /**
   * Who answers a read of the tenant's base: its host's worker, or, from a support console (the
   * host named is a support host, or every host is), the host agent's support door.
   */
  private async reader(
    slug: string,
    hostName: string | undefined,
  ): Promise<{ host: string; client: KbClient }> {
    if (this.door) {
      const ssh = hostName
        ? [await this.hosts.get(hostName)]
        : (await this.hosts.list()).filter((h) => h.kind === 'ssh');
      if (ssh.length > 0 && ssh.every((h) => h.role === 'support')) {
        const host = hostName ?? (await this.door.locate(slug));
        // The door speaks the worker's read methods with the same parameters and answers.
        return { host, client: (await this.door.client(host)) as unknown as KbClient };
      }
    }
    const { host, client } = await this.forTenant(slug, hostName);
    return { host, client };
  }

  /**
   * A read on the tenant's worker, tried again (for up to ~10 s) when the worker went away under
   * it — it crashed and Docker is restarting it, or it was replaced: reads are safe to repeat,
   * and the new worker answers from the same files and tables.
   */
  private async read<T>(
    slug: string,
    hostName: string | undefined,
    fn: (c: KbClient, host: string) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { host, client } = await this.reader(slug, hostName);
        return await fn(client, host);
      } catch (err) {
        const code = err instanceof CoreError ? err.code : '';
        if (attempt >= 20 || !['agent.disconnected', 'kb.unreachable', 'agent.silent'].includes(code))
          throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async cancel(slug: string, job: string, hostName?: string): Promise<KbJob> {
    const { client } = await this.forTenant(slug, hostName);
    return client.request('kb.cancel', { tenant: slug, job });
  }

  async remove(
    slug: string,
    document: string,
    by: string,
    hostName?: string,
  ): Promise<KbMethods['kb.delete']['result']> {
    const { client } = await this.forTenant(slug, hostName);
    return client.request('kb.delete', { tenant: slug, document, by }, 120_000);
  }

  async reindex(slug: string, by: string, document?: string, hostName?: string): Promise<KbJob[]> {
    const { client } = await this.forTenant(slug, hostName);
    return client.request('kb.reindex', { tenant: slug, by, ...(document ? { document } : {}) }, 60_000);
  }

  async chunks(
    slug: string,
    document: string,
    offset: number,
    limit: number,
    hostName?: string,
  ): Promise<KbMethods['kb.chunks']['result']> {
    return this.read(slug, hostName, (client) =>
      client.request('kb.chunks', { tenant: slug, document, offset, limit }, 60_000),
    );
  }

  async search(
    slug: string,
    query: string,
    topK?: number,
    minScore?: number,
    hostName?: string,
  ): Promise<KbMethods['kb.search']['result']> {
    const { client } = await this.reader(slug, hostName);
    return client.request(
      'kb.search',
      { tenant: slug, query, ...(topK ? { topK } : {}), ...(minScore !== undefined ? { minScore } : {}) },
      120_000,
    );
  }

  async ask(slug: string, question: string, hostName?: string): Promise<KbMethods['kb.ask']['result']> {
    const { client } = await this.forTenant(slug, hostName);
    return client.request('kb.ask', { tenant: slug, question }, 180_000);
  }

  /**
   * Follow a tenant's jobs: every change arrives as a `kb.progress` event until the returned stream
   * closes. When the worker's connection goes (the worker was replaced, crashed and was restarted,
   * the SSH connection dropped), the watch is made again on a new connection: the worker's first
   * frame is every job as it is, so nothing stays stale. After `WATCH_GIVE_UP_MS` without
   * succeeding it ends with a `kb.progress` carrying the error, which the screen shows.
   */
  async watch(slug: string, hostName?: string): Promise<AgentStream> {
    const first = await this.forTenant(slug, hostName);
    const host = first.host;
    const follow = (client: KbClient): AgentStream =>
      client.stream('kb.watch', { tenant: slug }, (e) => {
        failingSince = null;
        this.emit({ type: 'kb.progress', host, tenant: slug, jobs: e.jobs });
      });
    let stopped = false;
    let failingSince: number | null = null;
    let current: AgentStream | null = follow(first.client);
    let wake: (() => void) | null = null;
    let settle!: (err: Error | null) => void;
    const ended = new Promise<Error | null>((r) => (settle = r));
    const run = async (): Promise<void> => {
      for (;;) {
        let failure: Error | null;
        try {
          current ??= follow(await this.client(host));
          if (stopped) current.close();
          failure = await current.ended;
        } catch (err) {
          failure = err instanceof Error ? err : new Error(String(err));
        }
        current = null;
        if (stopped) return settle(null);
        failure ??= new Error(`The knowledge-base worker on '${host}' ended the watch.`);
        failingSince ??= Date.now();
        if (Date.now() - failingSince > this.watchGiveUpMs) {
          this.emit({ type: 'kb.progress', host, tenant: slug, jobs: [], error: toErrorInfo(failure) });
          return settle(failure);
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, WATCH_RESUME_WAIT_MS).unref?.();
        });
        if (stopped) return settle(null);
      }
    };
    void run();
    return {
      close: () => {
        if (stopped) return;
        stopped = true;
        current?.close();
        wake?.();
      },
      ended,
    };
  }

  forget(hostName: string): void {
    const c = this.clients.get(hostName);
    this.clients.delete(hostName);
    void c?.then((x) => x.close()).catch(() => undefined);
  }

  close(): void {
    this.uploads.close();
    for (const name of [...this.clients.keys()]) this.forget(name);
  }
}
