import { createHash } from 'node:crypto';

/** OpenSSH's SHA256 fingerprint of a public key blob: `SHA256:` + unpadded base64. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of an SSH public key blob (e.g. `ssh-ed25519`). */
export function algorithmOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  if (len <= 0 || len > 64 || keyBlob.length < 4 + len) return 'unknown';
  return keyBlob.subarray(4, 4 + len).toString('ascii');
}

/** The known_hosts name of a host: `address` on port 22, `[address]:port` otherwise. */
export function knownHostId(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}
