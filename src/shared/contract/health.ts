/**
 * Health: the host agent (install, update, status) and what it sees — every container of ours
 * with its state, health and stats, the host's CPU, memory, load and disks, and their history.
 * The schemas mirror the agent protocol's types (src/shared/agent/protocol.ts): what an agent
 * answers is checked against them before the console uses it.
 */
import { z } from 'zod';
import type { ContainerHealth, HistorySeries, HostHealth, HostSnapshot } from '../agent/protocol';
import { defineSlice, Empty, HostNameSchema, ImageRefSchema } from './kernel';
import { SlugSchema } from './tenants';

const Iso = z.string().max(64);
const Count = z.number().finite().nonnegative();

export const ContainerStatsSchema = z.object({
  at: Iso,
  cpuPercent: Count,
  memBytes: Count,
  memLimitBytes: Count,
  netRxBytes: Count,
  netTxBytes: Count,
  blkReadBytes: Count,
  blkWriteBytes: Count,
});

export const ContainerHealthSchema = z.object({
  id: z.string().max(128),
  name: z.string().max(256),
  tenant: z.string().max(64).nullable(),
  service: z.string().max(256),
  image: z.string().max(512),
  state: z.enum(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']),
  health: z.enum(['healthy', 'unhealthy', 'starting', 'none']),
  healthOutput: z.string().max(4096).nullable(),
  failingStreak: Count,
  exitCode: z.number().int().nullable(),
  oomKilled: z.boolean(),
  restarts: Count,
  startedAt: Iso.nullable(),
  finishedAt: Iso.nullable(),
  changedAt: Iso,
  stats: ContainerStatsSchema.nullable(),
}) satisfies z.ZodType<ContainerHealth>;

export const HostHealthSchema = z.object({
  cores: Count,
  cpuPercent: Count.nullable(),
  memTotalBytes: Count,
  memAvailableBytes: Count,
  load: z.tuple([Count, Count, Count]),
  uptimeSeconds: Count,
  disks: z
    .array(z.object({ mount: z.string().max(4096), totalBytes: Count, usedBytes: Count, availBytes: Count }))
    .max(256),
}) satisfies z.ZodType<HostHealth>;

export const HostSnapshotSchema = z.object({
  takenAt: Iso,
  agent: z.object({
    version: z.string().max(64),
    protocol: z.number().int(),
    startedAt: Iso,
    rssBytes: Count,
    anonBytes: Count.optional(),
    cpuSeconds: Count,
    eventsConnected: z.boolean(),
    lastEventAt: Iso.nullable(),
    reconciledAt: Iso.nullable(),
    lastSweepAt: Iso.nullable(),
    lastSweepMs: Count.nullable(),
    statsSource: z.enum(['cgroup-v1', 'cgroup-v2', 'docker-api', 'mixed']).optional(),
  }),
  host: HostHealthSchema.nullable(),
  containers: z.array(ContainerHealthSchema).max(10_000),
}) satisfies z.ZodType<HostSnapshot>;

export const HistorySeriesSchema = z.object({
  step: z.number().int().positive(),
  fields: z.array(z.string().max(64)).max(32),
  points: z.array(z.tuple([z.number()], z.number().nullable())).max(10_000),
}) as z.ZodType<HistorySeries>;

/** What the console knows of a host's agent: the container that runs it and what it says of itself. */
export const AgentStatusSchema = z.object({
  host: z.string(),
  /** installed: the container exists; running: and runs; answering: and greets with our protocol. */
  state: z.enum(['missing', 'stopped', 'running', 'answering', 'outdated', 'incompatible']),
  /** The version its container is labelled with, and what it says in its greeting. */
  version: z.string().nullable(),
  protocol: z.number().int().nullable(),
  /** The console's agent: an `outdated` agent answers, but is an older build than this. */
  expectedVersion: z.string(),
  bundle: z.string().nullable(),
  expectedBundle: z.string().nullable(),
  image: z.string().nullable(),
  startedAt: z.string().nullable(),
  restarts: z.number().int().nonnegative(),
  rssBytes: z.number().nonnegative().nullable(),
  cpuSeconds: z.number().nonnegative().nullable(),
  eventsConnected: z.boolean().nullable(),
  containers: z.number().int().nonnegative().nullable(),
  /** How it reads container stats: cgroup files (costs Docker nothing) or Docker's stats API. */
  statsSource: z.enum(['cgroup-v1', 'cgroup-v2', 'docker-api', 'mixed']).nullable(),
  /** Why it is not answering, in words, when it is not. */
  problem: z.string().nullable(),
});
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

export const FleetHealthSchema = z.object({
  takenAt: z.string(),
  /** This console's agent version: a host whose agent reports another is shown as outdated. */
  agentVersion: z.string(),
  hosts: z.array(
    z.object({
      host: z.string(),
      snapshot: HostSnapshotSchema.nullable(),
      /** Why this host has no snapshot: unreachable, no agent, an incompatible agent… */
      error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).nullable(),
      ms: z.number().nonnegative(),
    }),
  ),
});
export type FleetHealth = z.infer<typeof FleetHealthSchema>;

const AgentInstallInput = z
  .object({
    host: HostNameSchema,
    /** The image whose Node.js runs the agent; default: the host's n8n image (Node 22), already there. */
    runtimeImage: ImageRefSchema.optional(),
  })
  .strict();

/** One log line: when (RFC 3339 with nanoseconds, Docker's), which service, which stream, the text. */
export const LogLineSchema = z.object({
  t: z.string().max(40),
  service: z.string().max(256),
  stream: z.enum(['stdout', 'stderr']),
  text: z.string().max(1024 * 1024),
});
export type LogLine = z.infer<typeof LogLineSchema>;

export const LogsFollowInputSchema = z
  .object({
    host: HostNameSchema,
    slug: SlugSchema,
    /** One service (postgres, n8n …); none: the tenant's services merged. */
    service: z
      .string()
      .max(64)
      .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'A service is a compose service name.')
      .optional(),
    /** Lines since this moment (RFC 3339) or this long ago (`10m`, `2h`, `1d`). */
    since: z
      .string()
      .max(40)
      .regex(
        /^(\d+[smhd]|\d{4}-\d{2}-\d{2}T[0-9:.]+Z)$/,
        'Give a moment (2026-12-06T07:00:00Z) or a span (10m, 2h, 1d).',
      )
      .optional(),
    until: z.string().max(40).optional(),
    /** How many of the last lines to start with (per container), at most 5000; default 200. */
    tail: z.number().int().min(0).max(5000).default(200),
    /** Keep following new lines (the default), or stop at the end of what is there. */
    follow: z.boolean().default(true),
  })
  .strict();

export const healthSlice = defineSlice('health', {
  /** Install the agent on a host, or leave it as it is when this console's agent already runs. */
  'agent.install': { effect: 'write', input: AgentInstallInput, output: AgentStatusSchema },
  /** Replace the host's agent with this console's (history kept). */
  'agent.update': { effect: 'write', input: AgentInstallInput, output: AgentStatusSchema },
  'agent.status': {
    effect: 'read',
    input: z.object({ host: HostNameSchema }).strict(),
    output: AgentStatusSchema,
  },
  /** One host's snapshot from its agent: every container of ours, the host's resources. */
  'health.host': {
    effect: 'read',
    input: z.object({ host: HostNameSchema }).strict(),
    output: HostSnapshotSchema,
  },
  /** Every host's snapshot, one agent call per host, all at once. */
  'health.fleet': { effect: 'read', input: Empty, output: FleetHealthSchema },
  /** A tenant's containers, found on whichever host holds it. */
  'health.tenant': {
    effect: 'read',
    input: z.object({ slug: SlugSchema, host: HostNameSchema.optional() }).strict(),
    output: z.object({ host: z.string(), containers: z.array(ContainerHealthSchema) }),
  },
  'health.history': {
    effect: 'read',
    input: z
      .object({
        host: HostNameSchema,
        range: z.enum(['1h', '24h']).default('1h'),
        /** A container's name; none: the host's series. */
        container: z.string().max(256).optional(),
      })
      .strict(),
    output: HistorySeriesSchema,
  },
  /**
   * Follow a tenant's logs (one service, or all merged): lines arrive as `logs.lines` events
   * under the returned id, in batches, in order per service. The follow ends with `logs.stop`,
   * at the end of the lines when not following, or when the window or socket that asked closes.
   * After a dropped connection it resumes from the last line's moment, with no gap and no
   * duplicate.
   */
  'logs.follow': {
    effect: 'read',
    input: LogsFollowInputSchema,
    output: z.object({ streamId: z.string(), services: z.array(z.string()) }),
  },
  'logs.stop': {
    effect: 'read',
    input: z.object({ streamId: z.string().max(64) }).strict(),
    output: z.object({ stopped: z.boolean() }),
  },
});
