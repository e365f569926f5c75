/**
 * A tenant's files on their way from this machine to its host (the knowledge-base feature's
 * uploads): streamed into the worker's incoming folder through the host's one transport, hashed
 * on the way, never held whole in memory, then handed to the worker as a job. From paths on this
 * disk (the CLI) or in parts (the renderer reads a dropped file 1 MiB at a time).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, posix } from 'node:path';
import { PassThrough } from 'node:stream';
import type { AppEvent } from '../../../shared/contract';
import type { KbJob } from '../../../shared/kb/protocol';
import { KB_EXTENSIONS, KB_MAX_FILE_BYTES } from '../../../shared/kb/protocol';
import { CoreError } from '../errors';
import type { HostTransport } from '../hosts/transport';
import { mkdirHost } from '../tenants/hostfs';
import { kbIncoming } from './commands';
import type { KbClient } from './service';

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

export interface UploadDeps {
  forTenant(slug: string, hostName?: string): Promise<{ host: string; t: HostTransport; stateDir: string }>;
  client(host: string): Promise<KbClient>;
  emit(e: AppEvent): void;
}

export class KbUploads {
  private readonly open_ = new Map<string, OpenUpload>();

  constructor(private readonly deps: UploadDeps) {}

  /** Upload files from this machine (the CLI, the desktop app): each streamed, then queued. */
  async fromPaths(slug: string, paths: string[], by: string, hostName?: string): Promise<KbJob[]> {
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
      const { id } = await this.open(slug, basename(f.path), f.size, by, hostName);
      const up = this.open_.get(id)!;
      try {
        for await (const chunk of createReadStream(f.path)) await this.write(up, chunk as Buffer);
      } catch (err) {
        this.abort(id);
        throw err;
      }
      jobs.push(await this.finish(id));
    }
    return jobs;
  }

  /** Start an upload whose bytes come in parts (the renderer reads a dropped file piece by piece). */
  async open(
    slug: string,
    filename: string,
    sizeBytes: number,
    by: string,
    hostName?: string,
  ): Promise<{ id: string; host: string }> {
    checkFile(filename, sizeBytes);
    const { host, t, stateDir } = await this.deps.forTenant(slug, hostName);
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
    this.open_.set(id, up);
    return { id, host };
  }

  async part(id: string, offset: number, data: Buffer): Promise<{ received: number }> {
    const up = this.open_.get(id);
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

  async finish(id: string, sha256?: string): Promise<KbJob> {
    const up = this.open_.get(id);
    if (!up) throw new CoreError('kb.upload-unknown', 'This upload is not open.', 'Upload the file again.');
    this.open_.delete(id);
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
    const client = await this.deps.client(up.host);
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
    this.deps.emit({ type: 'kb.progress', host: up.host, tenant: up.slug, jobs: [job] });
    return job;
  }

  abort(id: string): void {
    const up = this.open_.get(id);
    if (!up) return;
    this.open_.delete(id);
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

  /** Drop every upload in progress (the console closes). */
  close(): void {
    for (const id of [...this.open_.keys()]) this.abort(id);
  }
}
