import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * A host the console cannot reach: imported from an SSH config (TEST-NET address, key never
 * confirmed, never connected to). Screens must name it rather than wait for it.
 */
export async function importUnreachableHost(
  core: Core,
  dir: string,
  name: string,
): ReturnType<Core['hosts']['importHosts']> {
  const sshDir = join(dir, 'ssh');
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  const configPath = join(sshDir, 'config');
  const knownHostsPath = join(sshDir, 'known_hosts');
  writeFileSync(configPath, `Host ${name}\n    HostName 203.0.113.7\n    User ops\n`, { mode: 0o600 });
  writeFileSync(knownHostsPath, '', { mode: 0o600 });
  return core.hosts.importHosts({ configPath, knownHostsPath }, [name]);
}
