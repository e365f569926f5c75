/**
 * Fleet: operations over many tenants at once (the rolling update).
 */
import { z } from 'zod';
import { HostNameSchema, defineSlice } from './kernel';
import { ModuleNameSchema, SlugSchema } from './tenants';

export const FleetSelectionSchema = z
  .object({
    host: HostNameSchema.optional(),
    /** A host label, key=value. */
    label: z
      .string()
      .max(200, 'A label is key=value.')
      .regex(/^[A-Za-z0-9._-]+=[A-Za-z0-9._ -]*$/, 'A label is key=value.')
      .optional(),
    slugs: z.array(SlugSchema).max(500).optional(),
  })
  .strict();

export const FleetOutcomeSchema = z.object({
  host: z.string(),
  slug: z.string(),
  outcome: z.enum(['updated', 'rolled-back', 'failed', 'skipped']),
  backupId: z.string().nullable(),
  detail: z.string(),
  seconds: z.number().nonnegative(),
});

export const fleetSlice = defineSlice('fleet', {
  /** Update many tenants, backup first and rollback each, with a concurrency limit; progress per tenant. */
  'fleet.update': {
    effect: 'danger',
    input: z
      .object({
        selection: FleetSelectionSchema,
        /** What to change: the image catalog's current images and template (always), plus modules. */
        addModules: z.array(ModuleNameSchema).max(50).default([]),
        removeModules: z.array(ModuleNameSchema).max(50).default([]),
        concurrency: z.number().int().min(1).max(16).default(1),
        stopAfterFailures: z.number().int().min(1).max(1000).default(1),
        opId: z.string().max(80).optional(),
      })
      .strict(),
    output: z.object({
      outcomes: z.array(FleetOutcomeSchema),
      stopped: z.boolean(),
    }),
  },
});
