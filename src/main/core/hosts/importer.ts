import { access, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import {
  AddressSchema,
  HostNameSchema,
  PortSchema,
  UserSchema,
  type ImportCandidate,
} from '../../../shared/contract';
import { findKnownKeys, isRevoked, parseKnownHosts, type KnownHostEntry } from '../ssh/knownhosts';
import type { ImportedHost } from '../ssh/sshconfig';
import { pinIdOf, routeId } from '../ssh/hostkey';
import type { StoreData } from '../store/schema';

/**
 * Turning an OpenSSH client config into inventory hosts: which aliases become which hosts, through
 * which jump hosts, with which trusted keys (from known_hosts). Pure planning over what was read;
 * nothing here connects anywhere.
 */

export interface SourcedKnownHost extends KnownHostEntry {
  /** `file:line`. */
  source: string;
}

/** Read every known_hosts file that exists; a missing file is no error (there is simply nothing to import). */
export async function readKnownHostsFiles(paths: readonly string[]): Promise<{
  entries: SourcedKnownHost[];
  read: string[];
  warnings: string[];
}> {
  const entries: SourcedKnownHost[] = [];
  const read: string[] = [];
  const warnings: string[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT')
        warnings.push(`${path}: cannot be read (${code ?? 'error'}); its keys are not imported.`);
      continue;
    }
    read.push(path);
    for (const e of parseKnownHosts(text)) entries.push({ ...e, source: `${path}:${e.line}` });
  }
  return { entries, read, warnings };
}

/** The order in which ssh2 (like OpenSSH) prefers host key algorithms; we pin the one it will be offered. */
const KEY_PREFERENCE = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'ssh-dss',
];

export interface KnownKeyVerdict {
  /** The usable trusted key, when there is one. */
  key: SourcedKnownHost | null;
  /** `revoked` when the only keys known for the host are revoked. */
  status: 'trusted' | 'revoked' | 'absent';
}

/** What known_hosts trusts for `address:port`: revoked keys never count, the preferred algorithm wins. */
export function trustedKnownKey(entries: SourcedKnownHost[], address: string, port: number): KnownKeyVerdict {
  const all = findKnownKeys(entries, address, port) as SourcedKnownHost[];
  const revoked = entries.filter(isRevoked);
  const usable = all.filter((e) => !isRevoked(e) && !revoked.some((r) => r.key.equals(e.key)));
  if (usable.length === 0) return { key: null, status: all.length > 0 ? 'revoked' : 'absent' };
  const rank = (e: KnownHostEntry): number => {
    const i = KEY_PREFERENCE.indexOf(e.keyType);
    return i < 0 ? KEY_PREFERENCE.length : i;
  };
  usable.sort((a, b) => rank(a) - rank(b));
  return { key: usable[0] ?? null, status: 'trusted' };
}

/** What known_hosts says about one offered key (for the fingerprint dialog). */
export function knownHostsVerdict(
  entries: SourcedKnownHost[],
  address: string,
  port: number,
  offered: Buffer,
): { status: 'match' | 'mismatch' | 'revoked' | 'absent'; source: string | null } {
  const revoked = entries.find((e) => isRevoked(e) && e.key.equals(offered));
  if (revoked) return { status: 'revoked', source: revoked.source };
  const known = findKnownKeys(entries, address, port) as SourcedKnownHost[];
  const same = known.find((e) => e.key.equals(offered));
  if (same) return { status: 'match', source: same.source };
  // Keys of another algorithm are not a contradiction: the host may hold several.
  const sameType = known.find((e) => !isRevoked(e) && e.keyType === keyTypeOf(offered));
  if (sameType) return { status: 'mismatch', source: sameType.source };
  return { status: 'absent', source: null };
}

function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** An alias made into a valid inventory name, or null when nothing usable is left. */
export function inventoryName(alias: string): string | null {
  const name = alias
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63)
    .replace(/[^A-Za-z0-9]+$/, '');
  return HostNameSchema.safeParse(name).success ? name : null;
}

async function readable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** OpenSSH's default identities, in the order it tries them. */
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export interface PlanOptions {
  sshDir: string;
  /** Whether an ssh-agent is available (SSH_AUTH_SOCK). */
  agent: boolean;
}

/**
 * Plan the import of every host of a config. Candidates come out in dependency order: a jump host
 * before the hosts that go through it.
 */
export async function planImport(
  hosts: ImportedHost[],
  known: SourcedKnownHost[],
  data: StoreData,
  opts: PlanOptions,
): Promise<ImportCandidate[]> {
  const byAlias = new Map<string, ImportCandidate>();
  const taken = new Set(data.hosts.map((h) => h.name.toLowerCase()));
  const planned: ImportCandidate[] = [];

  for (const h of hosts) {
    const base = await baseCandidate(h, known, data, opts, taken);
    planned.push(base);
    byAlias.set(h.name, base);
    if (base.action === 'add') taken.add(base.name.toLowerCase());
  }

  // Map each hop of a route onto an inventory host or another candidate (same address and port,
  // and same user when the hop names one).
  const sshHosts = data.hosts.filter((x) => x.kind === 'ssh');
  for (const h of hosts) {
    const c = byAlias.get(h.name);
    if (!c || c.action === 'skip' || h.jumpHosts.length === 0) continue;
    const names: string[] = [];
    for (const hop of h.jumpHosts) {
      const inv = sshHosts.find(
        (x) =>
          x.address.toLowerCase() === hop.address.toLowerCase() &&
          x.port === hop.port &&
          (!hop.user || x.user === hop.user),
      );
      const cand = inv
        ? null
        : planned.find(
            (x) =>
              x.action === 'add' &&
              x.alias !== h.name &&
              x.address.toLowerCase() === hop.address.toLowerCase() &&
              x.port === hop.port &&
              (!hop.user || x.user === hop.user),
          );
      const name = inv?.name ?? cand?.name;
      if (!name) {
        const spec = `${hop.user ? `${hop.user}@` : ''}${hop.address}:${hop.port}`;
        if (c.action === 'add') {
          c.action = 'skip';
          c.note = `Its jump host ${spec} is neither a Host in this config nor in the inventory; add the jump host first.`;
        }
        names.length = 0;
        break;
      }
      names.push(name);
    }
    c.jump = names;
  }

  // A host whose jump host cannot be imported cannot be imported either.
  let changed = true;
  while (changed) {
    changed = false;
    for (const c of planned) {
      if (c.action !== 'add') continue;
      const bad = c.jump.find((j) => {
        const hop = planned.find((x) => x.name === j);
        return hop !== undefined && hop.action === 'skip';
      });
      if (bad) {
        c.action = 'skip';
        c.note = `Its jump host ${bad} cannot be imported.`;
        changed = true;
      }
    }
  }
  return dependencyOrder(planned);
}

async function baseCandidate(
  h: ImportedHost,
  known: SourcedKnownHost[],
  data: StoreData,
  opts: PlanOptions,
  taken: Set<string>,
): Promise<ImportCandidate> {
  const name = inventoryName(h.name);
  const c: ImportCandidate = {
    alias: h.name,
    name: name ?? h.name,
    address: h.address,
    port: h.port,
    user: h.user,
    authKind: 'agent',
    keyFile: null,
    jump: [],
    knownKey: null,
    action: 'add',
    note: null,
    source: h.source,
  };
  const skip = (note: string): ImportCandidate => ({ ...c, action: 'skip', note });
  if (!name) return skip(`The alias '${h.name}' cannot be made into a host name.`);
  if (!AddressSchema.safeParse(h.address).success)
    return skip(`HostName '${h.address}' is not a DNS name or IP address.`);
  if (!PortSchema.safeParse(h.port).success) return skip(`Port ${h.port} is not between 1 and 65535.`);
  if (!UserSchema.safeParse(h.user).success) return skip(`User '${h.user}' is not a valid user name.`);

  // The route the console will connect by: the config's jump hosts, then the host itself.
  const route = routeId([...h.jumpHosts, h]);
  const same = data.hosts.find(
    (x) =>
      x.kind === 'ssh' &&
      x.address.toLowerCase() === h.address.toLowerCase() &&
      x.port === h.port &&
      x.user === h.user &&
      (pinIdOf(x, data.hosts) ?? '').toLowerCase() === route.toLowerCase(),
  );
  if (same) return { ...c, action: 'exists', note: `Already in the inventory as '${same.name}'.` };
  if (taken.has(name.toLowerCase()))
    return { ...c, action: 'exists', note: `A host named '${name}' is already in the inventory.` };

  const notes: string[] = [];
  const existingKey = h.identityFiles.length > 0 ? await firstReadable(h.identityFiles) : null;
  if (existingKey) {
    c.authKind = 'keyFile';
    c.keyFile = existingKey;
  } else if (opts.agent) {
    if (h.identityFiles.length > 0)
      notes.push(`IdentityFile ${h.identityFiles[0]} is not readable; ssh-agent will be used.`);
  } else {
    const fallback =
      h.identityFiles.length === 0
        ? await firstReadable(DEFAULT_IDENTITIES.map((f) => join(opts.sshDir, f)))
        : null;
    if (fallback) {
      c.authKind = 'keyFile';
      c.keyFile = fallback;
    } else {
      notes.push(
        'No readable key file and no ssh-agent: start ssh-agent and ssh-add your key before connecting.',
      );
    }
  }

  const pinned = data.knownHosts[route];
  const verdict = trustedKnownKey(known, h.address, h.port);
  if (pinned) {
    c.knownKey = {
      fingerprint: pinned.fingerprint,
      algorithm: pinned.algorithm,
      source: 'the console (already pinned)',
    };
  } else if (verdict.key) {
    c.knownKey = {
      fingerprint: verdict.key.fingerprint,
      algorithm: verdict.key.keyType,
      source: verdict.key.source,
    };
  } else {
    notes.push(
      verdict.status === 'revoked'
        ? 'Its only known_hosts keys are @revoked: confirm the new key before the console connects.'
        : 'Not in known_hosts: confirm its key fingerprint before the console connects.',
    );
  }
  c.note = notes.length ? notes.join(' ') : null;
  return c;
}

async function firstReadable(paths: readonly string[]): Promise<string | null> {
  for (const p of paths) if (await readable(p)) return p;
  return null;
}

/** Jump hosts before the hosts that use them; otherwise the config's order. */
function dependencyOrder(cands: ImportCandidate[]): ImportCandidate[] {
  const out: ImportCandidate[] = [];
  const placed = new Set<string>();
  const visit = (c: ImportCandidate, depth: number): void => {
    if (placed.has(c.alias) || depth > 32) return;
    for (const j of c.jump) {
      const hop = cands.find((x) => x.name === j && x.alias !== c.alias);
      if (hop) visit(hop, depth + 1);
    }
    placed.add(c.alias);
    out.push(c);
  };
  for (const c of cands) visit(c, 0);
  return out;
}
