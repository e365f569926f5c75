/**
 * Knowledge bases (issue 15), the console's side: it streams an operator's file to the tenant's
 * host (sha256 computed on the way), hands it to the host's knowledge-base worker and from then
 * on only reads: documents, jobs and their progress, chunks, the test search, the bot's answer.
 * Everything long runs on the host (src/kbworker), so closing the laptop stops nothing.
 *
 * The worker is installed on first use like the host agent: its program uploaded into
 * `<stateDir>/kb/program/`, run by the Node.js of the host's n8n image.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, posix } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { KbJob, KbMethods, KbStreams } from '../../../shared/kb/protocol';
import { KB_EXTENSIONS, KB_MAX_FILE_BYTES, KB_PROTOCOL, KB_VERSION } from '../../../shared/kb/protocol';
import { parseHostCatalog, resolveImages } from '../tenants/catalog';
import type { AppEvent } from '../../../shared/contract';
import { CoreError } from '../errors';
import { AgentClient } from '../health/client';
import type { AgentStream } from '../health/client';
import { programBundle } from '../health/bundle';
import { imagePresentCommand, socketGroupCommand } from '../health/commands';
import type { HostService } from '../hosts/service';
import type { HostTransport } from '../hosts/transport';
import { mkdirHost, readHostFile } from '../tenants/hostfs';
import type { TenantService } from '../tenants/service';
import {
  KB_BUNDLE_LABEL,
  kbDir,
  kbIncoming,
  kbInspectCommand,
  kbProgramName,
  kbRemoveCommand,
  kbRunCommand,
  kbSocket,
} from './commands';

type KbClient = AgentClient<
  KbMethods & Record<string, { params: unknown; result: unknown }>,
  KbStreams & Record<string, { params: unknown; event: unknown }>
>;

export interface KbServiceOptions {
  /** More environment for the workers this console installs (tests: shorter retry waits). */
  workerEnv?: Record<string, string>;
}

const READY_WAIT_MS = 30_000;
/** A browser upload with no part for this long is dropped (its partial file removed). */
const UPLOAD_IDLE_MS = 5 * 60_000;
const PART_MAX_BYTES = 4 * 1024 * 1024;

interface OpenUpload {
  id: string;
  slug: string;
  host: string;
  filename: string;
  sizeBytes: number;
  received: number;
  by: string;
  hash: ReturnType<typeof createHash>;
  sink: PassThrough;
  done: Promise<unknown>;
  idle: NodeJS.Timeout;
}

export function docTypeOf(filename: string): string | null {
  const ext = filename.toLowerCase().split('.').pop() ?? '';
  return KB_EXTENSIONS[ext] ?? null;
}

function checkFile(filename: string, sizeBytes: number): void {
  if (!docTypeOf(filename))
    throw new CoreError(
      'kb.unsupported-type',
      `'${filename}' is not a PDF, DOCX, TXT or Markdown file.`,
      'Save it as one of those (e.g. a spreadsheet as PDF) and upload that.',
    );
  if (sizeBytes <= 0)
    throw new CoreError('kb.empty', `'${filename}' is empty.`, 'Choose the file with the content.');
  if (sizeBytes > KB_MAX_FILE_BYTES)
    throw new CoreError(
      'kb.too-large',
      `'${filename}' has ${(sizeBytes / 1048576).toFixed(1)} MB; the limit is ${KB_MAX_FILE_BYTES / 1048576} MB.`,
      'Split it into smaller documents.',
    );
}

export class KbService {
  private readonly clients = new Map<string, Promise<KbClient>>();
  private readonly uploads = new Map<string, OpenUpload>();

  constructor(
    private readonly hosts: HostService,
    private readonly tenants: TenantService,
    private readonly emit: (e: AppEvent) => void,
    private readonly options: KbServiceOptions = {},
  ) {}

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
        `Its log: \`docker logs truffles-kb\` on the host; \`truffles kb install ${hostName}\` reinstalls it.`,
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
    const current = await inspect(t);
    if (
      current &&
      !replace &&
      current.labels[KB_BUNDLE_LABEL] === bundle.sha256 &&
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
    this.forget(hostName);
    if (current) await run(t, kbRemoveCommand(), 'removing the old worker');
    await run(
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
    );
    // Answering: its socket exists once it listens.
    const deadline = Date.now() + READY_WAIT_MS;
    while (Date.now() < deadline) {
      const r = await t.exec(['test', '-S', kbSocket(host.stateDir)], { timeoutMs: 10_000 });
      const now = await inspect(t);
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
        const { host, client } = await this.forTenant(slug, hostName);
        return await fn(client, host);
      } catch (err) {
        const code = err instanceof CoreError ? err.code : '';
        if (attempt >= 20 || !['agent.disconnected', 'kb.unreachable', 'agent.silent'].includes(code))
          throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Upload files from this machine (the CLI, the desktop app): each streamed, then queued. */
  async uploadPaths(slug: string, paths: string[], by: string, hostName?: string): Promise<KbJob[]> {
    const files = [];
    for (const p of paths) {
      const st = await stat(p).catch(() => null);
      if (!st?.isFile())
        throw new CoreError(
          'kb.no-file',
          `'${p}' is not a file.`,
          'Give the path of a PDF, DOCX, TXT or Markdown file.',
        );
      checkFile(basename(p), st.size);
      files.push({ path: p, size: st.size });
    }
    const jobs: KbJob[] = [];
    for (const f of files) {
      const { id } = await this.uploadOpen(slug, basename(f.path), f.size, by, hostName);
      const up = this.uploads.get(id)!;
      try {
        for await (const chunk of createReadStream(f.path)) await this.write(up, chunk as Buffer);
      } catch (err) {
        this.abort(id);
        throw err;
      }
      jobs.push(await this.uploadClose(id));
    }
    return jobs;
  }

  /** Start an upload whose bytes come in parts (the renderer reads a dropped file piece by piece). */
  async uploadOpen(
    slug: string,
    filename: string,
    sizeBytes: number,
    by: string,
    hostName?: string,
  ): Promise<{ id: string; host: string }> {
    checkFile(filename, sizeBytes);
    const { host, t, stateDir } = await this.forTenant(slug, hostName);
    const id = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const dir = kbIncoming(stateDir, slug);
    await mkdirHost(t, dir, '0750');
    const sink = new PassThrough({ highWaterMark: 1024 * 1024 });
    const done = t.upload(sink, posix.join(dir, id), { mode: 0o640 });
    done.catch(() => undefined);
    const up: OpenUpload = {
      id,
      slug,
      host,
      filename,
      sizeBytes,
      received: 0,
      by,
      hash: createHash('sha256'),
      sink,
      done,
      idle: setTimeout(() => this.abort(id), UPLOAD_IDLE_MS),
    };
    up.idle.unref();
    this.uploads.set(id, up);
    return { id, host };
  }

  async uploadPart(id: string, offset: number, data: Buffer): Promise<{ received: number }> {
    const up = this.uploads.get(id);
    if (!up)
      throw new CoreError(
        'kb.upload-unknown',
        'This upload is not open (it finished, failed or waited too long).',
        'Upload the file again.',
      );
    if (offset !== up.received)
      throw new CoreError(
        'kb.upload-order',
        `Part at ${offset} while ${up.received} bytes were received.`,
        'Upload the file again.',
      );
    if (data.length > PART_MAX_BYTES)
      throw new CoreError(
        'kb.upload-part',
        `A part is at most ${PART_MAX_BYTES} bytes.`,
        'Send smaller parts.',
      );
    await this.write(up, data);
    return { received: up.received };
  }

  async uploadClose(id: string, sha256?: string): Promise<KbJob> {
    const up = this.uploads.get(id);
    if (!up) throw new CoreError('kb.upload-unknown', 'This upload is not open.', 'Upload the file again.');
    this.uploads.delete(id);
    clearTimeout(up.idle);
    up.sink.end();
    await up.done.catch((err: unknown) => {
      throw new CoreError(
        'kb.upload-failed',
        `Sending '${up.filename}' to the host failed: ${err instanceof Error ? err.message : String(err)}`,
        'Upload it again.',
      );
    });
    if (up.received !== up.sizeBytes)
      throw new CoreError(
        'kb.upload-short',
        `'${up.filename}' arrived with ${up.received} of ${up.sizeBytes} bytes.`,
        'Upload it again.',
      );
    const digest = up.hash.digest('hex');
    if (sha256 && sha256.toLowerCase() !== digest)
      throw new CoreError(
        'kb.upload-damaged',
        `'${up.filename}' does not match its checksum.`,
        'Upload it again.',
      );
    const client = await this.client(up.host);
    const job = await client.request(
      'kb.enqueue',
      {
        tenant: up.slug,
        upload: up.id,
        filename: up.filename,
        sizeBytes: up.sizeBytes,
        sha256: digest,
        uploadedBy: up.by,
      },
      120_000,
    );
    this.emit({ type: 'kb.progress', host: up.host, tenant: up.slug, jobs: [job] });
    return job;
  }

  abort(id: string): void {
    const up = this.uploads.get(id);
    if (!up) return;
    this.uploads.delete(id);
    clearTimeout(up.idle);
    up.sink.destroy(new Error('upload aborted'));
  }

  private async write(up: OpenUpload, data: Buffer): Promise<void> {
    if (up.received + data.length > up.sizeBytes) {
      this.abort(up.id);
      throw new CoreError(
        'kb.upload-long',
        `'${up.filename}' is longer than the ${up.sizeBytes} bytes announced.`,
        'Upload it again.',
      );
    }
    up.hash.update(data);
    up.received += data.length;
    if (!up.sink.write(data))
      await new Promise<void>((resolve, reject) => {
        up.sink.once('drain', resolve);
        up.sink.once('error', reject);
        up.done.catch(reject);
      });
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
    const { client } = await this.forTenant(slug, hostName);
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

  /** Follow a tenant's jobs: every change arrives as a `kb.progress` event until the returned stream closes. */
  async watch(slug: string, hostName?: string): Promise<AgentStream> {
    const { host, client } = await this.forTenant(slug, hostName);
    return client.stream('kb.watch', { tenant: slug }, (e) => {
      this.emit({ type: 'kb.progress', host, tenant: slug, jobs: e.jobs });
    });
  }

  forget(hostName: string): void {
    const c = this.clients.get(hostName);
    this.clients.delete(hostName);
    void c?.then((x) => x.close()).catch(() => undefined);
  }

  close(): void {
    for (const id of [...this.uploads.keys()]) this.abort(id);
    for (const name of [...this.clients.keys()]) this.forget(name);
  }
}

async function run(t: HostTransport, argv: string[], what: string): Promise<void> {
  const r = await t.exec(argv, { timeoutMs: 120_000 });
  if (r.code !== 0)
    throw new CoreError(
      'kb.install',
      `${what[0]?.toUpperCase()}${what.slice(1)} failed: ${r.stderr.trim() || `exit ${String(r.code)}`}.`,
      'Check Docker on the host (`truffles host check`), then retry: installing is safe to repeat.',
    );
}

async function inspect(t: HostTransport): Promise<{ labels: Record<string, string>; status: string } | null> {
  const r = await t.exec(kbInspectCommand(), { timeoutMs: 15_000 });
  if (r.code !== 0) return null;
  const [labels, status] = r.stdout.trim().split('\t');
  try {
    return {
      labels: (JSON.parse(labels ?? '{}') as Record<string, string> | null) ?? {},
      status: status ?? 'unknown',
    };
  } catch {
    return { labels: {}, status: status ?? 'unknown' };
  }
}
