import type { Duplex } from 'node:stream';
import ssh2, { type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { CoreError } from '../errors';
import { mapConnectError } from './errors';
import { algorithmOf, fingerprintOf } from './hostkey';
import { READY_TIMEOUT_MS, type HostKeyPolicy, type OfferedKey, type SshEndpoint } from './types';

// ssh2 is CommonJS: take its members from the default export (named imports fail under Node ESM).
const { Client } = ssh2;
type Client = InstanceType<typeof Client>;

const KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-dss',
];

/**
 * The host-key algorithms that yield a key of this blob type (RSA keys sign with three); null
 * for a type ssh2 does not know (then nothing is narrowed and the key comparison decides).
 */
export function hostKeyAlgorithmsFor(keyType: string): ServerHostKeyAlgorithm[] | null {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return KEY_TYPES.includes(keyType) ? [keyType as ServerHostKeyAlgorithm] : null;
}

export function offeredKey(key: Buffer): OfferedKey {
  return { key: Buffer.from(key), fingerprint: fingerprintOf(key), algorithm: algorithmOf(key) };
}

/** Stop listening to a client that failed or is no longer wanted, and close it. */
export function abandon(client: Client): void {
  client.removeAllListeners();
  client.on('error', () => undefined);
  client.end();
}

/**
 * Read a host's key without authenticating or trusting anything: the handshake is stopped at the
 * host-key check. Used to show the fingerprint to the operator before pinning.
 */
export function probeHostKey(
  address: string,
  port: number,
  timeoutMs: number = READY_TIMEOUT_MS,
  sock?: Duplex,
  /** The pinned key's type, when there is one: asked for first, so the probe shows that key. */
  preferKeyType?: string,
): Promise<OfferedKey> {
  const preferred = preferKeyType ? hostKeyAlgorithmsFor(preferKeyType) : null;
  return new Promise((resolve, reject) => {
    const client = new Client();
    let offered: OfferedKey | null = null;
    const done = (fn: () => void): void => {
      abandon(client);
      fn();
    };
    client.on('error', (err) => {
      if (offered) {
        const o = offered;
        done(() => resolve(o));
      } else done(() => reject(mapConnectError(err, { address, port })));
    });
    client.on('ready', () => done(() => (offered ? resolve(offered) : reject(new Error('no host key')))));
    client.connect({
      host: address,
      port,
      username: 'truffles-probe',
      readyTimeout: timeoutMs,
      // Remove, then put in front: ssh2's `prepend` skips what the default list already has.
      ...(preferred
        ? { algorithms: { serverHostKey: { remove: preferred, prepend: preferred, append: [] } } }
        : {}),
      ...(sock ? { sock: sock as unknown as ConnectConfig['sock'] } : {}),
      hostVerifier: (key: Buffer) => {
        offered = offeredKey(key);
        return false;
      },
    });
  });
}

/** Why a connection refuses the key a host offered: not the pinned one, or not the confirmed one. */
export function refusedKey(
  policy: HostKeyPolicy,
  offered: OfferedKey,
  where: string,
  endpoint: SshEndpoint,
): CoreError {
  return policy.kind === 'pinned'
    ? new CoreError(
        'hostkey.changed',
        `HOST KEY CHANGED for ${where}: refusing to connect.\n  pinned:  ${policy.fingerprint}\n  offered: ${offered.fingerprint} (${offered.algorithm})\nSomeone may be intercepting the connection, or the host was reinstalled.`,
        `Verify the offered fingerprint with the host's administrator (ssh-keygen -lf on the host). If the change is expected, re-pin it: truffles host repin ${endpoint.label ?? 'NAME'} --accept-fingerprint ${offered.fingerprint}`,
        {
          host: endpoint.label ?? endpoint.address,
          pinned: policy.fingerprint,
          offered: offered.fingerprint,
          algorithm: offered.algorithm,
        },
      )
    : new CoreError(
        'hostkey.mismatch',
        `${where} offered a key other than the one you confirmed.\n  confirmed: ${policy.fingerprint}\n  offered:   ${offered.fingerprint} (${offered.algorithm})`,
        'Probe the host again and compare the fingerprint with the one on the host before confirming.',
        {
          confirmed: policy.fingerprint,
          offered: offered.fingerprint,
          algorithm: offered.algorithm,
        },
      );
}

/** Asked only for the pinned key's type, the host has none of it any more. */
export function pinnedTypeGone(
  policy: Extract<HostKeyPolicy, { kind: 'pinned' }>,
  where: string,
  endpoint: SshEndpoint,
): CoreError {
  const type = algorithmOf(policy.key);
  return new CoreError(
    'hostkey.changed',
    `HOST KEY CHANGED for ${where}: it no longer offers a ${type} key, and that is what is pinned.\n  pinned:  ${policy.fingerprint}`,
    `Verify the host's keys with its administrator (ssh-keygen -lf on the host), then re-pin: truffles host repin ${endpoint.label ?? 'NAME'}`,
    { host: endpoint.label ?? endpoint.address, pinned: policy.fingerprint, offered: null },
  );
}
