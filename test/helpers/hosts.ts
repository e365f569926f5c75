import type { Core } from '../../src/main/core/core';
import type { AddHostInput } from '../../src/main/core/hosts/service';
import { sandbox } from './sandbox';

/**
 * Add a host the way the tests mostly do: the sandbox's address, port, operator user, key file
 * and fingerprint, each replaceable (an extra sshd's port and fingerprint, another user, a jump).
 */
export function addSandboxHost(
  core: Core,
  name: string,
  over: Partial<Omit<AddHostInput, 'name'>> = {},
): ReturnType<Core['hosts']['add']> {
  const sb = sandbox();
  return core.hosts.add({
    name,
    address: sb.address,
    port: sb.port,
    user: sb.user,
    auth: { kind: 'keyFile', path: sb.keyPath },
    acceptFingerprint: sb.fingerprint,
    ...over,
  });
}
