import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL, AGENT_VERSION } from '../../src/shared/agent/protocol';
import type { Hello } from '../../src/shared/agent/protocol';
import { RequestError, serveDoor, type Door } from '../../src/agent/server';
import { AgentClient, FrameReader } from '../../src/main/core/health/client';
import { CoreError } from '../../src/main/core/errors';

// The console's client against the agent's real door (src/agent/server.ts) on a real Unix socket.

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function door(d: Partial<Door> & { hello?: () => Hello }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-door-'));
  const socket = join(dir, 'run', 'agent.sock');
  const server: Server = await serveDoor(
    socket,
    {
      hello:
        d.hello ??
        (() => ({
          agent: 'truffles-agent',
          version: AGENT_VERSION,
          protocol: AGENT_PROTOCOL,
          startedAt: 'x',
          methods: [],
        })),
      methods: d.methods ?? {},
      streams: d.streams ?? {},
    },
    null,
  );
  cleanups.push(
    () => new Promise<void>((r) => server.close(() => r())),
    () => rm(dir, { recursive: true, force: true }),
  );
  return socket;
}

async function client(socket: string): Promise<AgentClient> {
  const s = connect(socket);
  await new Promise((r) => s.once('connect', r));
  const c = await AgentClient.open(s, 'h1');
  cleanups.push(() => c.close());
  return c;
}

describe('agent protocol: the console client against the agent door', () => {
  it('answers requests by id, concurrently, and carries refusals as errors with the code', async () => {
    const socket = await door({
      methods: {
        ping: () => ({ pong: true, at: 'now' }),
        snapshot: async () => {
          await new Promise((r) => setTimeout(r, 50));
          return { slow: true };
        },
        history: () => {
          throw new RequestError('not-found', 'No history for a container named "x".');
        },
      },
    });
    const c = await client(socket);
    expect(c.hello.protocol).toBe(AGENT_PROTOCOL);
    const [slow, fast] = await Promise.all([c.request('snapshot', {}), c.request('ping', {})]);
    expect(slow).toEqual({ slow: true });
    expect(fast).toEqual({ pong: true, at: 'now' });
    const err = await c.request('history', { scope: 'host', range: '1h' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).code).toBe('agent.not-found');
    expect((err as CoreError).message).toContain('No history for a container named "x"');
  });

  it('refuses an unknown method with the list of known ones', async () => {
    const socket = await door({ methods: { ping: () => ({}) } });
    const c = await client(socket);
    const err = (await (c.request as (m: string, p: object) => Promise<unknown>)('reboot', {}).catch(
      (e: unknown) => e,
    )) as CoreError;
    expect(err.code).toBe('agent.unknown-method');
    expect(err.message).toContain('it knows: ping');
  });

  it('refuses an agent of another protocol version, saying which and what to do', async () => {
    const socket = await door({
      hello: () => ({ agent: 'truffles-agent', version: '9.0.0', protocol: 99, startedAt: 'x', methods: [] }),
    });
    const s = connect(socket);
    await new Promise((r) => s.once('connect', r));
    const err = (await AgentClient.open(s, 'h1').catch((e: unknown) => e)) as CoreError;
    expect(err.code).toBe('agent.protocol-version');
    expect(err.message).toContain('speaks protocol 99');
    expect(err.message).toContain(`protocol ${AGENT_PROTOCOL} only`);
    expect(err.hint).toContain('truffles agent update h1');
    expect(s.destroyed).toBe(true);
  });

  it('a stream delivers its events until closed; the agent hears the cancel and stops it', async () => {
    let stopped = 0;
    let tick: NodeJS.Timeout | null = null;
    const socket = await door({
      streams: {
        watch: (_p, send) => {
          let n = 0;
          tick = setInterval(() => send({ n: ++n }), 10);
          return () => {
            stopped += 1;
            if (tick) clearInterval(tick);
          };
        },
      },
    });
    const c = await client(socket);
    const got: unknown[] = [];
    const s = c.stream('watch', {}, (e) => got.push(e));
    await expect.poll(() => got.length).toBeGreaterThanOrEqual(3);
    s.close();
    await s.ended;
    await expect.poll(() => stopped).toBe(1);
    const after = got.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(got.length).toBeLessThanOrEqual(after + 1);
  });

  it('closing the socket ends the agent side of every open stream, and fails requests in flight', async () => {
    let stopped = 0;
    const socket = await door({
      methods: { snapshot: () => new Promise(() => undefined) },
      streams: { watch: () => () => void (stopped += 1) },
    });
    const c = await client(socket);
    c.stream('watch', {}, () => undefined);
    c.stream('watch', {}, () => undefined);
    const pending = c.request('snapshot', {}).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 30));
    c.close();
    expect(((await pending) as CoreError).code).toBe('agent.disconnected');
    await expect.poll(() => stopped).toBe(2);
  });

  it('reads a frame whose Cyrillic text is cut between two chunks in the middle of a character', () => {
    const bytes = Buffer.from(`${JSON.stringify({ id: 7, event: { text: 'Привет, мир' } })}\n`, 'utf8');
    const cut = bytes.indexOf(Buffer.from('и', 'utf8')) + 1; // inside the two bytes of «и»
    const reader = new FrameReader();
    expect(reader.push(bytes.subarray(0, cut))).toEqual([]);
    expect(reader.push(bytes.subarray(cut))).toEqual([{ id: 7, event: { text: 'Привет, мир' } }]);
  });
});
