import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKnownKeys, isRevoked, parseKnownHosts } from '../../src/main/core/ssh/knownhosts';
import type { KnownHostEntry } from '../../src/main/core/ssh/knownhosts';
import { tempDir } from '../helpers/tmp';

let dir = '';
let cleanup = (): void => {};
/** `type base64` of each generated public key. */
const keys: Record<'ed' | 'ec', { type: string; b64: string; blob: Buffer }> = {} as never;

function keygen(...args: string[]): string {
  return execFileSync('ssh-keygen', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The fingerprints `ssh-keygen -lf` prints for a file, one per key line, in order. */
function keygenFingerprints(file: string): string[] {
  return keygen('-lf', file)
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '');
}

/** The line numbers `ssh-keygen -F name` reports for host keys (not CA lines) in a file. */
function keygenFind(file: string, name: string): number[] {
  let out: string;
  try {
    out = keygen('-F', name, '-f', file);
  } catch {
    return []; // exit status 1: not found
  }
  return [...out.matchAll(/^# Host .* found: line (\d+)(.*)$/gm)]
    .filter((m) => !/\bCA\b/.test(m[2] ?? ''))
    .map((m) => Number(m[1]));
}

const lineNumbers = (entries: KnownHostEntry[]): number[] => entries.map((e) => e.line);

beforeAll(() => {
  const t = tempDir('truffles-knownhosts-');
  dir = t.dir;
  cleanup = t.cleanup;
  for (const [name, type] of [
    ['ed', 'ed25519'],
    ['ec', 'ecdsa'],
  ] as const) {
    const path = join(dir, name);
    keygen('-q', '-t', type, '-f', path, '-N', '', '-C', `${name}@test`);
    const [kt = '', b64 = ''] = readFileSync(`${path}.pub`, 'utf8').trim().split(' ');
    keys[name] = { type: kt, b64, blob: Buffer.from(b64, 'base64') };
  }
});

afterAll(() => cleanup());

const line = (hosts: string, k: 'ed' | 'ec', extra = ''): string =>
  `${hosts} ${keys[k].type} ${keys[k].b64}${extra}`;

describe('parseKnownHosts', () => {
  it('reads plain and [host]:port lines with the key blob and the fingerprint ssh-keygen prints', () => {
    const file = join(dir, 'plain');
    writeFileSync(
      file,
      [line('example.com,alias.example', 'ed', ' a comment'), line('[127.0.0.1]:2222', 'ec')].join('\n'),
    );
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    expect(entries).toEqual([
      {
        hosts: ['example.com', 'alias.example'],
        hashed: null,
        keyType: 'ssh-ed25519',
        key: keys.ed.blob,
        fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/),
        marker: null,
        line: 1,
      },
      {
        hosts: ['[127.0.0.1]:2222'],
        hashed: null,
        keyType: 'ecdsa-sha2-nistp256',
        key: keys.ec.blob,
        fingerprint: expect.stringMatching(/^SHA256:/),
        marker: null,
        line: 2,
      },
    ]);
    expect(entries.map((e) => e.fingerprint)).toEqual(keygenFingerprints(file));
    expect(entries[0]?.fingerprint).toBe(keygenFingerprints(join(dir, 'ed.pub'))[0]);
    expect(entries[1]?.fingerprint).toBe(keygenFingerprints(join(dir, 'ec.pub'))[0]);
  });

  it('reads lines hashed by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(
      file,
      [line('example.com', 'ed'), line('hashed.example.com', 'ed'), line('[10.0.0.5]:2200', 'ec'), ''].join(
        '\n',
      ),
    );
    keygen('-H', '-f', file);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('hashed.example.com');
    const entries = parseKnownHosts(text);
    expect(entries).toHaveLength(3);
    for (const e of entries) {
      expect(e.hosts).toEqual([]);
      expect(e.hashed?.salt).toHaveLength(20);
      expect(e.hashed?.hash).toHaveLength(20);
    }
    expect(entries.map((e) => e.keyType)).toEqual(['ssh-ed25519', 'ssh-ed25519', 'ecdsa-sha2-nistp256']);
    expect(entries.map((e) => e.fingerprint)).toEqual(keygenFingerprints(file));
  });

  it('reads markers, CRLF and indented lines; skips comments, blank and malformed lines without throwing', () => {
    const text = [
      '# a comment', // 1
      '', // 2
      '   ', // 3
      line('@cert-authority *.corp', 'ed'), // 4
      line('@revoked bad.example', 'ec'), // 5
      line('@bogus host', 'ed'), // 6: unknown marker
      'garbage', // 7
      'host ssh-ed25519', // 8: no key
      'host ssh-ed25519 !!!not-base64', // 9
      `host ssh-rsa ${keys.ed.b64}`, // 10: the blob says ssh-ed25519
      'host 1024 35 1234567890', // 11: SSH-1 RSA
      line('|1|bad|hash', 'ed'), // 12: not base64 of 20 bytes
      line('|2|AAAA|AAAA', 'ed'), // 13: unknown hash kind
      line(',', 'ed'), // 14: no host
      `\t${line('indented.example', 'ed')}\r`, // 15
      `${line('crlf.example', 'ec')}\r`, // 16
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => [e.line, e.marker, e.hosts])).toEqual([
      [4, '@cert-authority', ['*.corp']],
      [5, '@revoked', ['bad.example']],
      [15, null, ['indented.example']],
      [16, null, ['crlf.example']],
    ]);
    expect(entries[3]?.key).toEqual(keys.ec.blob);
  });

  it('never throws on random input', () => {
    const pool = `|1|,[]:*?!@# \t\n\rAZaz09+/=${keys.ed.b64.slice(0, 20)}`;
    for (let i = 0; i < 200; i++) {
      let s = '';
      for (let j = 0; j < 400; j++) s += pool[Math.floor(Math.random() * pool.length)];
      expect(() => parseKnownHosts(s)).not.toThrow();
    }
  });
});

describe('findKnownKeys', () => {
  it('finds the hashed entry for the right host and port only (as ssh-keygen -F does)', () => {
    const file = join(dir, 'hashed-find');
    writeFileSync(
      file,
      [line('example.com', 'ec'), line('hashed.example.com', 'ed'), line('[10.0.0.5]:2200', 'ec'), ''].join(
        '\n',
      ),
    );
    keygen('-H', '-f', file);
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));

    const found = findKnownKeys(entries, 'hashed.example.com', 22);
    expect(found).toHaveLength(1);
    expect(found[0]?.key).toEqual(keys.ed.blob);
    expect(lineNumbers(found)).toEqual([2]);
    expect(lineNumbers(findKnownKeys(entries, '10.0.0.5', 2200))).toEqual([3]);
    expect(findKnownKeys(entries, '10.0.0.5', 2200)[0]?.key).toEqual(keys.ec.blob);
    // a hashed name is found case-insensitively, as ssh lowercases the host it looks up
    expect(lineNumbers(findKnownKeys(entries, 'HASHED.Example.com', 22))).toEqual([2]);

    expect(findKnownKeys(entries, 'hashed.example.com', 2222)).toEqual([]);
    expect(findKnownKeys(entries, '10.0.0.5', 22)).toEqual([]);
    expect(findKnownKeys(entries, 'other.example.com', 22)).toEqual([]);

    for (const [address, port] of [
      ['hashed.example.com', 22],
      ['example.com', 22],
      ['10.0.0.5', 2200],
      ['10.0.0.5', 22],
      ['hashed.example.com', 2222],
      ['other.example.com', 22],
    ] as const) {
      const name = port === 22 ? address : `[${address}]:${port}`;
      expect(lineNumbers(findKnownKeys(entries, address, port)), name).toEqual(keygenFind(file, name));
    }
  });

  it('matches plain names: address on port 22, [address]:port otherwise', () => {
    const entries = parseKnownHosts(
      [
        line('example.com,alias.example', 'ed'),
        line('[127.0.0.1]:2222', 'ec'),
        line('[example.com]:22', 'ec'),
      ].join('\n'),
    );
    expect(lineNumbers(findKnownKeys(entries, 'example.com', 22))).toEqual([1]);
    expect(lineNumbers(findKnownKeys(entries, 'ALIAS.example', 22))).toEqual([1]);
    expect(lineNumbers(findKnownKeys(entries, '127.0.0.1', 2222))).toEqual([2]);
    expect(findKnownKeys(entries, '127.0.0.1', 22)).toEqual([]);
    expect(findKnownKeys(entries, 'example.com', 2222)).toEqual([]);
  });

  it('applies wildcards and negations, skips @cert-authority and returns @revoked flagged, like ssh-keygen -F', () => {
    const file = join(dir, 'patterns');
    writeFileSync(
      file,
      [
        line('*.lan,!gw.lan', 'ed'), // 1
        line('web-?.corp', 'ed'), // 2
        line('[*.lan]:2222', 'ec'), // 3
        line('@revoked bad.lan', 'ec'), // 4
        line('@cert-authority *.lan', 'ed'), // 5
        line('UPPER.Example', 'ec'), // 6
        line('10.0.0.*,!10.0.0.9', 'ec'), // 7
        line('a*b*c', 'ed'), // 8
      ].join('\n'),
    );
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    const cases: Array<[string, number, number[]]> = [
      ['a.lan', 22, [1]],
      ['gw.lan', 22, []],
      ['web-1.corp', 22, [2]],
      ['web-12.corp', 22, []],
      ['x.lan', 2222, [3]],
      ['x.lan', 2223, []],
      ['bad.lan', 22, [1, 4]],
      ['upper.example', 22, [6]],
      ['10.0.0.7', 22, [7]],
      ['10.0.0.9', 22, []],
      ['axxbyyc', 22, [8]],
      ['axxbyy', 22, []],
    ];
    for (const [address, port, expected] of cases) {
      const name = port === 22 ? address : `[${address}]:${port}`;
      const found = findKnownKeys(entries, address, port);
      expect(lineNumbers(found), name).toEqual(expected);
      expect(lineNumbers(found), `${name} vs ssh-keygen -F`).toEqual(keygenFind(file, name));
    }
    const bad = findKnownKeys(entries, 'bad.lan', 22);
    expect(bad.map(isRevoked)).toEqual([false, true]);
    expect(bad[1]?.marker).toBe('@revoked');
    expect(findKnownKeys(entries, 'a.lan', 22).some((e) => e.marker === '@cert-authority')).toBe(false);
  });
});
