/**
 * Images: a host's image catalog (pinned production images, its registry mirror, its overrides)
 * and shipping images to a host that has no registry.
 */
import { z } from 'zod';
import { defineSlice, HostNameSchema, LocalFileSchema } from './kernel';
import { OpIdSchema } from './ops';

export const ResolvedImagesSchema = z.object({
  images: z.record(z.string(), z.string()),
  /** Where each image came from: the console's catalog, the host's mirror, or the host's own override. */
  origin: z.record(z.string(), z.enum(['catalog', 'mirror', 'host'])),
});

export const imagesSlice = defineSlice('images', {
  'images.show': {
    effect: 'read',
    input: z.object({ host: HostNameSchema }).strict(),
    output: ResolvedImagesSchema,
  },
  /** Override single images of the host's catalog (null drops an override). Audited. */
  'images.set': {
    effect: 'write',
    input: z
      .object({
        host: HostNameSchema,
        changes: z
          .record(z.string().max(64), z.string().max(512).nullable())
          .refine((r) => Object.keys(r).length <= 16, 'At most 16 images.'),
      })
      .strict(),
    output: ResolvedImagesSchema,
  },
  /**
   * Load images into the host: a `docker save` tarball on this machine (`file`), or images from
   * this machine's Docker (`refs`), streamed over SSH into `docker load`; bytes sent as `log` events.
   * Cancellable by its `opId` (ops.cancel).
   */
  'images.ship': {
    effect: 'write',
    input: z.union([
      z.object({ host: HostNameSchema, file: LocalFileSchema, opId: OpIdSchema.optional() }).strict(),
      z
        .object({
          host: HostNameSchema,
          refs: z.array(z.string().max(512)).min(1).max(100),
          opId: OpIdSchema.optional(),
        })
        .strict(),
    ]),
    output: z.object({ host: z.string(), bytes: z.number(), loaded: z.array(z.string()) }),
  },
});
