/**
 * Hosts: the inventory, pinned keys, facts and checks, ssh-config import, each host's audit trail.
 */
import { z } from 'zod';
import {
  AddressSchema,
  DomainSchema,
  Empty,
  ErrorInfoSchema,
  FingerprintSchema,
  HostNameSchema,
  JumpChainSchema,
  LIMITS,
  LabelsSchema,
  PATH_TOO_LONG,
  PortSchema,
  RegistryMirrorSchema,
  SshTargetSchema,
  defineSlice,
} from './kernel';

// ---------- views returned to the renderer ----------

/** How this console may use a host: the operator account, or the support account's door alone. */
export const HostRoleSchema = z.enum(['operator', 'support']);
export type HostRole = z.infer<typeof HostRoleSchema>;

export const DiskSchema = z.object({
  mount: z.string(),
  filesystem: z.string(),
  sizeBytes: z.number(),
  usedBytes: z.number(),
  availableBytes: z.number(),
});

export const HostFactsSchema = z.object({
  os: z.object({ id: z.string(), name: z.string(), version: z.string() }),
  kernel: z.string(),
  arch: z.string(),
  cpus: z.number(),
  memoryBytes: z.number(),
  memoryAvailableBytes: z.number(),
  disks: z.array(DiskSchema),
  load: z.tuple([z.number(), z.number(), z.number()]),
  uptimeSeconds: z.number(),
  docker: z.object({ version: z.string(), apiVersion: z.string() }).nullable(),
  compose: z.object({ version: z.string(), v2: z.boolean() }).nullable(),
});
export type HostFacts = z.infer<typeof HostFactsSchema>;

export const ProblemSchema = z.object({
  /** Stable machine code, e.g. `docker.missing`. */
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  /** One line that says how to fix it. */
  fix: z.string(),
});
export type Problem = z.infer<typeof ProblemSchema>;

/**
 * `key-unconfirmed`: the host was imported without a key the operator had trusted before (no
 * known_hosts entry); it is not connected to until its fingerprint is confirmed (hosts.repin).
 */
export const HostStatusSchema = z.enum([
  'unknown',
  'ok',
  'warning',
  'error',
  'unreachable',
  'key-changed',
  'key-unconfirmed',
]);
export type HostStatus = z.infer<typeof HostStatusSchema>;

export const HostCheckSchema = z.object({
  host: z.string(),
  checkedAt: z.string(),
  status: HostStatusSchema,
  latencyMs: z.number().nullable(),
  keyStatus: z.enum(['ok', 'changed', 'unconfirmed', 'not-applicable']),
  facts: HostFactsSchema.nullable(),
  problems: z.array(ProblemSchema),
  error: ErrorInfoSchema.nullable(),
});
export type HostCheck = z.infer<typeof HostCheckSchema>;

export const HostViewSchema = z.object({
  name: z.string(),
  kind: z.enum(['ssh', 'local']),
  address: z.string(),
  port: z.number(),
  user: z.string(),
  authKind: z.enum(['agent', 'keyFile', 'storedKey', 'none']),
  /** Pinned host-key fingerprint (ssh hosts). */
  fingerprint: z.string().nullable(),
  keyAlgorithm: z.string().nullable(),
  jump: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
  baseDomain: z.string().nullable(),
  registryMirror: z.string().nullable(),
  /** `support`: this console reaches only the host agent's read-only support door (issue 17). */
  role: HostRoleSchema,
  addedAt: z.string(),
  lastCheck: HostCheckSchema.nullable(),
});
export type HostView = z.infer<typeof HostViewSchema>;

export const ProbeResultSchema = z.object({
  address: z.string(),
  port: z.number(),
  fingerprint: z.string(),
  algorithm: z.string(),
  /** `new`: never seen; `match`: already pinned with this key; `changed`: pinned with another key. */
  known: z.enum(['new', 'match', 'changed']),
  pinnedFingerprint: z.string().nullable(),
  /**
   * What the operator's OpenSSH `known_hosts` says about this key: `match` (trusted there before,
   * `source` is `file:line`), `mismatch` (known_hosts has other keys for this address),
   * `revoked` (marked @revoked there), `absent`.
   */
  knownHosts: z.object({
    status: z.enum(['match', 'mismatch', 'revoked', 'absent']),
    source: z.string().nullable(),
  }),
});
export type ProbeResult = z.infer<typeof ProbeResultSchema>;

/** One `Host` of an OpenSSH client config, as it would be imported. */
export const ImportCandidateSchema = z.object({
  /** The alias on the `Host` line. */
  alias: z.string(),
  /** The inventory name it gets (the alias, made a valid host name). */
  name: z.string(),
  address: z.string(),
  port: z.number(),
  user: z.string(),
  authKind: z.enum(['agent', 'keyFile']),
  /** The first `IdentityFile` that exists, else null (then ssh-agent). */
  keyFile: z.string().nullable(),
  /** The jump chain as inventory names (hosts already there or imported in the same go). */
  jump: z.array(z.string()),
  /** The key pinned from known_hosts, when there is exactly one usable trusted key. */
  knownKey: z.object({ fingerprint: z.string(), algorithm: z.string(), source: z.string() }).nullable(),
  /** `add`: will be added; `exists`: a host with that name or address is in the inventory; `skip`: cannot be imported. */
  action: z.enum(['add', 'exists', 'skip']),
  /** Why `exists`/`skip`, or what the operator should know for `add` (e.g. key to confirm). */
  note: z.string().nullable(),
  /** `file:line` of the `Host` line. */
  source: z.string(),
});
export type ImportCandidate = z.infer<typeof ImportCandidateSchema>;

export const ImportPreviewSchema = z.object({
  configPath: z.string(),
  knownHostsPaths: z.array(z.string()),
  candidates: z.array(ImportCandidateSchema),
  warnings: z.array(z.string()),
});
export type ImportPreview = z.infer<typeof ImportPreviewSchema>;

const LocalPathSchema = z
  .string()
  .max(LIMITS.path, PATH_TOO_LONG)
  .trim()
  .min(1, 'The path is empty: give a file path such as ~/.ssh/config.')
  .regex(/^[^\0\n\r]*$/, 'A file path is one line.');

const ImportSourceSchema = z.object({
  /** Default `~/.ssh/config`. */
  configPath: LocalPathSchema.optional(),
  /** Default `~/.ssh/known_hosts` and `~/.ssh/known_hosts2`. */
  knownHostsPath: LocalPathSchema.optional(),
});

/** One record of a host's audit trail (kept on the host, seen by every operator's console). */
export const AuditEntrySchema = z.object({
  /** When the console did it (its clock); `hostAt` is the host's. */
  at: z.string(),
  /**
   * Who did it, as the host established it: the name bound to the SSH key that logged in (`proof:
   * key`), a person the host's agent served (`host`), or only the Unix account (`none`: sshd's
   * ExposeAuthInfo is off). Records of earlier consoles (`legacy`) carry the name they claimed.
   */
  actor: z.string(),
  /** What the console said it was (`user@machine`), kept beside the actor, never instead of it. */
  claimed: z.string().optional(),
  proof: z.enum(['key', 'host', 'none']).optional(),
  /** e.g. `host.repin`, `host.add`. */
  action: z.string(),
  /** What it was done to, e.g. `host:almaty-1`. */
  subject: z.string(),
  details: z.record(z.string(), z.unknown()),
  /** Its place in the hash chain (absent for records of the plain trail before it). */
  seq: z.number().int().optional(),
  hostAt: z.string().optional(),
  /** Written by an earlier console to the plain trail, then carried into the chain as it was. */
  legacy: z.boolean().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const hostsSlice = defineSlice('hosts', {
  'hosts.list': { effect: 'read', input: Empty, output: z.array(HostViewSchema) },
  'hosts.get': { effect: 'read', input: z.object({ name: HostNameSchema }).strict(), output: HostViewSchema },
  /** Connect far enough to read the host key; pins nothing, stores nothing. */
  'hosts.probe': {
    effect: 'read',
    input: z.object({ address: AddressSchema, port: PortSchema.default(22), jump: JumpChainSchema }).strict(),
    output: ProbeResultSchema,
  },
  /** Connect, verify the key equals the fingerprint the operator confirmed, authenticate, pin, store. */
  'hosts.add': {
    effect: 'write',
    input: SshTargetSchema.extend({
      name: HostNameSchema,
      acceptFingerprint: FingerprintSchema,
      jump: JumpChainSchema,
      labels: LabelsSchema.default({}),
      baseDomain: DomainSchema.nullable().default(null),
      registryMirror: RegistryMirrorSchema.nullable().default(null),
      role: HostRoleSchema.default('operator'),
    }).strict(),
    output: HostViewSchema,
  },
  /**
   * The operator verified a host's key: pin it (in place of the old one, or as the first pin of an
   * imported host). Refused unless the host offers exactly that key. Written to the host's audit trail.
   */
  'hosts.repin': {
    effect: 'danger',
    input: z.object({ name: HostNameSchema, acceptFingerprint: FingerprintSchema }).strict(),
    output: HostViewSchema.extend({
      /** Null when the audit line was written on the host; else why it could not be. */
      auditError: ErrorInfoSchema.nullable(),
    }),
  },
  /** Read an OpenSSH client config (and known_hosts) and say what importing it would do. Changes nothing. */
  'hosts.importPreview': { effect: 'read', input: ImportSourceSchema.strict(), output: ImportPreviewSchema },
  /**
   * Import the chosen aliases (their jump hosts come along). Keys come only from known_hosts;
   * a host without one is added with its key unconfirmed. Nothing is connected to.
   */
  'hosts.import': {
    effect: 'write',
    input: ImportSourceSchema.extend({
      aliases: z.array(z.string().min(1).max(255)).min(1, 'Choose at least one host to import.').max(500),
    }).strict(),
    output: z.object({
      added: z.array(HostViewSchema),
      skipped: z.array(z.object({ alias: z.string(), reason: z.string() })),
    }),
  },
  /** The newest lines of a host's audit trail (kept on the host), newest first. */
  'hosts.audit': {
    effect: 'read',
    input: z.object({ name: HostNameSchema, limit: z.number().int().min(1).max(1000).default(100) }).strict(),
    output: z.array(AuditEntrySchema),
  },
  /** Add this machine (local Docker socket, no SSH). */
  'hosts.addLocal': {
    effect: 'write',
    input: z.object({ name: HostNameSchema.default('local') }).strict(),
    output: HostViewSchema,
  },
  'hosts.check': {
    effect: 'read',
    input: z.object({ name: HostNameSchema }).strict(),
    output: HostCheckSchema,
  },
  'hosts.forget': {
    effect: 'write',
    input: z.object({ name: HostNameSchema }).strict(),
    output: z.object({ removed: z.boolean() }),
  },
});
