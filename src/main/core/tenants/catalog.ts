import { z } from 'zod';
import { ImageRefSchema } from '../../../shared/contract';
import { parseJsonAs } from '../errors';

/**
 * The image catalog: every image a tenant stack or the edge runs, pinned by version. A host may
 * override single images (its `catalog.json` in the state folder: a site's own builds, or the
 * test host's images) and may rewrite every image to its registry mirror (air-gapped sites).
 */
export const IMAGE_KEYS = ['n8n', 'postgres', 'qdrant', 'redis', 'traefik'] as const;
export type ImageKey = (typeof IMAGE_KEYS)[number];

export const PRODUCTION_IMAGES: Record<ImageKey, string> = {
  n8n: 'docker.n8n.io/n8nio/n8n:1.123.5',
  postgres: 'postgres:15.10-bookworm',
  // The unprivileged variant runs as uid 1000 instead of root.
  qdrant: 'qdrant/qdrant:v1.13.6-unprivileged',
  redis: 'redis:7.4.2-bookworm',
  traefik: 'traefik:v3.3.5',
};

export { ImageRefSchema };

export const HostCatalogSchema = z
  .object({
    /** Per-image overrides, used as given (not rewritten to the mirror). */
    images: z.partialRecord(z.enum(IMAGE_KEYS), ImageRefSchema).default({}),
  })
  .strict();
export type HostCatalog = z.infer<typeof HostCatalogSchema>;

/** `docker.io` official images live under `library/`; any registry host is replaced by the mirror. */
export function mirrorImage(ref: string, mirror: string): string {
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let path = hasRegistry ? ref.slice(slash + 1) : ref;
  if (!path.includes('/')) path = `library/${path}`;
  return `${mirror.replace(/\/+$/, '')}/${path}`;
}

export interface ResolvedImages {
  images: Record<ImageKey, string>;
  /** Where each came from, for status and the operator. */
  origin: Record<ImageKey, 'catalog' | 'mirror' | 'host'>;
}

export function resolveImages(host: { registryMirror: string | null }, catalog: HostCatalog): ResolvedImages {
  const images = {} as Record<ImageKey, string>;
  const origin = {} as ResolvedImages['origin'];
  for (const key of IMAGE_KEYS) {
    const override = catalog.images[key];
    if (override) {
      images[key] = override;
      origin[key] = 'host';
    } else if (host.registryMirror) {
      images[key] = mirrorImage(PRODUCTION_IMAGES[key], host.registryMirror);
      origin[key] = 'mirror';
    } else {
      images[key] = PRODUCTION_IMAGES[key];
      origin[key] = 'catalog';
    }
  }
  return { images, origin };
}

export function parseHostCatalog(text: string | null, where: string): HostCatalog {
  if (text === null || text.trim() === '') return { images: {} };
  return parseJsonAs(HostCatalogSchema, text, where, {
    notJson: { code: 'catalog.invalid', hint: 'Fix or remove the file on the host.' },
    invalid: {
      code: 'catalog.invalid',
      hint: 'Fix the file on the host, or set images with `truffles host images`.',
    },
  });
}
