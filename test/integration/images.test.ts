import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { mirrorImage, resolveImages } from '../../src/main/core/tenants/catalog';
import { addSandboxHost } from '../helpers/hosts';
import { sandbox } from '../helpers/sandbox';
import { tempDir } from '../helpers/tmp';

/** Images for hosts without a registry, against the real test host's Docker. */
let t: ReturnType<typeof tempDir>;
let core: Core;
const tag = `truffles/ship-test:${randomBytes(4).toString('hex')}`;
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' });

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'x'),
    mode: 'cli',
  });
  await addSandboxHost(core, 'sb');
});
afterAll(async () => {
  try {
    docker('rmi', '-f', tag);
  } catch {
    /* already gone */
  }
  await core.close();
  t.cleanup();
});

describe('image catalog and shipping', () => {
  it('a docker save tarball is streamed over SSH into docker load on the host', async () => {
    docker('tag', sandbox().images.redis, tag);
    const file = join(t.dir, 'image.tar');
    docker('save', '-o', file, tag);
    docker('rmi', tag);
    expect(() => docker('image', 'inspect', tag)).toThrow();
    const r = await core.images.ship('sb', { file });
    expect(r.loaded).toEqual([`Loaded image: ${tag}`]);
    expect(r.bytes).toBeGreaterThan(1024 * 1024);
    expect(docker('image', 'inspect', '-f', '{{.Id}}', tag).trim()).toMatch(/^sha256:/);
  });

  it('a file that is not a docker save tarball is refused with what to do', async () => {
    const file = join(t.dir, 'junk.tar');
    execFileSync('sh', ['-c', `head -c 100000 /dev/urandom > ${file}`]);
    await expect(core.images.ship('sb', { file })).rejects.toMatchObject({ code: 'images.load' });
    await expect(core.images.ship('sb', { file: join(t.dir, 'missing.tar') })).rejects.toMatchObject({
      code: 'images.file',
    });
  });

  it('a registry mirror rewrites every image; a host override wins', () => {
    expect(mirrorImage('postgres:15.10-bookworm', 'registry.example.kz:5000')).toBe(
      'registry.example.kz:5000/library/postgres:15.10-bookworm',
    );
    expect(mirrorImage('docker.n8n.io/n8nio/n8n:1.123.5', 'registry.example.kz/mirror')).toBe(
      'registry.example.kz/mirror/n8nio/n8n:1.123.5',
    );
    const r = resolveImages({ registryMirror: 'registry.example.kz' }, { images: { redis: 'site/redis:7' } });
    expect(r.images.redis).toBe('site/redis:7');
    expect(r.origin).toMatchObject({ redis: 'host', postgres: 'mirror' });
    expect(r.images.qdrant).toBe('registry.example.kz/qdrant/qdrant:v1.13.6-unprivileged');
  });

  it('bad catalog values are refused and the catalog on the host is unchanged', async () => {
    const before = await core.images.show('sb');
    await expect(core.images.set('sb', { redis: 'not a ref!' })).rejects.toMatchObject({
      code: 'images.ref',
    });
    await expect(core.images.set('sb', { mongo: 'mongo:7' })).rejects.toMatchObject({ code: 'images.key' });
    expect(await core.images.show('sb')).toEqual(before);
  });
});
