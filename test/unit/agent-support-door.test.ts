import { connect } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDoor } from '../../src/agent/server';
import type { Door } from '../../src/agent/server';
import { SUPPORT_LOG_TAIL, supportDoor } from '../../src/agent/supportDoor';
import type { AccessStanding } from '../../src/agent/supportDoor';
import { standingIn } from '../../src/agent/supportServe';
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
const watchStops: number[] = [];
/** The host's access list as the door reads it: who may look now. */
const standing = new Map<string, AccessStanding>([
  ['anna', 'granted'],
  ['sam', 'granted'],
]);

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
    // A watch that stays open until stopped (as the agent's does), counting its stops.
    watch: (_p, send) => {
      send({ snapshot: { containers: [] } });
      return () => watchStops.push(1);
    },
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
      access: async (actor) => standing.get(actor) ?? 'revoked',
      recheckMs: 50,
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

  it('a revoke reaches a connection already open: its next read is refused, its followed watch ends', async () => {
    standing.set('rita', 'granted');
    const s = await session({ door: { actor: 'rita' } });
    await s.next();
    s.send({ id: 1, method: 'ping' });
    expect(await s.next()).toMatchObject({ id: 1, result: { ok: true } });
    s.send({ id: 2, method: 'watch' });
    expect(await s.next()).toMatchObject({ id: 2, event: { snapshot: { containers: [] } } });
    // Revoked on the host (the console's revoke rewrites the access list) while the connection stays open.
    standing.set('rita', 'revoked');
    const ended = (await s.next()) as { id: number; error: { code: string; message: string } };
    expect(ended).toMatchObject({ id: 2, error: { code: 'forbidden' } });
    expect(ended.error.message).toMatch(/"rita".*revoked/);
    expect(watchStops.length).toBe(1);
    s.send({ id: 3, method: 'snapshot' });
    expect(await s.next()).toMatchObject({ id: 3, error: { code: 'forbidden' } });
    // Expired, and a list that cannot be read: refused too, saying which.
    standing.set('rita', 'expired');
    s.send({ id: 4, method: 'ping' });
    expect(await s.next()).toMatchObject({
      id: 4,
      error: { code: 'forbidden', message: expect.stringMatching(/passed/) },
    });
    standing.set('rita', 'unreadable');
    s.send({ id: 5, method: 'ping' });
    expect(await s.next()).toMatchObject({
      id: 5,
      error: { message: expect.stringMatching(/access list cannot be read/) },
    });
    // A person never granted is refused from the first request.
    const n = await session({ door: { actor: 'nobody' } });
    await n.next();
    n.send({ id: 1, method: 'ping' });
    expect(await n.next()).toMatchObject({ id: 1, error: { code: 'forbidden' } });
    n.close();
    s.close();
  });

  it('reads a person’s standing from the host’s access list', () => {
    const list = [
      'SHA256:aaa anna support - 2026-01-01T00:00:00Z',
      'SHA256:bbb olga operator - 2026-01-01T00:00:00Z',
      'SHA256:ccc sam support 20261208 2026-01-01T00:00:00Z',
      '',
    ].join('\n');
    const day = new Date('2026-12-07T23:59:00Z');
    expect(standingIn(list, 'anna', day)).toBe('granted');
    expect(standingIn(list, 'sam', day)).toBe('granted');
    expect(standingIn(list, 'sam', new Date('2026-12-08T00:00:00Z'))).toBe('expired');
    // An operator's name is not a support person's (the door serves support only), nor is a stranger.
    expect(standingIn(list, 'olga', day)).toBe('revoked');
    expect(standingIn(list, 'zed', day)).toBe('revoked');
    expect(standingIn('', 'anna', day)).toBe('revoked');
  });
});
