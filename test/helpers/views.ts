import type { HostView } from '../../src/shared/contract';

export const FINGERPRINT = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';

/** A plausible SSH host as the core lists it; any field can be replaced. */
export function hostView(over: Partial<HostView> = {}): HostView {
  return {
    name: 'almaty-1',
    kind: 'ssh',
    address: '203.0.113.10',
    port: 22,
    user: 'root',
    authKind: 'agent',
    fingerprint: FINGERPRINT,
    keyAlgorithm: 'ssh-ed25519',
    jump: [],
    labels: {},
    baseDomain: null,
    registryMirror: null,
    role: 'operator',
    addedAt: '2026-01-01T00:00:00Z',
    lastCheck: null,
    ...over,
  };
}
