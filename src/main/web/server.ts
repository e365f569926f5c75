import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Core } from '../core/core';
import { CoreError } from '../core/errors';

/**
 * Browser mode: the same renderer and the same contract, over a WebSocket bridge to the real
 * core. Listens on 127.0.0.1 only. A token made anew at each start (printed on the terminal, as
 * Jupyter does) is exchanged once for an HttpOnly, SameSite=Strict session cookie; every request
 * without that cookie is refused, and so is a WebSocket whose Origin is not this server.
 */
export interface WebServerOptions {
  core: Core;
  staticDir: string;
  port?: number;
  token?: string;
}

export interface WebServer {
  url: string;
  /** URL with the token, to open in a browser. */
  loginUrl: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const COOKIE = 'truffles_session';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { core, staticDir } = options;
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new CoreError(
      'web.not-built',
      `The renderer is not built (${join(staticDir, 'index.html')} is missing).`,
      'Run `npm run build` first (npm run start:web does it for you).',
    );
  }
  const token = options.token ?? randomBytes(24).toString('hex');
  const sessions = new Set<string>();
  let port = 0;
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

  const authed = (req: IncomingMessage): boolean => {
    const s = cookieValue(req, COOKIE);
    return s !== null && [...sessions].some((x) => safeEqual(x, s));
  };

  const securityHeaders = (res: ServerResponse): void => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  };

  const refuse = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(text);
  };

  const server = createServer((req, res) => {
    void (async () => {
      securityHeaders(res);
      if (!allowedHosts().includes(req.headers.host ?? ''))
        return refuse(res, 403, 'Forbidden: unexpected Host header.\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed.\n');
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const given = url.searchParams.get('token');
      if (given !== null) {
        if (!safeEqual(given, token))
          return refuse(
            res,
            401,
            'Unauthorized: wrong token. Open the URL printed by `npm run start:web`.\n',
          );
        const session = randomBytes(32).toString('hex');
        sessions.add(session);
        res.writeHead(302, {
          'Set-Cookie': `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
          Location: '/',
          'Cache-Control': 'no-store',
        });
        return res.end();
      }
      if (!authed(req))
        return refuse(
          res,
          401,
          'Unauthorized: open the URL with the token printed by `npm run start:web`.\n',
        );
      let rel = decodeURIComponent(url.pathname);
      if (rel === '/' || rel === '') rel = '/index.html';
      const file = normalize(join(staticDir, rel));
      if (!file.startsWith(normalize(staticDir) + sep)) return refuse(res, 404, 'Not found.\n');
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        // Unknown paths get the app (client-side navigation), assets get a 404.
        if (extname(rel)) return refuse(res, 404, 'Not found.\n');
        body = await readFile(join(staticDir, 'index.html'));
        rel = '/index.html';
      }
      res.writeHead(200, {
        'Content-Type': TYPES[extname(rel)] ?? 'application/octet-stream',
        'Cache-Control': rel.endsWith('.html') ? 'no-store' : 'private, max-age=3600',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    })().catch(() => refuse(res, 500, 'Internal error.\n'));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const sockets = new Set<WebSocket>();
  const offEvents = core.onEvent((event) => {
    const msg = JSON.stringify({ event });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg);
  });

  server.on('upgrade', (req, socket, head) => {
    const deny = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/bridge') return deny('404 Not Found');
    if (!allowedHosts().includes(req.headers.host ?? '')) return deny('403 Forbidden');
    const origin = req.headers.origin ?? '';
    if (!allowedHosts().some((h) => origin === `http://${h}`)) return deny('403 Forbidden');
    if (!authed(req)) return deny('401 Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data) => {
        void (async () => {
          let msg: unknown;
          try {
            msg = JSON.parse(String(data));
          } catch {
            return;
          }
          const m = msg as { id?: unknown; cmd?: unknown; input?: unknown };
          if (typeof m.id !== 'number') return;
          const result = await core.dispatch(m.cmd, m.input);
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: m.id, result }));
        })();
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new CoreError(
              'web.port-in-use',
              `Port ${options.port ?? 0} on 127.0.0.1 is already in use.`,
              'Stop the other program, or choose another port with TRUFFLES_WEB_PORT.',
            )
          : err,
      ),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    loginUrl: `${url}?token=${token}`,
    port,
    token,
    close: async () => {
      offEvents();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
