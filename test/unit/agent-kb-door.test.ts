import type { Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askWorker, kbReadMethods } from '../../src/agent/kbDoor';
import { RequestError, serveDoor } from '../../src/agent/server';
import type { Door } from '../../src/agent/server';
import { supportDoor } from '../../src/agent/supportDoor';
import { REDACTED, Redactor } from '../../src/shared/redact';
import { tempDir } from '../helpers/tmp';

/**
 * The agent's knowledge-base reads (issue 17): passed on to the worker's own socket with only the
 * parameters each takes, and through the support door redacted. The worker here is a door on a real
 * Unix socket answering as the worker's protocol does; what it received is kept to compare.
 */
const SECRET = 'kb-Secret-7Hq2Lw9Zp4';
const DOC = '0b6f7d1e-3c2a-4e8b-9f10-5a6b7c8d9e0f';
let t: ReturnType<typeof tempDir>;
let worker: Server;
let workerSocket: string;
const received: Array<[string, Record<string, unknown>]> = [];

const workerDoor: Door = {
  hello: () => ({ agent: 'truffles-kb', version: 'x', protocol: 1, startedAt: 'now', methods: [] }),
  methods: {
    'kb.documents': (p) => {
      received.push(['kb.documents', p]);
      return { summary: { tenant: p['tenant'], documents: 1 }, documents: [{ id: DOC, filename: 'faq.md' }] };
    },
    'kb.jobs': (p) => {
      received.push(['kb.jobs', p]);
      return [];
    },
    'kb.chunks': (p) => {
      received.push(['kb.chunks', p]);
      throw new RequestError('not-found', `No document ${String(p['document'])}.`);
    },
    'kb.search': (p) => {
      received.push(['kb.search', p]);
      return { hits: [{ content: `The admin password is ${SECRET}.`, score: 0.9 }] };
    },
    'kb.delete': () => {
      received.push(['kb.delete', {}]);
      return { deleted: true };
    },
  },
  streams: {},
};

beforeAll(async () => {
  t = tempDir();
  workerSocket = join(t.dir, 'kb.sock');
  worker = await serveDoor(workerSocket, workerDoor, null);
});

afterAll(() => {
  worker?.close();
  t?.cleanup();
});

describe("the agent's knowledge-base reads", () => {
  it('pass each read on with only the parameters it takes, and keep the worker’s refusals', async () => {
    const m = kbReadMethods(() => workerSocket);
    const caller = { actor: null };
    expect(await m['kb.documents']!({ tenant: 'acme', extra: 'x' }, caller)).toMatchObject({
      documents: [{ filename: 'faq.md' }],
    });
    await m['kb.search']!({ tenant: 'acme', query: 'пароль', topK: 3, by: 'mallory', apply: true }, caller);
    expect(received.slice(-2)).toEqual([
      ['kb.documents', { tenant: 'acme' }],
      ['kb.search', { tenant: 'acme', query: 'пароль', topK: 3 }],
    ]);
    await expect(
      Promise.resolve().then(() => m['kb.chunks']!({ tenant: 'acme', document: DOC, limit: 10 }, caller)),
    ).rejects.toMatchObject({ code: 'not-found', message: `No document ${DOC}.` });
    expect(received.at(-1)).toEqual(['kb.chunks', { tenant: 'acme', document: DOC, limit: 10 }]);
    // Bad parameters are refused before the worker is asked.
    const asked = received.length;
    for (const [method, params] of [
      ['kb.documents', { tenant: '../etc' }],
      ['kb.chunks', { tenant: 'acme', document: 'not-a-uuid' }],
      ['kb.chunks', { tenant: 'acme', document: DOC, limit: 100000 }],
      ['kb.search', { tenant: 'acme', query: '' }],
      ['kb.search', { tenant: 'acme', query: 'x'.repeat(5000) }],
    ] as const)
      await expect(
        Promise.resolve().then(() => m[method]!(params as Record<string, unknown>, caller)),
      ).rejects.toMatchObject({ code: 'bad-request' });
    expect(received.length).toBe(asked);
    // No write is among them.
    expect(Object.keys(m).sort()).toEqual(['kb.chunks', 'kb.documents', 'kb.jobs', 'kb.search']);
  });

  it('a host with no worker says so, with what to do', async () => {
    await expect(askWorker(join(t.dir, 'none.sock'), 'kb.jobs', {}, 5000)).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/No knowledge-base worker runs on this host.*truffles kb install/),
    });
  });

  it('through the support door: served redacted; the worker’s writes are not reachable', async () => {
    const agent: Door = {
      hello: () => ({ agent: 'truffles-agent', version: 'x', protocol: 1, startedAt: 'now', methods: [] }),
      methods: { ...kbReadMethods(() => workerSocket) },
      streams: {},
    };
    const door = supportDoor(agent, {
      access: async () => 'granted',
      redactor: async () => new Redactor([SECRET]),
      recordRead: async () => undefined,
    });
    const caller = { actor: 'sam' };
    const hit = JSON.stringify(await door.methods['kb.search']!({ tenant: 'acme', query: 'пароль' }, caller));
    expect(hit).not.toContain(SECRET);
    expect(hit).toContain(REDACTED);
    expect(door.methods['kb.delete']).toBeUndefined();
    expect(door.hello().methods.sort()).toEqual(['kb.chunks', 'kb.documents', 'kb.jobs', 'kb.search']);
    // Without a person named by the bridge, nothing.
    await expect(
      Promise.resolve().then(() => door.methods['kb.documents']!({ tenant: 'acme' }, { actor: null })),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });
});
