import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AppEvent, AuditEntry, ErrorInfo, HostView } from '../../../shared/contract';
import { CoreError } from '../errors';
import { pinIdOf } from '../ssh/hostkey';
import type { HostRecord, StoreData } from '../store/schema';
import type { Store } from '../store/store';
import type { HostConnector } from './connector';
import type { HostTransport } from './transport';

/** The hosts feature's shared shapes and the small pure helpers its modules use alike. */

export interface HostServiceOptions {
  /** SSH handshake + authentication timeout per hop (ms). */
  connectTimeoutMs?: number;
  /** Session channels per connection (OpenSSH MaxSessions, default 10). */
  maxSessions?: number;
  /** How long a command waits for a free session channel before `ssh.busy` (default 3 min). */
  slotWaitMs?: number;
  /** The home whose `.ssh` holds the operator's OpenSSH config, known_hosts and keys; default `~`. */
  sshHome?: string;
}

export type Emit = (event: AppEvent) => void;

export interface ImportSource {
  configPath?: string | undefined;
  knownHostsPath?: string | undefined;
}

/** What the hosts feature's steps (pinning, check, import) use of the service that composes them. */
export interface HostDeps {
  store: Store;
  emit: Emit;
  connector: HostConnector;
  /** HostServiceOptions.sshHome. */
  sshHome: string | undefined;
  get(name: string): Promise<HostRecord>;
  transport(name: string): Promise<HostTransport>;
  dropConnection(name: string): void;
  /** Append to a host's audit trail; returns why not instead of throwing. */
  recordAudit(
    name: string,
    entry: Pick<AuditEntry, 'action' | 'subject' | 'details'>,
  ): Promise<ErrorInfo | null>;
}

export function unknownHost(name: string): CoreError {
  return new CoreError(
    'host.unknown',
    `There is no host named '${name}'.`,
    'List hosts with `truffles host list`, or add it with `truffles host add`.',
  );
}

export function hostExists(name: string): CoreError {
  return new CoreError(
    'host.exists',
    `A host named '${name}' already exists.`,
    'Choose another name, or forget the existing host first.',
  );
}

export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

export function toView(h: HostRecord, data: StoreData): HostView {
  const id = h.kind === 'ssh' ? pinIdOf(h, data.hosts) : null;
  const pin = id !== null ? data.knownHosts[id] : undefined;
  return {
    name: h.name,
    kind: h.kind,
    address: h.address,
    port: h.port,
    user: h.user,
    authKind: h.auth.kind,
    fingerprint: pin?.fingerprint ?? null,
    keyAlgorithm: pin?.algorithm ?? null,
    jump: h.jump,
    labels: h.labels,
    baseDomain: h.baseDomain,
    registryMirror: h.registryMirror,
    role: h.role ?? 'operator',
    addedAt: h.addedAt,
    lastCheck: h.lastCheck,
  };
}

/** The operator's OpenSSH folder: `<sshHome>/.ssh`, the home folder by default. */
export function sshDirOf(sshHome: string | undefined): string {
  return join(sshHome ?? homedir(), '.ssh');
}

/** The known_hosts files to read: the one given, else OpenSSH's two defaults. */
export function knownHostsPathsOf(sshHome: string | undefined, explicit?: string): string[] {
  return explicit
    ? [expandHome(explicit)]
    : [join(sshDirOf(sshHome), 'known_hosts'), join(sshDirOf(sshHome), 'known_hosts2')];
}
