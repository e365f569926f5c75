import type { SecretProvider } from '../secrets/provider';
import {
  probeHostKey,
  SshConnection,
  type HostKeyPolicy,
  type OfferedKey,
  type SshCredentials,
  type SshEndpoint,
} from '../ssh/connection';
import { pinIdOf, routeId } from '../ssh/hostkey';
import type { HostRecord, PinnedKey, StoreData } from '../store/schema';
import type { Store } from '../store/store';
import { CoreError } from '../errors';
import { credentialsFor } from './credentials';
import { unknownHost, type HostServiceOptions } from './records';

/** A pinned key as the policy a connection checks the offered key against. */
export function pinnedPolicy(pin: Pick<PinnedKey, 'key' | 'fingerprint'>): HostKeyPolicy {
  return { kind: 'pinned', key: Buffer.from(pin.key, 'base64'), fingerprint: pin.fingerprint };
}

/**
 * Reaching a host: its jump chain checked and connected hop by hop, each hop verified against the
 * key pinned for the route it is reached by, then the host itself with its pinned key (or the
 * key the operator just confirmed), logging in with its credentials.
 */
export class HostConnector {
  constructor(
    private readonly store: Store,
    private readonly secrets: SecretProvider,
    private readonly options: HostServiceOptions,
  ) {}

  private connectOptions(): { readyTimeoutMs?: number; maxSessions?: number; slotWaitMs?: number } {
    return {
      ...(this.options.connectTimeoutMs ? { readyTimeoutMs: this.options.connectTimeoutMs } : {}),
      ...(this.options.maxSessions ? { maxSessions: this.options.maxSessions } : {}),
      ...(this.options.slotWaitMs ? { slotWaitMs: this.options.slotWaitMs } : {}),
    };
  }

  private credentialsFor(host: HostRecord, data: StoreData): Promise<SshCredentials> {
    return credentialsFor(this.secrets, host, data);
  }

  /** The inventory records of a jump chain, checked: known, SSH, pinned, no loops. */
  jumpRecords(chain: readonly string[], data: StoreData, target?: string): HostRecord[] {
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
          pinnedPolicy(pin),
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

  /** Connect to `endpoint` through the connected `hops` (closed again when this fails). */
  async connectVia(
    hops: HostRecord[],
    data: StoreData,
    endpoint: SshEndpoint,
    credentials: SshCredentials,
    policy: HostKeyPolicy,
  ): Promise<SshConnection> {
    const last = await this.openHops(hops, data);
    try {
      return await SshConnection.connect(endpoint, credentials, policy, {
        ...this.connectOptions(),
        ...(last ? { sock: await last.forwardOut(endpoint.address, endpoint.port), hops: [last] } : {}),
      });
    } catch (err) {
      last?.close();
      throw err;
    }
  }

  /** Read the key a host offers (through its jump chain), trusting nothing and storing nothing. */
  async offeredKey(
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

  async openConnection(name: string): Promise<SshConnection> {
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
    return this.connectVia(
      hops,
      data,
      { address: host.address, port: host.port, user: host.user, label: host.name },
      credentials,
      pinnedPolicy(pin),
    );
  }
}
