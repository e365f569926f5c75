import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { localDockerSocket } from '../hosts/transport';
import { CoreError } from '../errors';
import { dockerLoadCommand } from './commands';
import { appendAudit } from '../audit/trail';
import type { HostService } from '../hosts/service';
import {
  HostCatalogSchema,
  IMAGE_KEYS,
  ImageRefSchema,
  parseHostCatalog,
  resolveImages,
  type ImageKey,
  type ResolvedImages,
} from '../tenants/catalog';
import { mkdirHost, readHostFile, writeHostFile } from '../tenants/hostfs';

/** A host's image catalog (`<state>/catalog.json` on the host): overrides of single images. */
export class ImagesService {
  constructor(private readonly hosts: HostService) {}

  async show(hostName: string): Promise<ResolvedImages> {
    const host = await this.hosts.get(hostName);
    const t = await this.hosts.transport(hostName);
    const text = await readHostFile(t, posix.join(host.stateDir, 'catalog.json'));
    return resolveImages(host, parseHostCatalog(text, `${hostName}:${host.stateDir}/catalog.json`));
  }

  /**
   * Ship images to a host: from a `docker save` tarball on this machine (`file`), or straight
   * from this machine's Docker (`refs`).
   */
  async ship(
    hostName: string,
    from: { file: string } | { refs: string[] },
    onBytes?: (n: number) => void,
    signal?: AbortSignal,
  ): Promise<ShipResult> {
    const host = await this.hosts.get(hostName);
    let source: Readable;
    if ('file' in from) {
      source = createReadStream(from.file);
      await new Promise<void>((resolve, reject) => {
        source.once('open', () => resolve());
        source.once('error', (e: NodeJS.ErrnoException) =>
          reject(
            new CoreError(
              'images.file',
              `Cannot read ${from.file} (${e.code ?? e.message}).`,
              'Give the path of a `docker save` tarball.',
            ),
          ),
        );
      });
    } else {
      for (const ref of from.refs)
        if (!ImageRefSchema.safeParse(ref).success)
          throw new CoreError(
            'images.ref',
            `'${ref}' is not an image reference.`,
            'Give e.g. postgres:15.10.',
          );
      const local = new Docker({ socketPath: localDockerSocket() });
      try {
        // GET /images/get?names=…: one tarball of all of them (dockerode has it, its types do not).
        const getImages = (
          local as unknown as { getImages(o: { names: string[] }): Promise<Readable> }
        ).getImages.bind(local);
        source = await getImages({ names: from.refs });
      } catch (err) {
        throw new CoreError(
          'images.local',
          `This machine's Docker cannot save ${from.refs.join(', ')}: ${(err as Error).message}`,
          'Pull or build the images here first, or ship a tarball with --file.',
        );
      }
    }
    const t = await this.hosts.transport(hostName);
    const r = await shipImages(t, hostName, source, onBytes, signal);
    await appendAudit(t, host, {
      action: 'images.ship',
      subject: `host:${hostName}`,
      details: { loaded: r.loaded, bytes: r.bytes },
    }).catch(() => undefined);
    return r;
  }

  /** Set (ref) or clear (null) overrides; the others stay. */
  async set(hostName: string, changes: Partial<Record<string, string | null>>): Promise<ResolvedImages> {
    const host = await this.hosts.get(hostName);
    for (const [key, ref] of Object.entries(changes)) {
      if (!(IMAGE_KEYS as readonly string[]).includes(key))
        throw new CoreError(
          'images.key',
          `'${key}' is not an image of the catalog.`,
          `Use one of: ${IMAGE_KEYS.join(', ')}.`,
        );
      if (ref !== null && ref !== undefined && !ImageRefSchema.safeParse(ref).success)
        throw new CoreError(
          'images.ref',
          `'${ref}' is not an image reference.`,
          'Give e.g. registry.example.kz/postgres:15.10.',
        );
    }
    const t = await this.hosts.transport(hostName);
    const path = posix.join(host.stateDir, 'catalog.json');
    const current = parseHostCatalog(await readHostFile(t, path), `${hostName}:${path}`);
    const images = { ...current.images };
    for (const [key, ref] of Object.entries(changes)) {
      if (ref === null || ref === undefined) delete images[key as ImageKey];
      else images[key as ImageKey] = ref;
    }
    const next = HostCatalogSchema.parse({ images });
    await mkdirHost(t, host.stateDir, '0750');
    await writeHostFile(t, path, JSON.stringify(next, null, 2) + '\n', 0o640);
    await appendAudit(t, host, {
      action: 'images.set',
      subject: `host:${hostName}`,
      details: { changes },
    }).catch(() => undefined);
    return resolveImages(host, next);
  }
}

export interface ShipResult {
  host: string;
  bytes: number;
  /** What `docker load` reported, e.g. `Loaded image: registry/x:1`. */
  loaded: string[];
}

/**
 * Ship images to a host that has no registry: a `docker save` tarball (a file the operator
 * brought, or made from this machine's Docker) streamed over the host's SSH connection into
 * `docker load`. Nothing is buffered in memory or written to the host's disk first.
 */
export async function shipImages(
  transport: { exec: HostTransportExec },
  hostName: string,
  source: Readable,
  onBytes?: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<ShipResult> {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb): void {
      bytes += chunk.length;
      onBytes?.(bytes);
      cb(null, chunk);
    },
  });
  source.on('error', (e) => counter.destroy(e));
  source.pipe(counter);
  // Cancelled: the host's docker load is stopped by exec; the file here is closed too.
  const closeSource = (): void => void source.destroy();
  signal?.addEventListener('abort', closeSource, { once: true });
  const r = await transport
    .exec(dockerLoadCommand(), { stdin: counter, timeoutMs: 60 * 60_000, ...(signal ? { signal } : {}) })
    .finally(() => signal?.removeEventListener('abort', closeSource));
  if (r.code !== 0)
    throw new CoreError(
      'images.load',
      `docker load on ${hostName} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${String(r.code)}`}`,
      r.stderr.includes('no space')
        ? 'Free disk space on the host.'
        : 'Check that the file is a `docker save` tarball.',
    );
  return {
    host: hostName,
    bytes,
    loaded: r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('Loaded image')),
  };
}

type HostTransportExec = (
  argv: readonly string[],
  options?: { stdin?: Readable; timeoutMs?: number; signal?: AbortSignal },
) => Promise<{ code: number | null; stdout: string; stderr: string }>;
