import { describe, expect, it } from 'vitest';
import type { AppEvent, TrufflesApi } from '../../src/shared/contract';
import { ApiError, call, createBridgeClient, setApi, subscribingApi } from '../../src/renderer/src/api';
import type { SocketLike } from '../../src/renderer/src/api';

/** A WebSocket stand-in the test drives by hand. */
class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  sent: string[] = [];
  constructor(readonly url: string) {}
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }
  close(): void {
    this.drop();
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.({});
  }
  reply(data: unknown): void {
    this.onmessage?.({ data: JSON.stringify(data) });
  }
  frames(): { id: number; cmd: string; input: unknown }[] {
    return this.sent.map((s) => JSON.parse(s) as { id: number; cmd: string; input: unknown });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const client = createBridgeClient({
    url: 'ws://127.0.0.1:9999/bridge',
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    backoffMs: [100, 200, 400],
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => {
      (h as { cleared: boolean }).cleared = true;
    },
  });
  const last = (): FakeSocket => {
    const s = sockets[sockets.length - 1];
    if (!s) throw new Error('no socket');
    return s;
  };
  const fireTimer = (): void => {
    const t = timers.filter((x) => !x.cleared).pop();
    if (!t) throw new Error('no timer');
    t.cleared = true;
    t.fn();
  };
  return { client, sockets, timers, last, fireTimer };
}

describe('browser bridge client', () => {
  it('connects to the given URL, queues calls until open, and matches answers by id', async () => {
    const h = harness();
    expect(h.last().url).toBe('ws://127.0.0.1:9999/bridge');
    expect(h.client.connectionState).toBe('connecting');
    const p1 = h.client.invoke('app.info', {});
    const p2 = h.client.invoke('hosts.check', { name: 'almaty-1' });
    expect(h.last().sent).toEqual([]);
    h.last().open();
    expect(h.client.connectionState).toBe('open');
    const frames = h.last().frames();
    expect(frames.map((f) => f.cmd)).toEqual(['app.info', 'hosts.check']);
    expect(frames[1]?.input).toEqual({ name: 'almaty-1' });
    // Answers may come in any order.
    h.last().reply({ id: frames[1]?.id, result: { ok: false, error: { code: 'x', message: 'second' } } });
    h.last().reply({ id: frames[0]?.id, result: { ok: true, value: { version: '1' } } });
    expect(await p1).toEqual({ ok: true, value: { version: '1' } });
    expect(await p2).toEqual({ ok: false, error: { code: 'x', message: 'second' } });
  });

  it('delivers pushed events to listeners until they unsubscribe', () => {
    const h = harness();
    h.last().open();
    const seen: AppEvent[] = [];
    const off = h.client.onEvent((e) => seen.push(e));
    h.last().reply({ event: { type: 'hosts.changed' } });
    off();
    h.last().reply({ event: { type: 'hosts.changed' } });
    h.last().onmessage?.({ data: 'not json' });
    expect(seen).toEqual([{ type: 'hosts.changed' }]);
  });

  it('fails calls in flight with bridge.disconnected when the socket drops, then reconnects with backoff', async () => {
    const h = harness();
    const states: string[] = [];
    h.client.onConnection((s) => states.push(s));
    h.last().open();
    const pending = h.client.invoke('hosts.list', {});
    h.last().drop();
    const r = await pending;
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bridge.disconnected');
      expect(r.error.hint).toBeTruthy();
    }
    expect(h.client.connectionState).toBe('closed');
    expect(h.timers.at(-1)?.ms).toBe(100);
    h.fireTimer();
    expect(h.sockets).toHaveLength(2);
    h.last().drop(); // the server is still down
    expect(h.timers.at(-1)?.ms).toBe(200);
    h.fireTimer();
    h.last().open();
    expect(states).toEqual(['open', 'closed', 'connecting', 'closed', 'connecting', 'open']);
    // After a successful open the backoff starts over.
    h.last().drop();
    expect(h.timers.at(-1)?.ms).toBe(100);
  });

  it('a call made while waiting out the backoff reconnects at once', async () => {
    const h = harness();
    h.last().drop();
    expect(h.sockets).toHaveLength(1);
    const p = h.client.invoke('settings.get', {});
    expect(h.sockets).toHaveLength(2);
    h.last().open();
    const id = h.last().frames()[0]?.id;
    h.last().reply({ id, result: { ok: true, value: { language: 'ru' } } });
    expect(await p).toEqual({ ok: true, value: { language: 'ru' } });
  });

  it('close() stops reconnecting and fails what is pending', async () => {
    const h = harness();
    const p = h.client.invoke('app.info', {});
    h.client.close();
    const r = await p;
    expect(r.ok).toBe(false);
    expect(h.timers.filter((t) => !t.cleared)).toEqual([]);
    const after = await h.client.invoke('app.info', {});
    expect(after.ok).toBe(false);
  });
});

describe('call()', () => {
  it('unwraps a successful Result and throws ApiError with code, message, hint and details', async () => {
    setApi({
      invoke: (name) =>
        Promise.resolve(
          name === 'settings.get'
            ? { ok: true, value: { language: 'en' } }
            : {
                ok: false,
                error: {
                  code: 'ssh.auth',
                  message: 'refused',
                  hint: 'add the key',
                  details: { user: 'root' },
                },
              },
        ) as never,
      onEvent: () => () => {},
    });
    try {
      expect(await call('settings.get', {})).toEqual({ language: 'en' });
      const err = await call('hosts.list', {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({
        code: 'ssh.auth',
        message: 'refused',
        hint: 'add the key',
        details: { user: 'root' },
      });
    } finally {
      setApi(null);
    }
  });

  it('turns a transport that throws into an ApiError', async () => {
    setApi({ invoke: () => Promise.reject(new Error('ipc gone')), onEvent: () => () => {} });
    try {
      const err = await call('app.info', {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('bridge.failed');
      expect((err as ApiError).message).toContain('ipc gone');
    } finally {
      setApi(null);
    }
  });

  it('offers the given subprotocols, and stops for good when the server ends the session', async () => {
    const offered: (string[] | undefined)[] = [];
    const sockets: FakeSocket[] = [];
    const timers: unknown[] = [];
    const fatals: unknown[] = [];
    const client = createBridgeClient({
      url: 'ws://127.0.0.1:9999/bridge',
      protocols: ['truffles.v1', 'truffles.session.abc'],
      createSocket: (url, protocols) => {
        offered.push(protocols);
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      setTimer: (fn) => {
        timers.push(fn);
        return fn;
      },
      clearTimer: () => {},
      onFatal: (e) => fatals.push(e),
    });
    expect(offered).toEqual([['truffles.v1', 'truffles.session.abc']]);
    const socket = sockets[0]!;
    socket.open();
    const pending = client.invoke('app.info', {});
    const error = {
      code: 'web.session-expired',
      message: 'This browser session ended.',
      hint: 'Start again.',
    };
    socket.reply({ fatal: error });
    socket.drop();
    expect(await pending).toEqual({ ok: false, error });
    expect(await client.invoke('app.info', {})).toEqual({ ok: false, error });
    expect(fatals).toEqual([error]);
    expect(timers).toEqual([]); // no reconnect
    expect(sockets).toHaveLength(1);
    expect(client.connectionState).toBe('ended');
  });
});

describe('the page subscribes to events (issue 12, item 5)', () => {
  it('on each new socket while it has listeners, and unsubscribes when the last listener goes', async () => {
    const h = harness();
    h.last().open();
    expect(h.last().frames()).toEqual([]); // no listener, no subscription
    const off = h.client.onEvent(() => undefined);
    const first = h.last().frames();
    expect(first.map((f) => [f.cmd, f.input])).toEqual([['events.subscribe', { topics: ['*'] }]]);
    h.last().reply({ id: first[0]?.id, result: { ok: true, value: { id: 'sub-1' } } });
    await Promise.resolve();
    // A second listener shares the subscription.
    const off2 = h.client.onEvent(() => undefined);
    expect(h.last().frames()).toHaveLength(1);
    // The socket drops: the server ended its subscriptions; the new socket subscribes again.
    h.last().drop();
    h.fireTimer();
    h.last().open();
    expect(
      h
        .last()
        .frames()
        .map((f) => f.cmd),
    ).toEqual(['events.subscribe']);
    const again = h.last().frames()[0];
    h.last().reply({ id: again?.id, result: { ok: true, value: { id: 'sub-2' } } });
    await new Promise((r) => setTimeout(r, 0));
    off();
    off2();
    expect(
      h
        .last()
        .frames()
        .map((f) => [f.cmd, f.input]),
    ).toEqual([
      ['events.subscribe', { topics: ['*'] }],
      ['events.unsubscribe', { id: 'sub-2' }],
    ]);
  });

  it('in Electron the page subscribes once while it has listeners', async () => {
    const calls: [string, unknown][] = [];
    const inner = {
      invoke: (name: string, input: unknown) => {
        calls.push([name, input]);
        return Promise.resolve({ ok: true, value: { id: 'sub-9' } });
      },
      onEvent: () => () => undefined,
    } as unknown as TrufflesApi;
    const api = subscribingApi(inner);
    const a = api.onEvent(() => undefined);
    const b = api.onEvent(() => undefined);
    a();
    a();
    expect(calls).toEqual([['events.subscribe', { topics: ['*'] }]]);
    b();
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.at(-1)).toEqual(['events.unsubscribe', { id: 'sub-9' }]);
  });
});
