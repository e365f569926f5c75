import type {
  AuthInput,
  AuditEntry,
  ErrorInfo,
  HostCheck,
  HostView,
  ImportPreview,
  ProbeResult,
} from '../../../shared/contract';
import { CoreError, toErrorInfo } from '../errors';
import type { SecretProvider } from '../secrets/provider';
import type { HostKeyPolicy } from '../ssh/connection';
import { pinIdOf, pinIdsUsedBy, routeId } from '../ssh/hostkey';
import type { HostRecord } from '../store/schema';
import type { Store } from '../store/store';
import { appendAudit, DEFAULT_STATE_DIR, readAudit } from '../audit/trail';
import { checkHost } from './check';
import { HostConnector } from './connector';
import { credentialsFromInput } from './credentials';
import { importHosts, importPreview } from './import-hosts';
import { probeHost, repinHost } from './pinning';
import {
  expandHome,
  hostExists,
  toView,
  unknownHost,
  type Emit,
  type HostDeps,
  type HostServiceOptions,
  type ImportSource,
} from './records';
import { LocalTransport, SshTransport, localDockerSocket, type HostTransport } from './transport';

// What the rest of the core imports from here, wherever it lives now.
export type { Emit, HostServiceOptions, ImportSource } from './records';

export interface AddHostInput {
  name: string;
  address: string;
  port: number;
  user: string;
  auth: AuthInput;
  acceptFingerprint: string;
  jump?: string[];
  labels?: Record<string, string>;
  baseDomain?: string | null;
  registryMirror?: string | null;
  role?: 'operator' | 'support';
}

/**
 * Hosts: the inventory, pinning keys, connecting (one connection per host, shared by all work
 * on it) and checking. Used alike by the desktop app, the browser mode and the CLI.
 */
export class HostService {
  private readonly connections = new Map<string, HostTransport>();
  private readonly connector: HostConnector;
  /** What the steps (pinning, check, import) use of this service. */
  private readonly deps: HostDeps;

  constructor(
    private readonly store: Store,
    private readonly secrets: SecretProvider,
    private readonly emit: Emit = () => undefined,
    private readonly options: HostServiceOptions = {},
  ) {
    this.connector = new HostConnector(store, secrets, options);
    this.deps = {
      store,
      emit,
      connector: this.connector,
      sshHome: options.sshHome,
      get: (name) => this.get(name),
      transport: (name) => this.transport(name),
      dropConnection: (name) => this.dropConnection(name),
      recordAudit: (name, entry) => this.recordAudit(name, entry),
    };
  }

  /** Session channels one connection to a host carries (what per-host concurrency is bounded by). */
  sessionBudget(): number {
    return Math.max(1, this.options.maxSessions ?? 10);
  }

  async list(): Promise<HostView[]> {
    const data = await this.store.read();
    return data.hosts.map((h) => toView(h, data)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One host as the renderer and the CLI see it; `host.unknown` when there is none. */
  async view(name: string): Promise<HostView> {
    const data = await this.store.read();
    const host = data.hosts.find((h) => h.name === name);
    if (!host) throw unknownHost(name);
    return toView(host, data);
  }

  async get(name: string): Promise<HostRecord> {
    const data = await this.store.read();
    const host = data.hosts.find((h) => h.name === name);
    if (!host) throw unknownHost(name);
    return host;
  }

  /** The key a host offers, compared with its pin and known_hosts; trusts and stores nothing. */
  probe(address: string, port: number, jump: readonly string[] = []): Promise<ProbeResult> {
    return probeHost(this.deps, address, port, jump);
  }

  /** What importing an OpenSSH client config would add; reads files only. */
  importPreview(src: ImportSource = {}): Promise<ImportPreview> {
    return importPreview(this.deps, src);
  }

  /**
   * Import the chosen aliases of a config, with the jump hosts they need. Keys are pinned only from
   * known_hosts (the operator trusted them in OpenSSH); the others wait for confirmation. Nothing
   * is connected to; one store update adds them all or none.
   */
  importHosts(
    src: ImportSource,
    aliases: readonly string[],
  ): Promise<{ added: HostView[]; skipped: { alias: string; reason: string }[] }> {
    return importHosts(this.deps, src, aliases);
  }

  /** The newest lines of a host's audit trail, read from the host. */
  async audit(name: string, limit = 100): Promise<AuditEntry[]> {
    const host = await this.get(name);
    return readAudit(await this.transport(name), host.stateDir, limit);
  }

  /** Append to a host's audit trail; returns why not instead of throwing. */
  private async recordAudit(
    name: string,
    entry: Pick<AuditEntry, 'action' | 'subject' | 'details'>,
  ): Promise<ErrorInfo | null> {
    try {
      const host = await this.get(name);
      await appendAudit(await this.transport(name), host, entry);
      return null;
    } catch (err) {
      const info = toErrorInfo(err);
      this.logAuditError(name, entry.action, info);
      return info;
    }
  }

  private logAuditError(name: string, action: string, info: ErrorInfo): void {
    this.emit({
      type: 'log',
      source: `host:${name}`,
      level: 'warn',
      message: `Audit trail not written (${action}): ${info.message} ${info.hint ?? ''}`.trim(),
      at: new Date().toISOString(),
    });
  }

  async add(input: AddHostInput): Promise<HostView> {
    const before = await this.store.read();
    if (before.hosts.some((h) => h.name === input.name)) {
      throw hostExists(input.name);
    }
    const credentials = await credentialsFromInput(input.auth);
    const policy: HostKeyPolicy = { kind: 'confirmed', fingerprint: input.acceptFingerprint };
    const jump = input.jump ?? [];
    const hops = this.connector.jumpRecords(jump, before, input.name);
    const route = routeId([...hops, { address: input.address, port: input.port }]);
    const pinned = before.knownHosts[route];
    if (pinned && pinned.fingerprint !== input.acceptFingerprint) {
      throw new CoreError(
        'hostkey.changed',
        `${route} is already pinned with another key.\n  pinned:    ${pinned.fingerprint}\n  confirmed: ${input.acceptFingerprint}`,
        'If the host was reinstalled, forget every host on that route first; otherwise do not trust this key.',
        { pinned: pinned.fingerprint, offered: input.acceptFingerprint },
      );
    }
    // Connect and authenticate before anything is stored: a host that cannot be reached with
    // these credentials is not added.
    const conn = await this.connector.connectVia(
      hops,
      before,
      { address: input.address, port: input.port, user: input.user, label: input.name },
      credentials,
      policy,
    );
    const offered = conn.offered;
    // The audit line goes over the connection that just authenticated (no second login).
    const auditError = await appendAudit(
      conn,
      { stateDir: DEFAULT_STATE_DIR, user: input.user },
      {
        action: 'host.add',
        subject: `host:${input.name}`,
        details: {
          address: `${input.address}:${input.port}`,
          user: input.user,
          fingerprint: offered.fingerprint,
          jump,
        },
      },
    ).then(
      () => null,
      (err: unknown) => toErrorInfo(err),
    );
    conn.close();
    if (auditError) this.logAuditError(input.name, 'host.add', auditError);
    // Encrypt before taking the store lock (a passphrase prompt must not hold it).
    const auth = input.auth;
    const enc = {
      key: auth.kind === 'storedKey' ? await this.secrets.encrypt(auth.privateKey) : undefined,
      passphrase:
        auth.kind !== 'agent' && auth.passphrase ? await this.secrets.encrypt(auth.passphrase) : undefined,
    };
    const view = await this.store.update((data) => {
      if (data.hosts.some((h) => h.name === input.name)) {
        throw hostExists(input.name);
      }
      const keyId = `host:${input.name}:key`;
      const ppId = `host:${input.name}:passphrase`;
      if (enc.key) data.secrets[keyId] = enc.key;
      if (enc.passphrase) data.secrets[ppId] = enc.passphrase;
      const record: HostRecord = {
        name: input.name,
        kind: 'ssh',
        address: input.address,
        port: input.port,
        user: input.user,
        auth:
          auth.kind === 'agent'
            ? { kind: 'agent' }
            : auth.kind === 'keyFile'
              ? {
                  kind: 'keyFile',
                  path: expandHome(auth.path),
                  ...(enc.passphrase ? { passphraseSecret: ppId } : {}),
                }
              : {
                  kind: 'storedKey',
                  keySecret: keyId,
                  ...(enc.passphrase ? { passphraseSecret: ppId } : {}),
                },
        dockerSocket: '/var/run/docker.sock',
        jump,
        labels: input.labels ?? {},
        baseDomain: input.baseDomain ?? null,
        registryMirror: input.registryMirror ?? null,
        stateDir: DEFAULT_STATE_DIR,
        role: input.role ?? 'operator',
        addedAt: new Date().toISOString(),
        lastCheck: null,
      };
      data.hosts.push(record);
      const id = pinIdOf(record, data.hosts);
      if (id !== route)
        throw new CoreError(
          'host.jump-changed',
          `The jump chain of '${input.name}' changed while it was being added.`,
          'Add it again.',
        );
      data.knownHosts[id] ??= {
        algorithm: offered.algorithm,
        fingerprint: offered.fingerprint,
        key: offered.key.toString('base64'),
        pinnedAt: new Date().toISOString(),
      };
      return toView(record, data);
    });
    this.emit({ type: 'hosts.changed' });
    return view;
  }

  async addLocal(name: string): Promise<HostView> {
    const socket = localDockerSocket();
    const view = await this.store.update((data) => {
      if (data.hosts.some((h) => h.name === name)) {
        throw hostExists(name);
      }
      const record: HostRecord = {
        name,
        kind: 'local',
        address: 'localhost',
        port: 0,
        user: process.env.USER ?? process.env.USERNAME ?? 'local',
        auth: { kind: 'none' },
        dockerSocket: socket,
        jump: [],
        labels: {},
        baseDomain: null,
        registryMirror: null,
        role: 'operator',
        stateDir: DEFAULT_STATE_DIR,
        addedAt: new Date().toISOString(),
        lastCheck: null,
      };
      data.hosts.push(record);
      return toView(record, data);
    });
    this.emit({ type: 'hosts.changed' });
    return view;
  }

  /**
   * The one shared transport of a host. For SSH it holds at most one connection (through the
   * jump chain), opened on first use and reopened with backoff after a drop.
   */
  async transport(name: string): Promise<HostTransport> {
    const cached = this.connections.get(name);
    if (cached) return cached;
    const host = await this.get(name);
    // Two first uses at once (a command and its audit record) must share one connection, not
    // leave the first one open and forgotten.
    const raced = this.connections.get(name);
    if (raced) return raced;
    const transport: HostTransport =
      host.kind === 'local'
        ? new LocalTransport(host.dockerSocket)
        : new SshTransport(() => this.connector.openConnection(name), host.dockerSocket, host.name);
    this.connections.set(name, transport);
    return transport;
  }

  /**
   * Pin a host's key after the operator verified it: in place of a changed key, or as the first
   * pin of an imported host. Refused unless the host offers exactly that key. Written to the
   * host's audit trail (connecting with the new pin); `auditError` says why when that failed.
   */
  repin(name: string, acceptFingerprint: string): Promise<HostView & { auditError: ErrorInfo | null }> {
    return repinHost(this.deps, name, acceptFingerprint);
  }

  /** Check a host (round trip, facts, problems); cached on its record and announced. */
  check(name: string): Promise<HostCheck> {
    return checkHost(this.deps, name);
  }

  async forget(name: string): Promise<{ removed: boolean }> {
    const removed = await this.store.update((data) => {
      const host = data.hosts.find((h) => h.name === name);
      if (!host) return false;
      data.hosts = data.hosts.filter((h) => h.name !== name);
      for (const id of Object.keys(data.secrets)) if (id.startsWith(`host:${name}:`)) delete data.secrets[id];
      if (host.kind === 'ssh') {
        // Its pin goes unless another host still connects by that route (as itself or as a hop).
        const id = pinIdOf(host, data.hosts);
        const inUse = new Set(
          data.hosts.filter((h) => h.kind === 'ssh').flatMap((h) => pinIdsUsedBy(h, data.hosts)),
        );
        if (id !== null && !inUse.has(id)) delete data.knownHosts[id];
      }
      return true;
    });
    if (!removed) throw unknownHost(name);
    this.dropConnection(name);
    this.emit({ type: 'hosts.changed' });
    return { removed };
  }

  private dropConnection(name: string): void {
    this.connections.get(name)?.close();
    this.connections.delete(name);
  }

  /** Close every open connection (end of a CLI command, app quit). */
  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    for (const t of all) t.close();
  }
}
