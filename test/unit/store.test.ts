import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreError } from '../../src/main/core/errors';
import { atomicWriteFile } from '../../src/main/core/store/atomic';
import { CURRENT_SCHEMA_VERSION } from '../../src/main/core/store/schema';
import { Store } from '../../src/main/core/store/store';
import { tempDir } from '../helpers/tmp';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

describe('Store', () => {
  it('starts empty, persists changes with a schema version, and leaves no temporary files', async () => {
    const store = new Store(t.dir);
    expect((await store.read()).hosts).toEqual([]);
    await store.update((d) => {
      d.settings.language = 'ru';
    });
    const raw = JSON.parse(readFileSync(join(t.dir, 'store.json'), 'utf8'));
    expect(raw.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
    expect(raw.settings.language).toBe('ru');
    expect(readdirSync(t.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(join(t.dir, 'store.json')).length).toBeGreaterThan(0);
  });

  it('refuses a file from a newer version and a corrupt file, saying what to do', async () => {
    const store = new Store(t.dir);
    writeFileSync(store.file, JSON.stringify({ schemaVersion: 99 }));
    await expect(store.read()).rejects.toMatchObject({ code: 'store.too-new' });
    writeFileSync(store.file, '{"schemaVersion": 1, "hosts": [');
    const err = await store.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).code).toBe('store.corrupt');
    expect((err as CoreError).hint).toMatch(/move it aside|backup/i);
  });

  it('a change that throws writes nothing', async () => {
    const store = new Store(t.dir);
    await store.update((d) => {
      d.settings.language = 'ru';
    });
    const before = readFileSync(store.file, 'utf8');
    await expect(
      store.update((d) => {
        d.settings.language = 'en';
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(readFileSync(store.file, 'utf8')).toBe(before);
  });

  it('serialises concurrent updates from several processes (no lost update)', async () => {
    // Four processes each add 5 hosts through the real Store under its file lock.
    const script = `
      import { Store } from ${JSON.stringify(join(process.cwd(), 'src/main/core/store/store.ts'))};
      const s = new Store(process.argv[2]);
      for (let i = 0; i < 5; i++) {
        await s.update((d) => { d.hosts.push({ name: process.argv[3] + '-' + i, kind: 'local', address: 'localhost', port: 0, user: 'u', auth: { kind: 'none' }, dockerSocket: '/var/run/docker.sock', jump: [], labels: {}, baseDomain: null, registryMirror: null, addedAt: new Date().toISOString(), lastCheck: null }); });
      }`;
    writeFileSync(join(t.dir, 'w.mts'), script);
    await Promise.all(
      ['a', 'b', 'c', 'd'].map(
        (tag) =>
          new Promise<void>((resolve, reject) => {
            const p = spawn(
              process.execPath,
              ['--import', 'tsx', join(t.dir, 'w.mts'), join(t.dir, 'home'), tag],
              { stdio: 'inherit' },
            );
            p.on('exit', (code) =>
              code === 0 ? resolve() : reject(new Error(`writer ${tag} exited ${code}`)),
            );
          }),
      ),
    );
    const names = (await new Store(join(t.dir, 'home')).read()).hosts.map((h) => h.name).sort();
    expect(names).toHaveLength(20);
  });

  it('migrates a schema-1 file: hosts gain jump, labels, base domain and registry mirror', async () => {
    const store = new Store(t.dir);
    const v1 = {
      schemaVersion: 1,
      hosts: [
        {
          name: 'old',
          kind: 'ssh',
          address: 'a.example',
          port: 22,
          user: 'ops',
          auth: { kind: 'agent' },
          dockerSocket: '/var/run/docker.sock',
          addedAt: '2026-01-01T00:00:00Z',
          lastCheck: null,
        },
      ],
      knownHosts: {},
      settings: { language: 'ru' },
      secrets: {},
    };
    writeFileSync(store.file, JSON.stringify(v1));
    const data = await store.read();
    expect(data.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
    expect(data.hosts[0]).toMatchObject({
      name: 'old',
      jump: [],
      labels: {},
      baseDomain: null,
      registryMirror: null,
    });
    expect(data.settings.language).toBe('ru');
    // Written back as the current version on the next change.
    await store.update(() => undefined);
    expect(JSON.parse(readFileSync(store.file, 'utf8')).schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
  });

  it('migrates a schema-2 file: pins move from address:port to the whole route, none lost, none widened', async () => {
    const store = new Store(t.dir);
    const pin = (fp: string): Record<string, string> => ({
      algorithm: 'ssh-ed25519',
      fingerprint: fp,
      key: Buffer.from(fp).toString('base64'),
      pinnedAt: '2026-01-01T00:00:00Z',
    });
    const host = (
      name: string,
      address: string,
      port: number,
      jump: string[] = [],
    ): Record<string, unknown> => ({
      name,
      kind: 'ssh',
      address,
      port,
      user: 'ops',
      auth: { kind: 'agent' },
      dockerSocket: '/var/run/docker.sock',
      jump,
      labels: {},
      baseDomain: null,
      registryMirror: null,
      addedAt: '2026-01-01T00:00:00Z',
      lastCheck: null,
    });
    const v2 = {
      schemaVersion: 2,
      hosts: [
        host('gw', 'gw.example.kz', 22),
        host('mid', '10.1.0.2', 2200), // reached directly and as the second hop of 'app'
        host('app', '10.0.0.5', 22, ['gw', 'mid']),
        host('plain', 'plain.example.kz', 2222),
        host('broken', '10.9.9.9', 22, ['gone']),
      ],
      knownHosts: {
        'gw.example.kz': pin('SHA256:gw'),
        '[10.1.0.2]:2200': pin('SHA256:mid'),
        '10.0.0.5': pin('SHA256:app'),
        '[plain.example.kz]:2222': pin('SHA256:plain'),
        '10.9.9.9': pin('SHA256:broken'),
        'orphan.example.kz': pin('SHA256:orphan'),
      },
      settings: { language: 'en' },
      secrets: {},
      backup: { recipient: null, createdAt: null },
    };
    writeFileSync(store.file, JSON.stringify(v2));
    const data = await store.read();
    expect(data.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
    const fps = Object.fromEntries(Object.entries(data.knownHosts).map(([k, v]) => [k, v.fingerprint]));
    expect(fps).toEqual({
      // Direct routes keep their key.
      'gw.example.kz': 'SHA256:gw',
      '[10.1.0.2]:2200': 'SHA256:mid',
      '[plain.example.kz]:2222': 'SHA256:plain',
      // Every route 'app' connects by: its hop via gw, and itself.
      'gw.example.kz > [10.1.0.2]:2200': 'SHA256:mid',
      'gw.example.kz > [10.1.0.2]:2200 > 10.0.0.5': 'SHA256:app',
      // A chain that names a missing host, and a pin no host uses: kept as they were.
      '10.9.9.9': 'SHA256:broken',
      'orphan.example.kz': 'SHA256:orphan',
    });
    // 10.0.0.5 was only ever reached through gw and mid: no direct route trusts its key now.
    expect(data.knownHosts['10.0.0.5']).toBeUndefined();
    expect(data.knownHosts['gw.example.kz > [10.1.0.2]:2200 > 10.0.0.5']).toEqual(v2.knownHosts['10.0.0.5']);
  });

  it('atomic write replaces content whole', async () => {
    const f = join(t.dir, 'x.json');
    await atomicWriteFile(f, 'old');
    await atomicWriteFile(f, 'new content');
    expect(readFileSync(f, 'utf8')).toBe('new content');
  });
});
