import { connect } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDoor } from '../../src/agent/server';
import type { Door } from '../../src/agent/server';
import { SUPPORT_LOG_TAIL, supportDoor } from '../../src/agent/supportDoor';
import { LineSplitter } from '../../src/shared/agent/protocol';
import { REDACTED, Redactor } from '../../src/shared/redact';
import { tempDir } from '../helpers/tmp';

const SECRET = 'Xq9v-2LpZ8s0aKfT';
let t: ReturnType<typeof tempDir>;
let server: Server;
let socketPath: string;
const changed: string[] = [];
const reads: string[][] = [];
let logsTail: unknown;

/** The agent's door as far as this test needs: reads that carry a secret, and writes that record they ran. */
const inner: Door = {
  hello: () => ({ agent: 'truffles-agent', version: 'x', protocol: 1, startedAt: 'now', methods: [] }),
  methods: {
    ping: () => ({ ok: true }),
    snapshot: () => ({ containers: [{ name: 'acme-postgres-1', healthOutput: `FATAL password ${SECRET}` }] }),
    'cost.conversation': (p) => ({ id: p['conversationId'], messages: [{ text: 'Здравствуйте' }] }),
    'alerts.ack': () => changed.push('alerts.ack'),
    'alerts.configure': () => changed.push('alerts.configure'),
    'cost.pricesSet': () => changed.push('cost.pricesSet'),
    'cost.reprice': () => changed.push('cost.reprice'),
  },
  streams: {
    logs: (p, send, ctx) => {
      logsTail = p['tail'];
      send({ line: `connecting with ${SECRET}` });
      send({ line: 'token=abc123def456' });
      ctx.end();
      return () => undefined;
    },
  },
};

/** One connection to the door: frames in, frames out. */
async function session(first: unknown): Promise<{
  send(frame: unknown): void;
  next(): Promise<Record<string, unknown>>;
  closed: Promise<void>;
  close(): void;
}> {
  const sock = connect(socketPath);
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const split = new LineSplitter();
  const frames: Record<string, unknown>[] = [];
  const waiting: Array<(f: Record<string, unknown>) => void> = [];
  sock.on('data', (c: Buffer) => {
    for (const l of split.push(c)) {
      if (!l.trim()) continue;
      const f = JSON.parse(l) as Record<string, unknown>;
      const w = waiting.shift();
      if (w) w(f);
      else frames.push(f);
    }
  });
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  sock.write(`${typeof first === 'string' ? first : JSON.stringify(first)}\n`);
  return {
    send: (frame) => sock.write(`${JSON.stringify(frame)}\n`),
    next: () =>
      frames.length ? Promise.resolve(frames.shift()!) : new Promise((resolve) => waiting.push(resolve)),
    closed,
    close: () => sock.destroy(),
  };
}

beforeAll(async () => {
  t = tempDir();
  socketPath = join(t.dir, 'support.sock');
  server = await serveDoor(
    socketPath,
    supportDoor(inner, {
      redactor: async () => new Redactor([SECRET]),
      recordRead: async (actor, method, subject, ref) => {
        reads.push([actor, method, subject, ref]);
      },
    }),
    null,
    { identified: true },
  );
});

afterAll(() => {
  server?.close();
  t?.cleanup();
});

describe('the support door', () => {
  it('answers nothing before its bridge names the person, and ends a connection that does not', async () => {
    for (const first of [
      { id: 1, method: 'ping' },
      { door: { actor: 'Anna; rm -rf /' } },
      { door: {} },
      'not json',
    ]) {
      const s = await session(first);
      const f = await s.next();
      expect(f).toMatchObject({ id: 0, error: { code: expect.stringMatching(/forbidden|bad-request/) } });
      await s.closed;
    }
  });

  it('serves the curated reads, every string redacted, and records reads of people’s data with who', async () => {
    const s = await session({ door: { actor: 'anna' } });
    const hello = (await s.next()) as { hello: { methods: string[] } };
    expect(hello.hello.methods).toEqual(
      expect.arrayContaining(['ping', 'snapshot', 'cost.conversation', 'logs']),
    );
    expect(hello.hello.methods).not.toContain('alerts.ack');
    s.send({ id: 1, method: 'snapshot' });
    const snap = await s.next();
    expect(JSON.stringify(snap)).not.toContain(SECRET);
    expect(JSON.stringify(snap)).toContain(REDACTED);
    s.send({ id: 2, method: 'cost.conversation', params: { tenant: 'acme', conversationId: '42' } });
    expect(await s.next()).toMatchObject({ id: 2, result: { id: '42' } });
    expect(reads).toEqual([['anna', 'cost.conversation', 'tenant:acme', 'conversation:42']]);
    // A client's own later "door" frame changes nothing.
    s.send({ door: { actor: 'boss' } });
    expect(await s.next()).toMatchObject({ id: 0, error: { code: 'bad-request' } });
    s.send({ id: 3, method: 'logs', params: { tail: 1_000_000 } });
    const lines = [await s.next(), await s.next(), await s.next()];
    expect(logsTail).toBe(SUPPORT_LOG_TAIL);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
    expect(JSON.stringify(lines)).not.toContain('abc123def456');
    expect(lines[2]).toEqual({ id: 3, end: true });
    s.close();
  });

  it('refuses every write by name and changes nothing; unknown methods stay unknown', async () => {
    const s = await session({ door: { actor: 'anna' } });
    await s.next();
    const writes = ['alerts.ack', 'alerts.configure', 'cost.pricesSet', 'cost.reprice'];
    for (const [i, method] of writes.entries()) {
      s.send({ id: i + 1, method, params: {} });
      const f = (await s.next()) as { error: { code: string; message: string } };
      expect(f.error.code).toBe('forbidden');
      expect(f.error.message).toContain(method);
    }
    s.send({ id: 9, method: 'docker.exec', params: {} });
    expect(await s.next()).toMatchObject({ id: 9, error: { code: 'unknown-method' } });
    expect(changed).toEqual([]);
    s.close();
  });
});
