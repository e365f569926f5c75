import type { AccessKey, AccessList, AccessRole } from '../../../shared/contract/access';
import { isoDay, parseAccessList } from '../../../shared/access/keys';
import { CoreError } from '../errors';
import type { HostService } from '../hosts/service';
import { algorithmOf, fingerprintOf } from '../ssh/hostkey';
import type { HealthService } from '../health/service';
import { accessGrantCommand, accessListCommand, accessRevokeCommand } from './commands';
import { doorScript } from './door';
import { SUPPORT_SOCKET, supportKeyLine, supportSetupCommand } from './support';

/** The key types accepted, with how many length-prefixed fields their blob holds (the type's own included). */
const KEY_TYPES = new Map([
  ['ssh-ed25519', 2],
  ['sk-ssh-ed25519@openssh.com', 3],
  ['ecdsa-sha2-nistp256', 3],
  ['ecdsa-sha2-nistp384', 3],
  ['ecdsa-sha2-nistp521', 3],
  ['sk-ecdsa-sha2-nistp256@openssh.com', 4],
  ['ssh-rsa', 3],
]);

/** The blob's fields (uint32 length + bytes each), or null when they do not fill it exactly. */
function blobFields(blob: Buffer): Buffer[] | null {
  const fields: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) return null;
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) return null;
    fields.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return fields;
}

/** One OpenSSH public key line checked and reduced to `type base64`, with its fingerprint. */
export function parsePublicKey(text: string): { key: string; fingerprint: string } {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (line.some((l) => l.includes('PRIVATE KEY')))
    throw new CoreError(
      'access.private-key',
      'This is a private key. Never send it anywhere: only its public half is needed.',
      'Give the .pub file next to it (e.g. ~/.ssh/id_ed25519.pub).',
    );
  if (line.length !== 1)
    throw new CoreError(
      'access.bad-key',
      line.length === 0 ? 'No public key was given.' : `${line.length} lines were given; one key per person.`,
      'Give one OpenSSH public key line: "ssh-ed25519 AAAA… comment".',
    );
  const [type = '', data = ''] = line[0]!.split(/\s+/);
  if (!KEY_TYPES.has(type))
    throw new CoreError(
      'access.bad-key',
      `"${type.slice(0, 40)}" is not an SSH public key type this console accepts.`,
      'Give an ssh-ed25519, ecdsa or ssh-rsa public key line.',
    );
  const blob = /^[A-Za-z0-9+/]+={0,2}$/.test(data) ? Buffer.from(data, 'base64') : Buffer.alloc(0);
  const fields = blobFields(blob);
  if (
    !fields ||
    fields.length !== KEY_TYPES.get(type) ||
    algorithmOf(blob) !== type ||
    (type === 'ssh-ed25519' && fields[1]!.length !== 32)
  )
    throw new CoreError(
      'access.bad-key',
      'The key’s data is damaged or does not match its type.',
      'Copy the whole line of the .pub file again.',
    );
  return { key: `${type} ${data}`, fingerprint: fingerprintOf(blob) };
}

function parseList(host: string, stdout: string): AccessList {
  const lines = stdout.split('\n');
  const me = lines.map((l) => l.trim().split(/\s+/)).find((f) => f[0] === '@me');
  const you = me?.[1] && me[1] !== '-' ? me[1] : null;
  const keys: AccessKey[] = parseAccessList(stdout).map((e) => ({
    fingerprint: e.fingerprint,
    name: e.name,
    role: e.role,
    expires: e.expires ? isoDay(e.expires) : null,
    addedAt: e.addedAt,
    you: e.fingerprint === you,
  }));
  return { host, keys, you, identityFromKeys: you !== null };
}

/** Names bound to keys on each host, and the keys let in to the operator account or the support door. */
export class AccessService {
  constructor(
    private readonly hosts: HostService,
    private readonly health: HealthService,
  ) {}

  /**
   * The support account's keys, changed as root (a one-shot container in the host's `/`); the
   * account and the bridge are made or refreshed on the way. Then the host agent is made to serve
   * the support door (installed, or replaced when it does not yet).
   */
  private async supportKeys(hostName: string, op: 'add' | 'remove', name: string, line = ''): Promise<void> {
    const t = await this.hosts.transport(hostName);
    const image = await this.health.runtimeImageOf(hostName);
    const r = await t.exec(supportSetupCommand(image, doorScript(SUPPORT_SOCKET), op, name, line), {
      timeoutMs: 120_000,
    });
    if (r.code !== 0 || !/^gid \d+$/m.test(r.stdout))
      throw new CoreError(
        'access.support-setup',
        `The support account on ${hostName} could not be ${op === 'add' ? 'set up' : 'changed'} (${r.stderr.trim().slice(0, 300) || `exit ${String(r.code)}`}).`,
        `It is done as root through Docker with the image ${image}: check Docker on the host (truffles host check ${hostName}) and retry; it is safe to repeat.`,
      );
    if (op === 'add') await this.health.install({ host: hostName }, false);
  }

  async list(name: string): Promise<AccessList> {
    const host = await this.hosts.get(name);
    const r = await (
      await this.hosts.transport(name)
    ).exec(accessListCommand(host.stateDir), { timeoutMs: 20_000 });
    if (r.code !== 0)
      throw new CoreError(
        'access.unreadable',
        `The access list on ${name} cannot be read (${r.stderr.trim() || `exit ${String(r.code)}`}).`,
        `Check that ${host.stateDir}/access is readable by ${host.user}.`,
      );
    return parseList(name, r.stdout);
  }

  async grant(i: {
    host: string;
    name: string;
    role: AccessRole;
    publicKey: string;
    expires: string | null;
  }): Promise<AccessKey> {
    const { key, fingerprint } = parsePublicKey(i.publicKey);
    if (i.expires && i.expires < new Date().toISOString().slice(0, 10))
      throw new CoreError(
        'access.expired',
        `${i.expires} has already passed.`,
        'Give a day in the future, or none.',
      );
    const host = await this.hosts.get(i.host);
    const r = await (
      await this.hosts.transport(i.host)
    ).exec(
      accessGrantCommand(
        host.stateDir,
        i.name,
        i.role,
        key,
        i.expires ? i.expires.replaceAll('-', '') : null,
        fingerprint,
      ),
      { timeoutMs: 45_000 },
    );
    if (r.code === 3)
      throw new CoreError(
        'access.name-taken',
        `On ${i.host}, the name "${i.name}" belongs to another key.`,
        `Choose another name, or revoke the other key first: truffles access revoke ${i.host} ${i.name}`,
      );
    if (r.code === 4)
      throw new CoreError(
        'access.key-named',
        `On ${i.host}, this key already has another name.`,
        'One key is one person: revoke the other name first, or give this person their own key.',
      );
    if (r.code !== 0)
      throw new CoreError(
        'access.unwritable',
        `The access list on ${i.host} cannot be changed (${r.stderr.trim() || `exit ${String(r.code)}`}).`,
        `Check that ${host.stateDir} and ~/.ssh of ${host.user} are writable by ${host.user}.`,
      );
    const was = /^was (\S+)$/m.exec(r.stdout)?.[1];
    const expires = i.expires ? i.expires.replaceAll('-', '') : null;
    if (i.role === 'support')
      await this.supportKeys(i.host, 'add', i.name, supportKeyLine(i.name, key, expires));
    else if (was === 'support') await this.supportKeys(i.host, 'remove', i.name);
    const list = await this.list(i.host);
    const k = list.keys.find((x) => x.fingerprint === fingerprint);
    if (!k)
      throw new CoreError(
        'access.lost',
        `The key of ${i.name} is not in the list on ${i.host} after granting.`,
        'Try again.',
      );
    return k;
  }

  async revoke(hostName: string, name: string): Promise<{ host: string; name: string; removed: boolean }> {
    const host = await this.hosts.get(hostName);
    const r = await (
      await this.hosts.transport(hostName)
    ).exec(accessRevokeCommand(host.stateDir, name), {
      timeoutMs: 45_000,
    });
    if (r.code === 3) return { host: hostName, name, removed: false };
    if (r.code === 5)
      throw new CoreError(
        'access.self',
        `"${name}" is the key this console logged in to ${hostName} with: revoking it would lock you out.`,
        'Revoke it from another operator’s console.',
      );
    if (r.code !== 0)
      throw new CoreError(
        'access.unwritable',
        `The access list on ${hostName} cannot be changed (${r.stderr.trim() || `exit ${String(r.code)}`}).`,
        `Check that ${host.stateDir}/access is writable by ${host.user}.`,
      );
    if (/^role support$/m.test(r.stdout)) await this.supportKeys(hostName, 'remove', name);
    return { host: hostName, name, removed: true };
  }
}
