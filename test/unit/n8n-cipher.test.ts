import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { n8nEncrypt } from '../../src/main/core/tenants/steps/data';

describe("n8n's credential cipher", () => {
  it('writes what OpenSSL reads back as aes-256-cbc with an MD5 key derivation (n8n-core Cipher’s format)', () => {
    const key = 'k3y-0f-a-tenant+with/odd=chars';
    const plain = JSON.stringify({ user: 'truffles', password: 'p@ss "quoted" ü', port: 5432 });
    const enc = n8nEncrypt(plain, key);
    expect(Buffer.from(enc, 'base64').subarray(0, 8).toString()).toBe('Salted__');
    expect(n8nEncrypt(plain, key)).not.toBe(enc);
    const r = spawnSync(
      'openssl',
      ['enc', '-d', '-aes-256-cbc', '-md', 'md5', '-a', '-A', '-pass', `pass:${key}`],
      {
        input: enc,
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(plain);
  });
});
