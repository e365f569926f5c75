import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  accessGrantCommand,
  accessListCommand,
  accessRevokeCommand,
} from '../../src/main/core/access/commands';
import { parsePublicKey } from '../../src/main/core/access/service';
import { tempDir } from '../helpers/tmp';

const run = promisify(execFile);

function keypair(dir: string, name: string): { pub: string; fp: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@laptop`, '-f', path]);
  const pub = readFileSync(`${path}.pub`, 'utf8');
  return { pub, fp: execFileSync('ssh-keygen', ['-lf', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1]! };
}

describe('public keys given for a person', () => {
  it('takes one OpenSSH public key line and gives the fingerprint ssh-keygen gives', () => {
    const t = tempDir();
    try {
      const { pub, fp } = keypair(t.dir, 'alice');
      expect(parsePublicKey(`# alice\n${pub}\n`)).toEqual({
        key: pub.split(' ').slice(0, 2).join(' '),
        fingerprint: fp,
      });
    } finally {
      t.cleanup();
    }
  });

  it('refuses a private key, two keys, an unknown type and damaged data, saying what to give', () => {
    const t = tempDir();
    try {
      const { pub } = keypair(t.dir, 'k');
      const priv = readFileSync(join(t.dir, 'k'), 'utf8');
      expect(() => parsePublicKey(priv)).toThrow(/private key/);
      expect(() => parsePublicKey(`${pub}\n${pub}`)).toThrow(/2 lines/);
      expect(() => parsePublicKey('')).toThrow(/No public key/);
      expect(() => parsePublicKey('ssh-dss AAAAB3NzaC1kc3MAAACBAP')).toThrow(/not an SSH public key type/);
      const [type, data] = pub.split(' ');
      expect(() => parsePublicKey(`${type} ${data!.slice(0, 30)}`)).toThrow(/damaged/);
      expect(() => parsePublicKey(`ecdsa-sha2-nistp256 ${data}`)).toThrow(/does not match its type/);
    } finally {
      t.cleanup();
    }
  });
});

describe('the access list scripts (run here by sh, as the host runs them)', () => {
  it('grants, names, refuses a taken name or a named key, lists "you", and revokes exactly what it added', async () => {
    const t = tempDir();
    try {
      const home = join(t.dir, 'home');
      const state = join(t.dir, 'state');
      const env = { PATH: process.env.PATH!, HOME: home };
      const a = keypair(t.dir, 'alice');
      const b = keypair(t.dir, 'bob');
      const key = (p: string): string => p.split(' ').slice(0, 2).join(' ');
      const sh = async (
        argv: string[],
        extra: Record<string, string> = {},
      ): Promise<{ code: number; out: string }> => {
        try {
          const r = await run(argv[0]!, argv.slice(1), { env: { ...env, ...extra } });
          return { code: 0, out: r.stdout };
        } catch (e) {
          return { code: (e as { code: number }).code, out: '' };
        }
      };
      // Someone's own line in authorized_keys stays as it is.
      execFileSync('mkdir', ['-p', join(home, '.ssh')]);
      writeFileSync(join(home, '.ssh', 'authorized_keys'), 'ssh-ed25519 AAAAexisting someone@else\n');
      expect((await sh(accessGrantCommand(state, 'alice', 'operator', key(a.pub), null, a.fp))).code).toBe(0);
      expect(
        (await sh(accessGrantCommand(state, 'bob', 'operator', key(b.pub), '20991231', b.fp))).code,
      ).toBe(0);
      expect((await sh(accessGrantCommand(state, 'alice', 'operator', key(b.pub), null, b.fp))).code).toBe(3);
      expect((await sh(accessGrantCommand(state, 'bobby', 'operator', key(b.pub), null, b.fp))).code).toBe(4);
      // Granting again is the same state.
      expect((await sh(accessGrantCommand(state, 'alice', 'operator', key(a.pub), null, a.fp))).code).toBe(0);
      const ak = (): string[] =>
        readFileSync(join(home, '.ssh', 'authorized_keys'), 'utf8')
          .trimEnd()
          .split('\n');
      expect(ak()).toEqual([
        'ssh-ed25519 AAAAexisting someone@else',
        `expiry-time="20991231" ${key(b.pub)} truffles:bob`,
        `${key(a.pub)} truffles:alice`,
      ]);
      // "You": the key this session logged in with (sshd's ExposeAuthInfo file).
      const auth = join(t.dir, 'auth');
      writeFileSync(auth, `publickey ${key(a.pub)}\n`);
      const listed = (await sh(accessListCommand(state), { SSH_USER_AUTH: auth })).out.trim().split('\n');
      expect(listed.map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual([
        `${b.fp} bob operator 20991231`,
        `${a.fp} alice operator -`,
        `@me ${a.fp}`,
      ]);
      expect((await sh(accessListCommand(state))).out.trim().split('\n').at(-1)).toBe('@me -');
      // Not oneself; an unknown name is no change; a known one goes from both files.
      expect((await sh(accessRevokeCommand(state, 'alice'), { SSH_USER_AUTH: auth })).code).toBe(5);
      expect((await sh(accessRevokeCommand(state, 'nobody'))).code).toBe(3);
      expect((await sh(accessRevokeCommand(state, 'bob'), { SSH_USER_AUTH: auth })).code).toBe(0);
      expect(ak()).toEqual(['ssh-ed25519 AAAAexisting someone@else', `${key(a.pub)} truffles:alice`]);
      expect(readFileSync(join(state, 'access', 'keys'), 'utf8')).not.toContain('bob');
    } finally {
      t.cleanup();
    }
  });
});
