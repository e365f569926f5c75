import { posix } from 'node:path';
import { CoreError } from '../errors';
import { appendAudit } from '../hosts/audit';
import type { HostService } from '../hosts/service';
import {
  HostCatalogSchema,
  IMAGE_KEYS,
  ImageRefSchema,
  parseHostCatalog,
  resolveImages,
  type ImageKey,
  type ResolvedImages,
} from './catalog';
import { mkdirHost, readHostFile, writeHostFile } from './hostfs';

/** A host's image catalog (`<state>/catalog.json` on the host): overrides of single images. */
export class ImagesService {
  constructor(private readonly hosts: HostService) {}

  async show(hostName: string): Promise<ResolvedImages> {
    const host = await this.hosts.get(hostName);
    const t = await this.hosts.transport(hostName);
    const text = await readHostFile(t, posix.join(host.stateDir, 'catalog.json'));
    return resolveImages(host, parseHostCatalog(text, `${hostName}:${host.stateDir}/catalog.json`));
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
