import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { startWebServer, type WebServer } from '../../src/main/web/server';
import { createBridgeClient, type SocketLike } from '../../src/renderer/src/api';
import type { AppEvent } from '../../src/shared/contract';
import { tempDir } from '../helpers/tmp';

let t: ReturnType<typeof tempDir>;
let core: Core;
let server: WebServer;
let staticDir: string;
const extra: WebServer[] = [];

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}, srv: WebServer = server): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The start address exchanged once, as the browser does: the session secret from the page. */
async function login(srv: WebServer = server): Promise<string> {
  const r = await get(`/?token=${srv.token}`, {}, srv);
  expect(r.status).toBe(200);
  expect(r.headers['set-cookie']).toBeUndefined();
  expect(r.body).toContain('<title>Truffles</title>');
  const m = /<meta name="truffles-session" content="([0-9a-f]{64})"/.exec(r.body);
  expect(m).not.toBeNull();
  return m![1]!;
}

function openWs(
  headers: Record<string, string>,
  protocols: string[] = [],
  srv: WebServer = server,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/bridge`, protocols, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The page's own socket: exact origin, the bridge protocol and the session. */
function openBridge(secret: string, srv: WebServer = server): Promise<WebSocket> {
  return openWs(
    { origin: `http://127.0.0.1:${srv.port}` },
    ['truffles.v1', `truffles.session.${secret}`],
    srv,
  );
}

interface Ended {
  fatal: { code: string; message: string; hint: string } | null;
  answered: boolean;
  code: number;
}

/** What a socket the server ends gets: the one `{ fatal }` frame, whether anything was answered, the close code. */
function ended(ws: WebSocket): Promise<Ended> {
  return new Promise((resolve) => {
    const seen: Ended = { fatal: null, answered: false, code: 0 };
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.fatal) seen.fatal = msg.fatal;
      if (msg.id !== undefined) seen.answered = true;
    });
    ws.once('close', (code) => resolve({ ...seen, code }));
  });
}

/** A socket watched from its very first frame (the server may end it right after the upgrade). */
function openEnded(headers: Record<string, string>, protocols: string[], srv: WebServer): Promise<Ended> {
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/bridge`, protocols, { headers });
  ws.once('open', () =>
    ws.send(JSON.stringify({ id: 1, cmd: 'settings.update', input: { language: 'ru' } })),
  );
  return ended(ws);
}

function call(
  ws: WebSocket,
  id: number,
  cmd: string,
  input: unknown,
): Promise<{
  id: number;
  result: { ok: boolean; value?: unknown; error?: { code: string; message: string } };
}> {
  return new Promise((resolve) => {
    const onMsg = (data: WebSocket.RawData): void => {
      const msg = JSON.parse(String(data));
      if (msg.id === id) {
        ws.off('message', onMsg);
        resolve(msg);
      }
    };
    ws.on('message', onMsg);
    ws.send(JSON.stringify({ id, cmd, input }));
  });
}

beforeAll(async () => {
  t = tempDir();
  staticDir = join(t.dir, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(
    join(staticDir, 'index.html'),
    '<!doctype html><html><head><title>Truffles</title></head><body></body></html>',
  );
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'unused passphrase'),
    mode: 'web',
  });
  server = await startWebServer({ core, staticDir, port: 0 });
});
/** A server of its own (each start address works once). */
async function another(options: { idleMs?: number; now?: () => number } = {}): Promise<WebServer> {
  const srv = await startWebServer({ core, staticDir, port: 0, ...options });
  extra.push(srv);
  return srv;
}

afterAll(async () => {
  for (const srv of extra) await srv.close();
  await server.close();
  await core.close();
  t.cleanup();
});

describe('browser-mode bridge', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('refuses a wrong token; the bare page carries no session', async () => {
    const r = await get('/?token=nope');
    expect(r.status).toBe(401);
    expect(r.body).toMatch(/wrong token/);
    const bare = await get('/');
    expect(bare.status).toBe(200);
    expect(bare.body).not.toContain('truffles-session');
    expect(String(bare.headers['content-security-policy'])).toContain("script-src 'self'");
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd']) {
      expect((await get(path)).body).not.toContain('root:');
    }
  });

  it('exchanges the token once: a second exchange is refused and makes no session', async () => {
    const srv = await another();
    const secret = await login(srv);
    const again = await get(`/?token=${srv.token}`, {}, srv);
    expect(again.status).toBe(401);
    expect(again.body).toMatch(/already used \(it works once\)/);
    expect(again.body).toMatch(/npm run start:web/);
    expect(again.body).not.toContain('truffles-session');
    // The first session still works.
    const ws = await openBridge(secret, srv);
    try {
      expect((await call(ws, 1, 'settings.get', {})).result.ok).toBe(true);
    } finally {
      ws.close();
    }
  });

  it('refuses a foreign Host header (DNS rebinding), also on the WebSocket', async () => {
    const srv = await another();
    const secret = await login(srv);
    expect((await get('/', { host: 'evil.example:80' }, srv)).status).toBe(403);
    expect((await get('/', { host: `evil.example:${srv.port}` }, srv)).status).toBe(403);
    await expect(
      openWs(
        { host: `evil.example:${srv.port}`, origin: `http://evil.example:${srv.port}` },
        ['truffles.v1', `truffles.session.${secret}`],
        srv,
      ),
    ).rejects.toThrow(/403/);
    await expect(
      openWs(
        { host: `evil.example:${srv.port}`, origin: `http://127.0.0.1:${srv.port}` },
        ['truffles.v1', `truffles.session.${secret}`],
        srv,
      ),
    ).rejects.toThrow(/403/);
  });

  it('a cookie, another origin or another port cannot open the bridge', async () => {
    const srv = await another();
    const secret = await login(srv);
    const own = `http://127.0.0.1:${srv.port}`;
    const session = ['truffles.v1', `truffles.session.${secret}`];
    // What the old cookie session looked like: refused, there is no cookie session any more.
    await expect(openWs({ origin: own, cookie: `truffles_session=${secret}` }, [], srv)).rejects.toThrow(
      /401/,
    );
    await expect(openWs({ origin: 'http://evil.example' }, session, srv)).rejects.toThrow(/403/);
    await expect(openWs({ origin: `http://127.0.0.1:${srv.port + 1}` }, session, srv)).rejects.toThrow(/403/);
    await expect(openWs({ origin: `http://localhost:${srv.port}` }, session, srv)).rejects.toThrow(/403/);
    await expect(openWs({}, session, srv)).rejects.toThrow(/403/);
    // Our own page with a made-up session: told why, closed, nothing dispatched.
    const forged = await openEnded(
      { origin: own },
      ['truffles.v1', `truffles.session.${'0'.repeat(64)}`],
      srv,
    );
    expect(forged.code).toBe(4401);
    expect(forged.answered).toBe(false);
    expect(forged.fatal?.code).toBe('web.session-unknown');
    expect(forged.fatal?.hint).toMatch(/npm run start:web/);
    const ws = await openBridge(secret, srv);
    try {
      expect((await call(ws, 2, 'settings.get', {})).result).toEqual({ ok: true, value: { language: 'en' } });
    } finally {
      ws.close();
    }
  });

  it('a session unused for the idle time ends with a "start again" answer; use keeps it alive', async () => {
    let clock = 1_000_000;
    const srv = await another({ idleMs: 60_000, now: () => clock });
    const secret = await login(srv);
    const ws = await openBridge(secret, srv);
    expect((await call(ws, 1, 'settings.get', {})).result.ok).toBe(true);
    clock += 50_000;
    expect((await call(ws, 2, 'settings.get', {})).result.ok).toBe(true);
    clock += 50_000; // 100 s after the start, 50 s after the last use
    expect((await call(ws, 3, 'settings.get', {})).result.ok).toBe(true);
    clock += 60_001;
    const end = ended(ws);
    ws.send(JSON.stringify({ id: 4, cmd: 'settings.get', input: {} }));
    const { fatal, code, answered } = await end;
    expect(code).toBe(4401);
    expect(answered).toBe(false);
    expect(fatal?.code).toBe('web.session-expired');
    expect(fatal?.message).toMatch(/not used for 1 min\./);
    expect(fatal?.hint).toMatch(/start the browser mode again/i);
    // The secret opens nothing any more.
    const again = await openEnded(
      { origin: `http://127.0.0.1:${srv.port}` },
      ['truffles.v1', `truffles.session.${secret}`],
      srv,
    );
    expect(again.code).toBe(4401);
    expect(again.answered).toBe(false);
    expect(again.fatal?.code).toBe('web.session-unknown');
  });

  it('refuses an idle time that is not a whole number of milliseconds', async () => {
    await expect(startWebServer({ core, staticDir, port: 0, idleMs: 0.5 })).rejects.toThrow(/idle time/);
  });

  it('carries commands to the real core and validates them at the boundary', async () => {
    const srv = await another();
    const ws = await openBridge(await login(srv), srv);
    try {
      const settings = await call(ws, 1, 'settings.get', {});
      expect(settings.result).toEqual({ ok: true, value: { language: 'en' } });
      const unknown = await call(ws, 2, 'hosts.rm-rf', {});
      expect(unknown.result.error?.code).toBe('contract.unknown-command');
      const bad = await call(ws, 3, 'hosts.add', {
        name: 'bad name!',
        address: 'x',
        user: 'u',
        auth: { kind: 'agent' },
        acceptFingerprint: 'nope',
      });
      expect(bad.result.ok).toBe(false);
      expect(bad.result.error?.code).toBe('contract.invalid-input');
      expect(bad.result.error?.message).toMatch(/^name: Host name may contain only/);
      const extra = await call(ws, 4, 'settings.update', { language: 'ru', admin: true });
      expect(extra.result.error?.code).toBe('contract.invalid-input');
      const changed = await call(ws, 5, 'settings.update', { language: 'ru' });
      expect(changed.result).toEqual({ ok: true, value: { language: 'ru' } });
    } finally {
      ws.close();
    }
  });
});

describe('events over the bridge go only to subscribers (issue 12, item 5)', () => {
  /** Every event frame a socket receives from now on. */
  function collect(ws: WebSocket): { type: string }[] {
    const seen: { type: string }[] = [];
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.event) seen.push(msg.event);
    });
    return seen;
  }
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100));

  it('a socket that did not subscribe gets no event; one that did gets its topics; closing it ends them', async () => {
    const srv = await another();
    const secret = await login(srv);
    const quiet = await openBridge(secret, srv);
    const listening = await openBridge(secret, srv);
    const narrow = await openBridge(secret, srv);
    const quietSeen = collect(quiet);
    const listeningSeen = collect(listening);
    const narrowSeen = collect(narrow);
    const before = core.hub.count();
    try {
      const sub = await call(listening, 1, 'events.subscribe', { topics: ['*'] });
      expect(sub.result.ok).toBe(true);
      expect((await call(narrow, 1, 'events.subscribe', { topics: ['tenants.changed'] })).result.ok).toBe(
        true,
      );
      const bad = await call(narrow, 2, 'events.subscribe', { topics: ['everything'] });
      expect(bad.result.error?.code).toBe('contract.invalid-input');
      expect(core.hub.count()).toBe(before + 2);

      core.emit({ type: 'hosts.changed' });
      core.emit({ type: 'tenants.changed', host: 'h1' });
      await settle();
      expect(listeningSeen).toEqual([{ type: 'hosts.changed' }, { type: 'tenants.changed', host: 'h1' }]);
      expect(narrowSeen).toEqual([{ type: 'tenants.changed', host: 'h1' }]);
      expect(quietSeen).toEqual([]);

      // Unsubscribing by id stops them, and only for that socket.
      const id = (sub.result.value as { id: string }).id;
      expect((await call(quiet, 3, 'events.unsubscribe', { id })).result.value).toEqual({ removed: false });
      expect((await call(listening, 3, 'events.unsubscribe', { id })).result.value).toEqual({
        removed: true,
      });
      core.emit({ type: 'hosts.changed' });
      await settle();
      expect(listeningSeen).toHaveLength(2);

      // Closing a socket ends its subscriptions on the server.
      narrow.close();
      for (let i = 0; i < 50 && core.hub.count() > before; i++) await settle();
      expect(core.hub.count()).toBe(before);
    } finally {
      quiet.close();
      listening.close();
      narrow.close();
    }
  });

  it('the CLI (no window, no socket) cannot subscribe: it listens in-process', async () => {
    const r = await core.dispatch('events.subscribe', { topics: ['*'] });
    expect(!r.ok && r.error.code).toBe('events.no-owner');
  });
});

describe('the page’s own bridge client against the real server', () => {
  it('subscribes when it gets a listener and receives the core’s events; none before', async () => {
    const srv = await another();
    const secret = await login(srv);
    const client = createBridgeClient({
      url: `ws://127.0.0.1:${srv.port}/bridge`,
      protocols: ['truffles.v1', `truffles.session.${secret}`],
      createSocket: (url, protocols) =>
        new WebSocket(url, protocols, {
          headers: { origin: `http://127.0.0.1:${srv.port}` },
        }) as unknown as SocketLike,
    });
    try {
      expect((await client.invoke('settings.get', {})).ok).toBe(true);
      const before = core.hub.count();
      const seen: AppEvent[] = [];
      const off = client.onEvent((e) => seen.push(e));
      for (let i = 0; i < 50 && core.hub.count() === before; i++) await new Promise((r) => setTimeout(r, 20));
      expect(core.hub.count()).toBe(before + 1);
      core.emit({ type: 'backups.changed', host: 'h1', slug: 'acme' });
      for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual([{ type: 'backups.changed', host: 'h1', slug: 'acme' }]);
      off();
      for (let i = 0; i < 50 && core.hub.count() > before; i++) await new Promise((r) => setTimeout(r, 20));
      expect(core.hub.count()).toBe(before);
    } finally {
      client.close();
    }
  });
});
