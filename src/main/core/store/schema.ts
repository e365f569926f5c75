import { z } from 'zod';
import { HostCheckSchema, LanguageSchema } from '../../../shared/contract';
import { knownHostId, pinIdsUsedBy } from '../ssh/hostkey';

/** An encrypted secret as it lies on disk: ciphertext plus the parameters its provider needs. */
export const EncryptedSecretSchema = z
  .object({
    provider: z.enum(['passphrase', 'safeStorage']),
    data: z.string(),
  })
  .catchall(z.union([z.string(), z.number()]));
export type EncryptedSecret = z.infer<typeof EncryptedSecretSchema>;

export const HostAuthRecordSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('agent') }),
  z.object({ kind: z.literal('keyFile'), path: z.string(), passphraseSecret: z.string().optional() }),
  z.object({ kind: z.literal('storedKey'), keySecret: z.string(), passphraseSecret: z.string().optional() }),
  z.object({ kind: z.literal('none') }),
]);
export type HostAuthRecord = z.infer<typeof HostAuthRecordSchema>;

export const HostRecordSchema = z.object({
  name: z.string(),
  kind: z.enum(['ssh', 'local']),
  address: z.string(),
  port: z.number().int(),
  user: z.string(),
  auth: HostAuthRecordSchema,
  dockerSocket: z.string(),
  /** ProxyJump chain: names of other hosts in the inventory, first hop first; each keeps its own pinned key. */
  jump: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
  /** Tenants on this host get `<slug>.<baseDomain>`. */
  baseDomain: z.string().nullable(),
  /** Private registry mirror for air-gapped sites (image names are rewritten to it). */
  registryMirror: z.string().nullable(),
  /** Where the platform keeps its state on the host (tenants, locks, the audit trail). */
  stateDir: z.string().default('/opt/truffles'),
  /**
   * How this console may use the host (issue 17): `operator` (the operator account: everything), or
   * `support` (the support account: only the host agent's support door, read-only, enforced there).
   */
  role: z.enum(['operator', 'support']).optional(),
  addedAt: z.string(),
  /** A cache of the last check, for showing status before the next one; the host stays the truth. */
  lastCheck: HostCheckSchema.nullable().default(null),
});
export type HostRecord = z.infer<typeof HostRecordSchema>;

export const PinnedKeySchema = z.object({
  algorithm: z.string(),
  fingerprint: z.string(),
  /** The whole public key blob, base64: compared in full, not only by fingerprint. */
  key: z.string(),
  pinnedAt: z.string(),
  /** Where the trust came from: the operator confirming it in the console, or a known_hosts line. */
  source: z.string().optional(),
});
export type PinnedKey = z.infer<typeof PinnedKeySchema>;

export const CURRENT_SCHEMA_VERSION = 3;

export const StoreDataSchema = z.object({
  schemaVersion: z.literal(CURRENT_SCHEMA_VERSION),
  hosts: z.array(HostRecordSchema),
  /**
   * Keyed by the whole route (ssh/hostkey.ts routeId): each hop's known_hosts name (`address` for
   * port 22, `[address]:port` otherwise), jump hosts first, joined by ` > `; a host reached
   * directly has its plain known_hosts name.
   */
  knownHosts: z.record(z.string(), PinnedKeySchema),
  settings: z.object({
    language: LanguageSchema,
    /** The console's alert rule: a host unreachable this many minutes (absent: 5). */
    alertsUnreachableMinutes: z.number().int().min(1).max(1440).optional(),
  }),
  secrets: z.record(z.string(), EncryptedSecretSchema),
  /**
   * The passphrase vault's check value: a known plaintext sealed under the passphrase (own salt
   * and IV), stored with the first secret, so a mistyped passphrase is refused before it seals or
   * opens anything. Never the passphrase itself.
   */
  passphraseCheck: EncryptedSecretSchema.optional(),
  /**
   * The fleet's backup key: hosts encrypt to `recipient` (an age X25519 public key); the identity
   * (private key) is the secret `backup:identity`, kept only on operators' machines.
   */
  backup: z
    .object({ recipient: z.string().nullable(), createdAt: z.string().nullable() })
    .default({ recipient: null, createdAt: null }),
  /**
   * Heads of each host's audit chain this console saw (after its own appends and verifications),
   * thinned to recent ones and one per stretch of older ones: kept here, off the host, so a chain
   * rebuilt on the host is found (src/main/core/audit/chain.ts).
   */
  auditCheckpoints: z
    .record(z.string(), z.array(z.object({ seq: z.number().int(), hash: z.string(), at: z.string() })))
    .default({}),
});
export type StoreData = z.infer<typeof StoreDataSchema>;

export function emptyStore(): StoreData {
  return {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    hosts: [],
    knownHosts: {},
    settings: { language: 'en' },
    secrets: {},
    backup: { recipient: null, createdAt: null },
    auditCheckpoints: {},
  };
}

/**
 * Migrations from each older schema version to the next. Version 1 is the first; when the shape
 * changes, bump CURRENT_SCHEMA_VERSION and add `1: (v1) => v2` here.
 */
export const migrations: Record<number, (data: Record<string, unknown>) => Record<string, unknown>> = {
  // 1 → 2: hosts gain a jump chain, labels, a base domain and a registry mirror.
  1: (data) => ({
    ...data,
    hosts: (Array.isArray(data.hosts) ? data.hosts : []).map((h: Record<string, unknown>) => ({
      jump: [],
      labels: {},
      baseDomain: null,
      registryMirror: null,
      ...h,
    })),
  }),
  // 2 → 3: pins are keyed by the whole route instead of address and port. Each pin moves to every
  // route that used it (a host's own route and each jump-chain prefix it connects through: the old
  // console verified those routes against it, so nothing is trusted that was not before). The old
  // key stays where a host used it directly, or when no host used it (nothing pinned is lost).
  2: (data) => {
    const hosts = (Array.isArray(data.hosts) ? data.hosts : []) as Record<string, unknown>[];
    const old = (data.knownHosts ?? {}) as Record<string, unknown>;
    const named = hosts
      .filter(
        (h) => typeof h.name === 'string' && typeof h.address === 'string' && typeof h.port === 'number',
      )
      .map((h) => ({
        name: h.name as string,
        address: h.address as string,
        port: h.port as number,
        kind: h.kind,
        jump: Array.isArray(h.jump) ? (h.jump as string[]) : [],
      }));
    const next: Record<string, unknown> = {};
    const movedAway = new Set<string>();
    for (const h of named) {
      if (h.kind !== 'ssh') continue;
      const route = [...h.jump.map((n) => named.find((x) => x.name === n)), h];
      if (route.some((x) => x === undefined)) continue; // a broken chain: its pin stays where it was
      pinIdsUsedBy(h, named).forEach((id, i) => {
        const hop = route[i]!;
        const oldId = knownHostId(hop.address, hop.port);
        const pin = old[oldId];
        if (!pin) return;
        next[id] ??= pin;
        if (id !== oldId) movedAway.add(oldId);
      });
    }
    // A pin some host used directly is already in `next` under its own (unchanged) key.
    for (const [id, pin] of Object.entries(old)) if (!movedAway.has(id)) next[id] ??= pin;
    return { ...data, knownHosts: next };
  },
};
