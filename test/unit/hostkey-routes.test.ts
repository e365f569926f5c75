import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { pinIdOf, pinIdsUsedBy, routeId } from '../../src/main/core/ssh/hostkey';
import type { HostRecord } from '../../src/main/core/store/schema';
import { tempDir } from '../helpers/tmp';

/** Pins keyed by route (issue 11, item 10), at the store and service level; nothing is connected to. */
function rec(name: string, address: string, port: number, jump: string[] = []): HostRecord {
  return {
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
    stateDir: '/opt/truffles',
    addedAt: '2026-01-01T00:00:00Z',
    lastCheck: null,
  };
}
const pin = (fp: string): { algorithm: string; fingerprint: string; key: string; pinnedAt: string } => ({
  algorithm: 'ssh-ed25519',
  fingerprint: fp,
  key: Buffer.from(fp).toString('base64'),
  pinnedAt: '2026-01-01T00:00:00Z',
});

let t: ReturnType<typeof tempDir>;
let core: Core;
beforeEach(() => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'routes unit passphrase'),
    mode: 'cli',
  });
});
afterEach(async () => {
  await core.close();
  t.cleanup();
});

describe('route ids', () => {
  it('a direct host keeps its known_hosts name; a jumped one is the chain, first hop first', () => {
    const hosts = [rec('gw', 'gw.example.kz', 22), rec('mid', '10.1.0.2', 2200, ['gw'])];
    expect(routeId([{ address: '10.0.0.5', port: 22 }])).toBe('10.0.0.5');
    expect(pinIdOf(rec('app', '10.0.0.5', 22, ['gw', 'mid']), hosts)).toBe(
      'gw.example.kz > [10.1.0.2]:2200 > 10.0.0.5',
    );
    expect(pinIdsUsedBy(rec('app', '10.0.0.5', 22, ['gw', 'mid']), hosts)).toEqual([
      'gw.example.kz',
      'gw.example.kz > [10.1.0.2]:2200',
      'gw.example.kz > [10.1.0.2]:2200 > 10.0.0.5',
    ]);
    expect(pinIdOf(rec('app', '10.0.0.5', 22, ['gone']), hosts)).toBeNull();
  });
});

describe('HostService with route pins', () => {
  it('two hosts at one address behind different jump hosts show their own fingerprints', async () => {
    await core.store.update((d) => {
      d.hosts.push(rec('gw-a', 'gw-a.kz', 22), rec('gw-b', 'gw-b.kz', 22));
      d.hosts.push(rec('app-a', '10.0.0.5', 22, ['gw-a']), rec('app-b', '10.0.0.5', 22, ['gw-b']));
      d.knownHosts['gw-a.kz > 10.0.0.5'] = pin('SHA256:a');
      d.knownHosts['gw-b.kz > 10.0.0.5'] = pin('SHA256:b');
    });
    const views = Object.fromEntries((await core.hosts.list()).map((v) => [v.name, v.fingerprint]));
    expect(views).toMatchObject({ 'app-a': 'SHA256:a', 'app-b': 'SHA256:b', 'gw-a': null });
    // Forgetting one leaves the other's pin.
    await core.hosts.forget('app-a');
    const pins = (await core.store.read()).knownHosts;
    expect(Object.keys(pins)).toEqual(['gw-b.kz > 10.0.0.5']);
  });

  it('a jump host pinned directly is not trusted as the second hop of a chain; the error names both routes', async () => {
    await core.store.update((d) => {
      d.hosts.push(rec('gw', 'gw.kz', 22), rec('mid', 'mid.kz', 22));
      d.knownHosts['gw.kz'] = pin('SHA256:gw');
      d.knownHosts['mid.kz'] = pin('SHA256:mid');
    });
    const err = await core.hosts.probe('10.0.0.5', 22, ['gw', 'mid']).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'hostkey.unpinned' });
    expect((err as Error).message).toContain("'mid' is reached here by the route gw.kz > mid.kz");
    expect((err as Error).message).toContain('(mid.kz)');
  });
});
