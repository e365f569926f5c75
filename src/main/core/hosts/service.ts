import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type {
  AppEvent,
  AuditEntry,
  AuthInput,
  ErrorInfo,
  HostCheck,
  HostView,
  ImportPreview,
  ProbeResult,
} from '../../../shared/contract';
import { CoreError, toErrorInfo } from '../errors';
import type { SecretProvider } from '../secrets/provider';
import { wrongProvider } from '../secrets/provider';
import {
  checkPrivateKey,
  probeHostKey,
  SshConnection,
  type HostKeyPolicy,
  type OfferedKey,
  type SshCredentials,
} from '../ssh/connection';
import { pinIdOf, pinIdsUsedBy, routeId } from '../ssh/hostkey';
import type { HostRecord, StoreData } from '../store/schema';
import type { Store } from '../store/store';
import { readSshConfig } from '../ssh/sshconfig';
import { appendAudit, DEFAULT_STATE_DIR, readAudit } from './audit';
import { noopCommand } from './commands';
import { gatherFacts } from './facts';
import { knownHostsVerdict, planImport, readKnownHostsFiles } from './importer';
import { LocalTransport, SshTransport, localDockerSocket, type HostTransport } from './transport';

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
}

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

export interface ImportSource {
  configPath?: string | undefined;
  knownHostsPath?: string | undefined;
}

export type Emit = (event: AppEvent) => void;

function unknownHost(name: string): CoreError {
  return new CoreError(
    'host.unknown',
    `There is no host named '${name}'.`,
    'List hosts with `truffles host list`, or add it with `truffles host add`.',
  );
}

function hostExists(name: string): CoreError {
  return new CoreError(
    'host.exists',
    `A host named '${name}' already exists.`,
    'Choose another name, or forget the existing host first.',
  );
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

function toView(h: HostRecord, data: StoreData): HostView {
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
    addedAt: h.addedAt,
    lastCheck: h.lastCheck,
  };
}

/**
 * Hosts: the inventory, pinning keys, connecting (one connection per host, shared by all work
 * on it) and checking. Used alike by the desktop app, the browser mode and the CLI.
 */
export class HostService {
  private readonly connections = new Map<string, HostTransport>();

  constructor(
    private readonly store: Store,
    private readonly secrets: SecretProvider,
    private readonly emit: Emit = () => undefined,
    private readonly options: HostServiceOptions = {},
  ) {}

  private connectOptions(): { readyTimeoutMs?: number; maxSessions?: number; slotWaitMs?: number } {
    return {
      ...(this.options.connectTimeoutMs ? { readyTimeoutMs: this.options.connectTimeoutMs } : {}),
      ...(this.options.maxSessions ? { maxSessions: this.options.maxSessions } : {}),
      ...(this.options.slotWaitMs ? { slotWaitMs: this.options.slotWaitMs } : {}),
    };
  }

  /** Session channels one connection to a host carries (what per-host concurrency is bounded by). */
  sessionBudget(): number {
    return Math.max(1, this.options.maxSessions ?? 10);
  }

  /** The inventory records of a jump chain, checked: known, SSH, pinned, no loops. */
  private jumpRecords(chain: readonly string[], data: StoreData, target?: string): HostRecord[] {
    const seen = new Set<string>(target ? [target] : []);
    return chain.map((name) => {
      if (seen.has(name)) {
        throw new CoreError(
          'host.jump-loop',
          `The jump chain ${[...chain].join(' → ')} visits '${name}' twice.`,
          'List each jump host once, and never the host itself.',
        );
      }
      seen.add(name);
      const rec = data.hosts.find((h) => h.name === name);
      if (!rec)
        throw new CoreError(
          'host.jump-unknown',
          `Jump host '${name}' is not in the inventory.`,
          `Add it first: truffles host add ${name} --address …`,
        );
      if (rec.kind !== 'ssh')
        throw new CoreError(
          'host.jump-local',
          `'${name}' is this machine, not an SSH host; it cannot be a jump host.`,
          'Use an SSH host as the jump host.',
        );
      return rec;
    });
  }

  /** Connect through a chain of jump hosts, each verified against its own pinned key. */
  private async openHops(hops: HostRecord[], data: StoreData): Promise<SshConnection | null> {
    let prev: SshConnection | null = null;
    try {
      // Each hop is verified against the pin of the route it is reached by (the hops before it).
      const pins = hops.map((rec, i) => {
        const route = routeId(hops.slice(0, i + 1));
        const pin = data.knownHosts[route];
        if (pin) return pin;
        const own = pinIdOf(rec, data.hosts);
        if (own !== null && own !== route && data.knownHosts[own])
          throw new CoreError(
            'hostkey.unpinned',
            `Jump host '${rec.name}' is reached here by the route ${route}, but its key is pinned for the route it was added with (${own}).`,
            `List its own jump chain before it (--jump ${[...rec.jump, rec.name].join(',')}), or add a host for this route with its fingerprint confirmed.`,
          );
        throw new CoreError(
          'hostkey.unpinned',
          `No host key is pinned for jump host '${rec.name}'.`,
          `Add it with its fingerprint confirmed: truffles host add ${rec.name} …`,
        );
      });
      for (const [i, rec] of hops.entries()) {
        const pin = pins[i]!;
        const sock = prev ? await prev.forwardOut(rec.address, rec.port) : undefined;
        const conn: SshConnection = await SshConnection.connect(
          { address: rec.address, port: rec.port, user: rec.user, label: rec.name },
          await this.credentialsFor(rec, data),
          { kind: 'pinned', key: Buffer.from(pin.key, 'base64'), fingerprint: pin.fingerprint },
          { ...this.connectOptions(), ...(sock ? { sock } : {}), hops: prev ? [prev] : [] },
        );
        // A hop that only forwards never gets a session, so its sshd would leave Nagle on.
        await conn.primeNoDelay();
        prev = conn;
      }
      return prev;
    } catch (err) {
      prev?.close();
      throw err;
    }
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

  /** Read the key a host offers (through its jump chain), trusting nothing and storing nothing. */
  private async offeredKey(
    address: string,
    port: number,
    jump: readonly string[],
    data: StoreData,
  ): Promise<OfferedKey> {
    const last = await this.openHops(this.jumpRecords(jump, data), data);
    try {
      return await probeHostKey(
        address,
        port,
        this.options.connectTimeoutMs,
        last ? await last.forwardOut(address, port) : undefined,
        data.knownHosts[routeId([...this.jumpRecords(jump, data), { address, port }])]?.algorithm,
      );
    } finally {
      last?.close();
    }
  }

  async probe(address: string, port: number, jump: readonly string[] = []): Promise<ProbeResult> {
    const data = await this.store.read();
    const offered = await this.offeredKey(address, port, jump, data);
    const pinned = data.knownHosts[routeId([...this.jumpRecords(jump, data), { address, port }])];
    const { entries } = await readKnownHostsFiles(this.knownHostsPaths());
    return {
      address,
      port,
      fingerprint: offered.fingerprint,
      algorithm: offered.algorithm,
      known: !pinned ? 'new' : pinned.key === offered.key.toString('base64') ? 'match' : 'changed',
      pinnedFingerprint: pinned?.fingerprint ?? null,
      knownHosts: knownHostsVerdict(entries, address, port, offered.key),
    };
  }

  private sshDir(): string {
    return join(this.options.sshHome ?? homedir(), '.ssh');
  }

  private knownHostsPaths(explicit?: string): string[] {
    return explicit
      ? [expandHome(explicit)]
      : [join(this.sshDir(), 'known_hosts'), join(this.sshDir(), 'known_hosts2')];
  }

  /** What importing an OpenSSH client config would add; reads files only. */
  async importPreview(src: ImportSource = {}): Promise<ImportPreview> {
    const configPath = expandHome(src.configPath ?? join(this.sshDir(), 'config'));
    const config = await readSshConfig(configPath, { home: this.options.sshHome ?? homedir() });
    const known = await readKnownHostsFiles(this.knownHostsPaths(src.knownHostsPath));
    if (src.knownHostsPath && known.read.length === 0)
      throw new CoreError(
        'import.known-hosts-missing',
        `The known_hosts file ${src.knownHostsPath} does not exist.`,
        'Give the path of an OpenSSH known_hosts file, or leave it empty for ~/.ssh/known_hosts.',
      );
    const data = await this.store.read();
    const candidates = await planImport(config.hosts, known.entries, data, {
      sshDir: this.sshDir(),
      agent: Boolean(process.env.SSH_AUTH_SOCK),
    });
    return {
      configPath,
      knownHostsPaths: known.read,
      candidates,
      warnings: [...config.warnings, ...known.warnings],
    };
  }

  /**
   * Import the chosen aliases of a config, with the jump hosts they need. Keys are pinned only from
   * known_hosts (the operator trusted them in OpenSSH); the others wait for confirmation. Nothing
   * is connected to; one store update adds them all or none.
   */
  async importHosts(
    src: ImportSource,
    aliases: readonly string[],
  ): Promise<{ added: HostView[]; skipped: { alias: string; reason: string }[] }> {
    const preview = await this.importPreview(src);
    const byAlias = new Map(preview.candidates.map((c) => [c.alias, c]));
    const skipped: { alias: string; reason: string }[] = [];
    const wanted = new Set<string>();
    const want = (alias: string, depth: number): void => {
      const c = byAlias.get(alias);
      if (!c || depth > 32) return;
      if (c.action !== 'add') {
        if (depth === 0) skipped.push({ alias, reason: c.note ?? `Nothing to do (${c.action}).` });
        return;
      }
      wanted.add(alias);
      for (const j of c.jump) {
        const hop = preview.candidates.find((x) => x.name === j && x.action === 'add');
        if (hop) want(hop.alias, depth + 1);
      }
    };
    for (const alias of new Set(aliases)) {
      if (!byAlias.has(alias)) {
        skipped.push({ alias, reason: `There is no Host '${alias}' in ${preview.configPath}.` });
        continue;
      }
      want(alias, 0);
    }
    const chosen = preview.candidates.filter((c) => wanted.has(c.alias));
    const known = await readKnownHostsFiles(this.knownHostsPaths(src.knownHostsPath));
    const now = new Date().toISOString();
    const added = await this.store.update((data) => {
      const views: HostView[] = [];
      for (const c of chosen) {
        if (data.hosts.some((h) => h.name.toLowerCase() === c.name.toLowerCase())) throw hostExists(c.name);
        const record: HostRecord = {
          name: c.name,
          kind: 'ssh',
          address: c.address,
          port: c.port,
          user: c.user,
          auth:
            c.authKind === 'keyFile' && c.keyFile ? { kind: 'keyFile', path: c.keyFile } : { kind: 'agent' },
          dockerSocket: '/var/run/docker.sock',
          jump: c.jump,
          labels: {},
          baseDomain: null,
          registryMirror: null,
          stateDir: DEFAULT_STATE_DIR,
          addedAt: now,
          lastCheck: null,
        };
        data.hosts.push(record);
        // A known_hosts line names the host, not the route (OpenSSH checks a ProxyJump target by
        // its HostName too): it is the operator's own trust for that name, pinned for this route.
        const id = pinIdOf(record, data.hosts);
        const key = c.knownKey
          ? known.entries.find(
              (e) => e.source === c.knownKey?.source && e.fingerprint === c.knownKey.fingerprint,
            )
          : undefined;
        if (key && id !== null && !data.knownHosts[id]) {
          data.knownHosts[id] = {
            algorithm: key.keyType,
            fingerprint: key.fingerprint,
            key: key.key.toString('base64'),
            pinnedAt: now,
            source: `known_hosts ${key.source}`,
          };
        }
        views.push(toView(record, data));
      }
      return views;
    });
    if (added.length > 0) this.emit({ type: 'hosts.changed' });
    return { added, skipped };
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

  /** Resolve the credentials an operator gave, checking the key before any connection. */
  private async credentialsFromInput(auth: AuthInput): Promise<SshCredentials> {
    switch (auth.kind) {
      case 'agent':
        return { agent: agentSocket() };
      case 'keyFile': {
        const path = expandHome(auth.path);
        const key = await readKeyFile(path);
        checkPrivateKey(key, auth.passphrase, path);
        return { privateKey: key, ...(auth.passphrase ? { passphrase: auth.passphrase } : {}) };
      }
      case 'storedKey':
        checkPrivateKey(auth.privateKey, auth.passphrase, 'you pasted');
        return { privateKey: auth.privateKey, ...(auth.passphrase ? { passphrase: auth.passphrase } : {}) };
    }
  }

  private async credentialsFor(host: HostRecord, data: StoreData): Promise<SshCredentials> {
    const secret = async (id: string | undefined): Promise<string | undefined> => {
      if (!id) return undefined;
      const enc = data.secrets[id];
      if (!enc)
        throw new CoreError(
          'secrets.missing',
          `A stored secret of host '${host.name}' is missing.`,
          'Forget the host and add it again.',
        );
      if (enc.provider !== this.secrets.id) throw wrongProvider(enc.provider, this.secrets.id);
      return this.secrets.decrypt(enc);
    };
    switch (host.auth.kind) {
      case 'agent':
        return { agent: agentSocket() };
      case 'keyFile': {
        const passphrase = await secret(host.auth.passphraseSecret);
        return {
          privateKey: await readKeyFile(expandHome(host.auth.path)),
          ...(passphrase ? { passphrase } : {}),
        };
      }
      case 'storedKey': {
        const passphrase = await secret(host.auth.passphraseSecret);
        return {
          privateKey: (await secret(host.auth.keySecret)) ?? '',
          ...(passphrase ? { passphrase } : {}),
        };
      }
      case 'none':
        return {};
    }
  }

  async add(input: AddHostInput): Promise<HostView> {
    const before = await this.store.read();
    if (before.hosts.some((h) => h.name === input.name)) {
      throw hostExists(input.name);
    }
    const credentials = await this.credentialsFromInput(input.auth);
    const policy: HostKeyPolicy = { kind: 'confirmed', fingerprint: input.acceptFingerprint };
    const jump = input.jump ?? [];
    const hops = this.jumpRecords(jump, before, input.name);
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
    const last = await this.openHops(hops, before);
    let conn: SshConnection;
    try {
      conn = await SshConnection.connect(
        { address: input.address, port: input.port, user: input.user, label: input.name },
        credentials,
        policy,
        {
          ...this.connectOptions(),
          ...(last ? { sock: await last.forwardOut(input.address, input.port), hops: [last] } : {}),
        },
      );
    } catch (err) {
      last?.close();
      throw err;
    }
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
    const transport: HostTransport =
      host.kind === 'local'
        ? new LocalTransport(host.dockerSocket)
        : new SshTransport(() => this.openConnection(name), host.dockerSocket, host.name);
    this.connections.set(name, transport);
    return transport;
  }

  private async openConnection(name: string): Promise<SshConnection> {
    const data = await this.store.read();
    const host = data.hosts.find((h) => h.name === name);
    if (!host) throw unknownHost(name);
    const hops = this.jumpRecords(host.jump, data, host.name);
    const pin = data.knownHosts[routeId([...hops, host])];
    if (!pin) {
      throw new CoreError(
        'hostkey.unpinned',
        `The host key of '${name}' has not been confirmed yet, so the console does not connect to it.`,
        `Compare the fingerprint with \`ssh-keygen -lf\` on the host, then: truffles host repin ${name}`,
      );
    }
    const credentials = await this.credentialsFor(host, data);
    const last = await this.openHops(hops, data);
    try {
      return await SshConnection.connect(
        { address: host.address, port: host.port, user: host.user, label: host.name },
        credentials,
        { kind: 'pinned', key: Buffer.from(pin.key, 'base64'), fingerprint: pin.fingerprint },
        {
          ...this.connectOptions(),
          ...(last ? { sock: await last.forwardOut(host.address, host.port), hops: [last] } : {}),
        },
      );
    } catch (err) {
      last?.close();
      throw err;
    }
  }

  /**
   * Pin a host's key after the operator verified it: in place of a changed key, or as the first
   * pin of an imported host. Refused unless the host offers exactly that key. Written to the
   * host's audit trail (connecting with the new pin); `auditError` says why when that failed.
   */
  async repin(name: string, acceptFingerprint: string): Promise<HostView & { auditError: ErrorInfo | null }> {
    const host = await this.get(name);
    if (host.kind !== 'ssh')
      throw new CoreError('host.local', `'${name}' is this machine; it has no host key.`, 'Nothing to do.');
    const offered = await this.offeredKey(host.address, host.port, host.jump, await this.store.read());
    if (offered.fingerprint !== acceptFingerprint) {
      throw new CoreError(
        'hostkey.mismatch',
        `'${name}' offers ${offered.fingerprint}, not the fingerprint you gave (${acceptFingerprint}); nothing was changed.`,
        'Compare with `ssh-keygen -lf` run on the host before re-pinning.',
        { confirmed: acceptFingerprint, offered: offered.fingerprint },
      );
    }
    let before: string | null = null;
    const view = await this.store.update((data) => {
      const rec = data.hosts.find((h) => h.name === name);
      if (!rec) throw unknownHost(name);
      const id = routeId([...this.jumpRecords(rec.jump, data, rec.name), rec]);
      if (id !== routeId([...this.jumpRecords(host.jump, data, host.name), host]))
        throw new CoreError(
          'host.jump-changed',
          `The route of '${name}' changed while its key was being confirmed; nothing was changed.`,
          `Run truffles host repin ${name} again.`,
        );
      before = data.knownHosts[id]?.fingerprint ?? null;
      data.knownHosts[id] = {
        algorithm: offered.algorithm,
        fingerprint: offered.fingerprint,
        key: offered.key.toString('base64'),
        pinnedAt: new Date().toISOString(),
        source: 'confirmed by the operator',
      };
      return toView(rec, data);
    });
    this.emit({
      type: 'log',
      source: `host:${name}`,
      level: 'warn',
      message: `Host key ${before ? 're-pinned' : 'pinned'}: ${before ?? 'none'} → ${acceptFingerprint}`,
      at: new Date().toISOString(),
    });
    this.dropConnection(name);
    this.emit({ type: 'hosts.changed' });
    const auditError = await this.recordAudit(name, {
      action: before ? 'host.repin' : 'host.pin',
      subject: `host:${name}`,
      details: {
        address: `${host.address}:${host.port}`,
        previous: before,
        fingerprint: offered.fingerprint,
        algorithm: offered.algorithm,
      },
    });
    return { ...view, auditError };
  }

  async check(name: string): Promise<HostCheck> {
    const host = await this.get(name);
    const checkedAt = new Date().toISOString();
    let result: HostCheck;
    try {
      const transport = await this.transport(name);
      const t0 = performance.now();
      await transport.exec(noopCommand(), { timeoutMs: 15_000 });
      const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
      const { facts, problems } = await gatherFacts(transport, host.user, host.dockerSocket, host.stateDir);
      const status = problems.some((p) => p.severity === 'error')
        ? 'error'
        : problems.length > 0
          ? 'warning'
          : 'ok';
      result = {
        host: name,
        checkedAt,
        status,
        latencyMs,
        keyStatus: host.kind === 'ssh' ? 'ok' : 'not-applicable',
        facts,
        problems,
        error: null,
      };
    } catch (err) {
      const info = toErrorInfo(err);
      const keyChanged = info.code === 'hostkey.changed';
      const unconfirmed = info.code === 'hostkey.unpinned';
      const unreachable = /^ssh\.(refused|dns|unreachable|timeout|reset|closed)$/.test(info.code);
      result = {
        host: name,
        checkedAt,
        status: keyChanged
          ? 'key-changed'
          : unconfirmed
            ? 'key-unconfirmed'
            : unreachable
              ? 'unreachable'
              : 'error',
        latencyMs: null,
        keyStatus: keyChanged
          ? 'changed'
          : unconfirmed
            ? 'unconfirmed'
            : host.kind === 'ssh'
              ? 'ok'
              : 'not-applicable',
        facts: null,
        problems: [],
        error: info,
      };
    }
    await this.store
      .update((data) => {
        const h = data.hosts.find((x) => x.name === name);
        if (h) h.lastCheck = result;
      })
      .catch(() => undefined);
    this.emit({ type: 'status', subject: { kind: 'host', name }, status: result.status, at: checkedAt });
    return result;
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

function agentSocket(): string {
  const sock = process.env.SSH_AUTH_SOCK;
  if (!sock) {
    throw new CoreError(
      'ssh.agent-missing',
      'No ssh-agent is running for this console (SSH_AUTH_SOCK is not set).',
      'Start ssh-agent and ssh-add your key, or use a key file.',
    );
  }
  return sock;
}

async function readKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CoreError(
      'ssh.key-unreadable',
      code === 'ENOENT'
        ? `The key file ${path} does not exist.`
        : `The key file ${path} cannot be read (${code ?? (err as Error).message}).`,
      'Give the path of your private key, e.g. ~/.ssh/id_ed25519.',
    );
  }
}
