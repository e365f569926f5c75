import type { ErrorInfo, HostView, ProbeResult } from '../../../shared/contract';
import { CoreError } from '../errors';
import { routeId } from '../ssh/hostkey';
import { knownHostsVerdict, readKnownHostsFiles } from './importer';
import { knownHostsPathsOf, toView, unknownHost, type HostDeps } from './records';

/** Pinning: what key a host offers, and pinning the one the operator verified. */

/** The key a host offers, compared with its pin and with the operator's known_hosts. */
export async function probeHost(
  d: HostDeps,
  address: string,
  port: number,
  jump: readonly string[] = [],
): Promise<ProbeResult> {
  const data = await d.store.read();
  const offered = await d.connector.offeredKey(address, port, jump, data);
  const pinned = data.knownHosts[routeId([...d.connector.jumpRecords(jump, data), { address, port }])];
  const { entries } = await readKnownHostsFiles(knownHostsPathsOf(d.sshHome));
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

/**
 * Pin a host's key after the operator verified it: in place of a changed key, or as the first
 * pin of an imported host. Refused unless the host offers exactly that key. Written to the
 * host's audit trail (connecting with the new pin); `auditError` says why when that failed.
 */
export async function repinHost(
  d: HostDeps,
  name: string,
  acceptFingerprint: string,
): Promise<HostView & { auditError: ErrorInfo | null }> {
  const host = await d.get(name);
  if (host.kind !== 'ssh')
    throw new CoreError('host.local', `'${name}' is this machine; it has no host key.`, 'Nothing to do.');
  const offered = await d.connector.offeredKey(host.address, host.port, host.jump, await d.store.read());
  if (offered.fingerprint !== acceptFingerprint) {
    throw new CoreError(
      'hostkey.mismatch',
      `'${name}' offers ${offered.fingerprint}, not the fingerprint you gave (${acceptFingerprint}); nothing was changed.`,
      'Compare with `ssh-keygen -lf` run on the host before re-pinning.',
      { confirmed: acceptFingerprint, offered: offered.fingerprint },
    );
  }
  let before: string | null = null;
  const view = await d.store.update((data) => {
    const rec = data.hosts.find((h) => h.name === name);
    if (!rec) throw unknownHost(name);
    const id = routeId([...d.connector.jumpRecords(rec.jump, data, rec.name), rec]);
    if (id !== routeId([...d.connector.jumpRecords(host.jump, data, host.name), host]))
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
  d.emit({
    type: 'log',
    source: `host:${name}`,
    level: 'warn',
    message: `Host key ${before ? 're-pinned' : 'pinned'}: ${before ?? 'none'} → ${acceptFingerprint}`,
    at: new Date().toISOString(),
  });
  d.dropConnection(name);
  d.emit({ type: 'hosts.changed' });
  const auditError = await d.recordAudit(name, {
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
