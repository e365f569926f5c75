import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { startWebServer, type WebServer } from '../../src/main/web/server';
import { tempDir } from '../helpers/tmp';

let t: ReturnType<typeof tempDir>;
let core: Core;
let server: WebServer;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function login(): Promise<string> {
  const r = await get(`/?token=${server.token}`);
  expect(r.status).toBe(302);
  const cookie = String(r.headers['set-cookie']).split(';')[0] ?? '';
  expect(String(r.headers['set-cookie'])).toMatch(/HttpOnly/);
  expect(String(r.headers['set-cookie'])).toMatch(/SameSite=Strict/);
  return cookie;
}

function openWs(headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/bridge`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
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
  const staticDir = join(t.dir, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Truffles</title>');
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'unused passphrase'),
    mode: 'web',
  });
  server = await startWebServer({ core, staticDir, port: 0 });
});
afterAll(async () => {
  await server.close();
  await core.close();
  t.cleanup();
});

describe('browser-mode bridge', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('refuses a request without the token, and a wrong token', async () => {
    const r = await get('/');
    expect(r.status).toBe(401);
    expect(r.body).toMatch(/token/);
    expect((await get('/?token=nope')).status).toBe(401);
    expect((await get('/index.html')).status).toBe(401);
  });

  it('exchanges the token for a session cookie that opens the app', async () => {
    const cookie = await login();
    const r = await get('/', { cookie });
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>Truffles</title>');
    expect(String(r.headers['content-security-policy'])).toContain("script-src 'self'");
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd']) {
      expect((await get(path, { cookie })).body).not.toContain('root:');
    }
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const cookie = await login();
    expect((await get('/', { cookie, host: 'evil.example:80' })).status).toBe(403);
  });

  it('refuses a WebSocket without the session, or from another origin', async () => {
    await expect(openWs({ origin: `http://127.0.0.1:${server.port}` })).rejects.toThrow(/401/);
    const cookie = await login();
    await expect(openWs({ cookie, origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(openWs({ cookie })).rejects.toThrow(/403/);
  });

  it('carries commands to the real core and validates them at the boundary', async () => {
    const cookie = await login();
    const ws = await openWs({ cookie, origin: `http://127.0.0.1:${server.port}` });
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
