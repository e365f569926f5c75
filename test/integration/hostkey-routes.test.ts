import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { startExtraSshd, type ExtraSshd } from '../helpers/sandbox';
import { addSandboxHost } from '../helpers/hosts';
import { tempDir } from '../helpers/tmp';

/**
 * Host-key pins are keyed by the whole route (issue 11, item 10). A real setup where one
 * address:port is two machines: a second network namespace with its own loopback holds a jump
 * host and a target sshd on 127.0.0.1:P; this namespace holds another jump host and another
 * target sshd on the same 127.0.0.1:P. Through jump host A, 127.0.0.1:P is one machine; through
 * jump host B it is another, with another host key; directly it is A's target again.
 */
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

const tag = randomBytes(3).toString('hex');
const ns = `tpins-${tag}`;
const vethHere = `tpa${tag}`;
const vethThere = `tpb${tag}`;
const octet = randomInt(1, 254);
const hereAddr = `10.231.${octet}.1`;
const thereAddr = `10.231.${octet}.2`;

let t: ReturnType<typeof tempDir>;
let core: Core;
const servers: ExtraSshd[] = [];
let jumpA: ExtraSshd;
let targetA: ExtraSshd;
let jumpB: ExtraSshd;
let targetB: ExtraSshd;

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'routes passphrase'),
    mode: 'cli',
    hostOptions: { connectTimeoutMs: 5000 },
  });
  ip('netns', 'add', ns);
  ip('link', 'add', vethHere, 'type', 'veth', 'peer', 'name', vethThere);
  ip('link', 'set', vethThere, 'netns', ns);
  ip('addr', 'add', `${hereAddr}/30`, 'dev', vethHere);
  ip('link', 'set', vethHere, 'up');
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${thereAddr}/30`, 'dev', vethThere);
  ip('netns', 'exec', ns, 'ip', 'link', 'set', vethThere, 'up');
  ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  const start = async (o: Parameters<typeof startExtraSshd>[0]): Promise<ExtraSshd> => {
    const s = await startExtraSshd(o);
    servers.push(s);
    return s;
  };
  jumpA = await start({});
  targetA = await start({});
  jumpB = await start({ netns: ns, listenAddress: thereAddr, port: 22 });
  targetB = await start({ netns: ns, port: targetA.port });
}, 120_000);

afterAll(async () => {
  await core?.close();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  try {
    ip('netns', 'del', ns); // takes its end of the veth pair, and so this end, with it
  } catch {
    // never made
  }
  t?.cleanup();
});

function pins(): Record<string, string> {
  const store = JSON.parse(readFileSync(join(t.dir, 'home', 'store.json'), 'utf8')) as {
    knownHosts: Record<string, { fingerprint: string }>;
  };
  return Object.fromEntries(Object.entries(store.knownHosts).map(([k, v]) => [k, v.fingerprint]));
}

describe('host-key pins by route', () => {
  it('two machines at one address:port behind two jump hosts, and the same address directly, each keep their own pin', async () => {
    expect(targetB.fingerprint).not.toBe(targetA.fingerprint);
    await addSandboxHost(core, 'gate-a', {
      address: '127.0.0.1',
      port: jumpA.port,
      acceptFingerprint: jumpA.fingerprint,
    });
    await addSandboxHost(core, 'gate-b', {
      address: thereAddr,
      port: 22,
      acceptFingerprint: jumpB.fingerprint,
    });

    const inner = { address: '127.0.0.1', port: targetA.port };
    const a = await addSandboxHost(core, 'inner-a', {
      ...inner,
      jump: ['gate-a'],
      acceptFingerprint: targetA.fingerprint,
    });
    // Before: "127.0.0.1:P is already pinned with another key" (hostkey.changed).
    const b = await addSandboxHost(core, 'inner-b', {
      ...inner,
      jump: ['gate-b'],
      acceptFingerprint: targetB.fingerprint,
    });
    const direct = await addSandboxHost(core, 'inner-direct', {
      ...inner,
      acceptFingerprint: targetA.fingerprint,
    });
    expect([a.fingerprint, b.fingerprint, direct.fingerprint]).toEqual([
      targetA.fingerprint,
      targetB.fingerprint,
      targetA.fingerprint,
    ]);

    const P = targetA.port;
    const gateA = `[127.0.0.1]:${jumpA.port}`;
    expect(pins()).toEqual({
      [gateA]: jumpA.fingerprint,
      [thereAddr]: jumpB.fingerprint,
      [`${gateA} > [127.0.0.1]:${P}`]: targetA.fingerprint,
      [`${thereAddr} > [127.0.0.1]:${P}`]: targetB.fingerprint,
      [`[127.0.0.1]:${P}`]: targetA.fingerprint,
    });

    // Each connects, verified against its own route's pin, and reaches its own machine.
    for (const name of ['inner-a', 'inner-b', 'inner-direct']) {
      const transport = await core.hosts.transport(name);
      const r = await transport.exec(['true'], { timeoutMs: 15_000 });
      expect(r.code, name).toBe(0);
    }
    const probeB = await core.hosts.probe('127.0.0.1', P, ['gate-b']);
    expect(probeB).toMatchObject({ fingerprint: targetB.fingerprint, known: 'match' });
    const probeA = await core.hosts.probe('127.0.0.1', P, ['gate-a']);
    expect(probeA).toMatchObject({ fingerprint: targetA.fingerprint, known: 'match' });

    // Forgetting one route's host removes that route's pin only.
    await core.hosts.forget('inner-b');
    expect(pins()[`${thereAddr} > [127.0.0.1]:${P}`]).toBeUndefined();
    expect(pins()[`${gateA} > [127.0.0.1]:${P}`]).toBe(targetA.fingerprint);
    expect(pins()[`[127.0.0.1]:${P}`]).toBe(targetA.fingerprint);
  }, 120_000);

  it('a changed key on one route is refused there and re-pinned there only', async () => {
    await addSandboxHost(core, 'inner-b2', {
      address: '127.0.0.1',
      port: targetB.port,
      jump: ['gate-b'],
      acceptFingerprint: targetB.fingerprint,
    });
    const newFp = await targetB.rotateHostKey();
    const changed = await core.hosts.check('inner-b2');
    expect(changed.status).toBe('key-changed');
    // The machine at the same address:port behind the other jump host is untouched.
    const other = await core.hosts.check('inner-a');
    expect(other.keyStatus).toBe('ok');
    expect(other.status).not.toMatch(/key-|unreachable/);

    await core.hosts.repin('inner-b2', newFp);
    const P = targetB.port;
    expect(pins()[`${thereAddr} > [127.0.0.1]:${P}`]).toBe(newFp);
    expect(pins()[`[127.0.0.1]:${jumpA.port} > [127.0.0.1]:${P}`]).toBe(targetA.fingerprint);
    expect(pins()[`[127.0.0.1]:${P}`]).toBe(targetA.fingerprint);
    expect((await core.hosts.check('inner-b2')).keyStatus).toBe('ok');
  }, 120_000);
});
