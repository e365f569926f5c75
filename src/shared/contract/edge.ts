/**
 * The edge: the host's Traefik in front of every tenant (ports 80/443, Let's Encrypt, the
 * dashboard behind basic auth).
 */
import { z } from 'zod';
import { defineSlice, DomainSchema, HostNameSchema, PortSchema } from './kernel';

/** What the host's `<state>/edge/edge.json` says about the installed edge. */
export const EdgeInfoSchema = z.object({
  baseDomain: z.string(),
  httpPort: z.number().int(),
  httpsPort: z.number().int(),
  image: z.string(),
  dashboardUser: z.string(),
  installedAt: z.string(),
});
export type EdgeInfo = z.infer<typeof EdgeInfoSchema>;

export const EdgeStatusSchema = z.object({
  host: z.string(),
  installed: EdgeInfoSchema.nullable(),
  running: z.boolean(),
  health: z.string(),
});
export type EdgeStatus = z.infer<typeof EdgeStatusSchema>;

export const edgeSlice = defineSlice('edge', {
  /** Install or upgrade the edge; the dashboard password is generated and returned once. */
  'edge.install': {
    effect: 'write',
    input: z
      .object({
        host: HostNameSchema,
        acmeEmail: z.email('Give an e-mail address.').max(254, 'Give an e-mail address.'),
        baseDomain: DomainSchema.optional(),
        httpPort: PortSchema.default(80),
        httpsPort: PortSchema.default(443),
        /** Re-render and restart even when it already runs as asked (a new dashboard password). */
        force: z.boolean().default(false),
      })
      .strict(),
    output: z.object({ status: EdgeStatusSchema, dashboardPassword: z.string().nullable() }),
  },
  'edge.status': {
    effect: 'read',
    input: z.object({ host: HostNameSchema }).strict(),
    output: EdgeStatusSchema,
  },
});
