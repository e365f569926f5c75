import { createHash } from 'node:crypto';

/** The SHA-256 of a document's bytes, lower-case hex: a document's identity across uploads. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
