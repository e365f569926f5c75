import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  inventoryName,
  knownHostsVerdict,
  planImport,
  trustedKnownKey,
  type SourcedKnownHost,
} from '../../src/main/core/hosts/importer';
import { parseKnownHosts } from '../../src/main/core/ssh/knownhosts';
import type { ImportedHost } from '../../src/main/core/ssh/sshconfig';
import { CURRENT_SCHEMA_VERSION, type StoreData } from '../../src/main/core/store/schema';
import { tempDir } from '../helpers/tmp';

let t: ReturnType<typeof tempDir>;
const pub: Record<'ed' | 'ec' | 'rsa', string> = { ed: '', ec: '', rsa: '' };

function keygen(type: string, name: string): string {
  const path = join(t.dir, name);
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(type === 'rsa' ? ['-b', '2048'] : []),
    '-N',
    '',
    '-f',
    path,
  ]);
  return readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

function known(text: string): SourcedKnownHost[] {
  return parseKnownHosts(text).map((e) => ({ ...e, source: `kh:${e.line}` }));
}

function blob(line: string): Buffer {
  return Buffer.from(line.split(' ')[1] ?? '', 'base64');
}

const empty = (): StoreData => ({
  schemaVersion: CURRENT_SCHEMA_VERSION,
  hosts: [],
  knownHosts: {},
  settings: { language: 'en' },
  secrets: {},
  backup: { recipient: null, createdAt: null },
  auditCheckpoints: {},
});

function imported(name: string, over: Partial<ImportedHost> = {}): ImportedHost {
  return {
    name,
    address: `${name}.example.kz`,
    port: 22,
    user: 'ops',
    identityFiles: [],
    proxyJump: [],
    jumpHosts: [],
    source: `config:1`,
    ...over,
  };
}

beforeAll(() => {
  t = tempDir();
  pub.ed = keygen('ed25519', 'ed');
  pub.ec = keygen('ecdsa', 'ec');
  pub.rsa = keygen('rsa', 'rsa');
});
afterAll(() => t.cleanup());

describe('inventoryName', () => {
  it('keeps valid aliases and repairs the others', () => {
    expect(inventoryName('almaty-1')).toBe('almaty-1');
    expect(inventoryName('prod web')).toBe('prod-web');
    expect(inventoryName('_x.y_')).toBe('x.y');
    expect(inventoryName('кластер')).toBeNull();
    expect(inventoryName('a'.repeat(80))).toHaveLength(63);
  });
});

describe('trusted keys from known_hosts', () => {
  it('prefers the algorithm the client negotiates first (ed25519 over ecdsa over rsa)', () => {
    const entries = known(`h.kz ${pub.rsa}\nh.kz ${pub.ec}\nh.kz ${pub.ed}\n`);
    const v = trustedKnownKey(entries, 'h.kz', 22);
    expect(v.status).toBe('trusted');
    expect(v.key?.keyType).toBe('ssh-ed25519');
    expect(v.key?.source).toBe('kh:3');
  });

  it('never trusts a revoked key, even when another line names the host', () => {
    const entries = known(`h.kz ${pub.ed}\n@revoked * ${pub.ed}\n`);
    expect(trustedKnownKey(entries, 'h.kz', 22)).toEqual({ key: null, status: 'revoked' });
    expect(knownHostsVerdict(entries, 'h.kz', 22, blob(pub.ed)).status).toBe('revoked');
  });

  it('says match, mismatch (same algorithm, other key) or absent for an offered key', () => {
    const entries = known(`[h.kz]:2200 ${pub.ed}\n`);
    expect(knownHostsVerdict(entries, 'h.kz', 2200, blob(pub.ed))).toEqual({
      status: 'match',
      source: 'kh:1',
    });
    const other = keygen('ed25519', 'other');
    expect(knownHostsVerdict(entries, 'h.kz', 2200, blob(other)).status).toBe('mismatch');
    // Another algorithm is not a contradiction: hosts hold several keys.
    expect(knownHostsVerdict(entries, 'h.kz', 2200, blob(pub.ec)).status).toBe('absent');
    expect(knownHostsVerdict(entries, 'h.kz', 22, blob(pub.ed)).status).toBe('absent');
  });
});

describe('planImport', () => {
  const opts = { sshDir: '/nonexistent/.ssh', agent: true };

  it('maps a hop to a host already in the inventory and orders jump hosts first', async () => {
    const data = empty();
    data.hosts.push({
      name: 'bastion',
      kind: 'ssh',
      address: 'gw.example.kz',
      port: 22,
      user: 'ops',
      auth: { kind: 'agent' },
      dockerSocket: '/var/run/docker.sock',
      jump: [],
      labels: {},
      baseDomain: null,
      registryMirror: null,
      stateDir: '/opt/truffles',
      addedAt: '2026-01-01T00:00:00Z',
      lastCheck: null,
    });
    const hosts = [
      imported('app', { jumpHosts: [{ address: 'mid.example.kz', port: 22 }], proxyJump: ['mid'] }),
      imported('mid', {
        jumpHosts: [{ address: 'gw.example.kz', port: 22, user: 'ops' }],
        proxyJump: ['ops@gw'],
      }),
      imported('gw-again', { address: 'gw.example.kz' }),
    ];
    const plan = await planImport(hosts, [], data, opts);
    expect(plan.map((c) => [c.alias, c.action, c.jump])).toEqual([
      ['mid', 'add', ['bastion']],
      ['app', 'add', ['mid']],
      ['gw-again', 'exists', []],
    ]);
    expect(plan[2]?.note).toContain("'bastion'");
  });

  it('one address behind another jump host is another host: not "exists", and not given the other pin', async () => {
    const data = empty();
    const rec = (name: string, address: string, jump: string[] = []): StoreData['hosts'][number] => ({
      name,
      kind: 'ssh',
      address,
      port: 22,
      user: 'ops',
      auth: { kind: 'agent' },
      dockerSocket: '/var/run/docker.sock',
      jump,
      labels: {},
      baseDomain: null,
      registryMirror: null,
      stateDir: '/opt/truffles',
      addedAt: '2026-01-01T00:00:00Z',
      lastCheck: null,
    });
    data.hosts.push(
      rec('gw-a', 'gw-a.example.kz'),
      rec('gw-b', 'gw-b.example.kz'),
      rec('app-a', '10.0.0.5', ['gw-a']),
    );
    data.knownHosts['gw-a.example.kz > 10.0.0.5'] = {
      algorithm: 'ssh-ed25519',
      fingerprint: 'SHA256:app-a',
      key: 'AAAA',
      pinnedAt: '2026-01-01T00:00:00Z',
    };
    const hosts = [
      imported('app-b', {
        address: '10.0.0.5',
        jumpHosts: [{ address: 'gw-b.example.kz', port: 22 }],
        proxyJump: ['gw-b'],
      }),
      imported('app-a-again', {
        address: '10.0.0.5',
        jumpHosts: [{ address: 'gw-a.example.kz', port: 22 }],
        proxyJump: ['gw-a'],
      }),
    ];
    const plan = await planImport(hosts, [], data, opts);
    expect(plan.find((c) => c.alias === 'app-b')).toMatchObject({
      action: 'add',
      jump: ['gw-b'],
      knownKey: null,
    });
    expect(plan.find((c) => c.alias === 'app-a-again')).toMatchObject({ action: 'exists' });
  });

  it('skips a host whose hop is unknown, and the hosts that go through it', async () => {
    const hosts = [
      imported('edge', {
        jumpHosts: [{ address: 'nowhere.kz', port: 2200, user: 'x' }],
        proxyJump: ['x@nowhere.kz:2200'],
      }),
      imported('deep', { jumpHosts: [{ address: 'edge.example.kz', port: 22 }], proxyJump: ['edge'] }),
    ];
    const plan = await planImport(hosts, [], empty(), opts);
    expect(plan.find((c) => c.alias === 'edge')).toMatchObject({ action: 'skip' });
    expect(plan.find((c) => c.alias === 'edge')?.note).toContain('x@nowhere.kz:2200');
    expect(plan.find((c) => c.alias === 'deep')).toMatchObject({ action: 'skip' });
  });

  it('refuses values that are not addresses or users instead of importing them', async () => {
    const plan = await planImport(
      [imported('bad-user', { user: 'root;rm -rf /' }), imported('bad-addr', { address: 'a b' })],
      [],
      empty(),
      opts,
    );
    expect(plan.map((c) => c.action)).toEqual(['skip', 'skip']);
  });

  it('takes the trusted key from known_hosts and notes the hosts left to confirm', async () => {
    const plan = await planImport(
      [imported('a'), imported('b')],
      known(`a.example.kz ${pub.ed}\n`),
      empty(),
      { sshDir: '/nonexistent/.ssh', agent: false },
    );
    expect(plan[0]?.knownKey?.algorithm).toBe('ssh-ed25519');
    expect(plan[1]?.knownKey).toBeNull();
    expect(plan[1]?.note).toMatch(/confirm/);
    expect(plan[1]?.note).toMatch(/ssh-agent/);
  });
});
