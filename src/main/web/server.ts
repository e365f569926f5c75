import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Core } from '../core/core';
import { CoreError } from '../core/errors';
import type { ErrorInfo } from '../../shared/contract';

/**
 * Browser mode: the same renderer and the same contract, over a WebSocket bridge to the real
 * core. Listens on 127.0.0.1 only and answers only to `Host: 127.0.0.1:<port>` (DNS rebinding).
 *
 * A token made anew at each start (printed on the terminal, as Jupyter does) is exchanged ONCE:
 * `GET /?token=…` answers the app's page with a session secret in a `<meta>` tag; the page keeps
 * it in sessionStorage (never a cookie: cookies are not port-scoped, every other web server on
 * this machine would receive it) and offers it on the WebSocket upgrade as a subprotocol
 * (`truffles.session.<secret>` beside `truffles.v1`). A second exchange of the token is refused.
 * The upgrade also needs an Origin of exactly `http://127.0.0.1:<port>`. A session unused for
 * `idleMs` (default 12 h; any command or connection counts as use) expires: its sockets get a
 * `{ fatal }` frame saying to start again and are closed, and the secret opens nothing any more.
 * The page itself and its assets are public (they are the open renderer; nothing in them is
 * secret): everything the console knows goes through the bridge.
 */
export interface WebServerOptions {
  core: Core;
  staticDir: string;
  port?: number;
  token?: string;
  /** A session unused this long expires (default 12 h). */
  idleMs?: number;
  /** The clock (tests pass their own). */
  now?: () => number;
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

export const DEFAULT_IDLE_MS = 12 * 60 * 60_000;
export const BRIDGE_PROTOCOL = 'truffles.v1';
export const SESSION_PROTOCOL_PREFIX = 'truffles.session.';
/** The close code of a bridge socket whose session is unknown or expired. */
export const SESSION_CLOSE_CODE = 4401;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function sessionFromProtocols(header: string | undefined): string | null {
  for (const p of (header ?? '').split(',')) {
    const v = p.trim();
    if (v.startsWith(SESSION_PROTOCOL_PREFIX)) return v.slice(SESSION_PROTOCOL_PREFIX.length);
  }
  return null;
}

function idleText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

function restartHint(): string {
  return 'Start the browser mode again (`npm run start:web`) and open the new address it prints; each address works once.';
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
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  if (!Number.isInteger(idleMs) || idleMs < 1000)
    throw new CoreError(
      'web.invalid-idle',
      `The browser-mode session idle time must be a whole number of milliseconds, at least 1000 (got ${String(idleMs)}).`,
      'Set TRUFFLES_WEB_IDLE_MINUTES to a whole number of minutes (default 720 = 12 h).',
    );
  const now = options.now ?? Date.now;
  let tokenUsed = false;
  /** Sessions by the SHA-256 of their secret (a map lookup on the secret itself would leak timing). */
  const sessions = new Map<string, { lastUsed: number; sockets: Set<WebSocket> }>();
  let port = 0;
  const ownHost = (): string => `127.0.0.1:${port}`;

  const expiredError = (): ErrorInfo => ({
    code: 'web.session-expired',
    message: `This browser session ended: it was not used for ${idleText(idleMs)}.`,
    hint: restartHint(),
  });
  const unknownError = (): ErrorInfo => ({
    code: 'web.session-unknown',
    message:
      'This page has no valid session with the console server (the server was restarted, or the session ended).',
    hint: restartHint(),
  });

  /** The live session of a secret, or why there is none; expired ones are ended here. */
  const lookup = (secret: string | null): { key: string } | { error: ErrorInfo } => {
    if (!secret) return { error: unknownError() };
    const key = digest(secret);
    const s = sessions.get(key);
    if (!s) return { error: unknownError() };
    if (now() - s.lastUsed > idleMs) {
      endSession(key, expiredError());
      return { error: expiredError() };
    }
    return { key };
  };

  const fatal = (ws: WebSocket, error: ErrorInfo): void => {
    if (ws.readyState === ws.OPEN) {
      ws.send(JSON.stringify({ fatal: error }));
      ws.close(SESSION_CLOSE_CODE, error.code);
    }
  };

  function endSession(key: string, error: ErrorInfo): void {
    const s = sessions.get(key);
    if (!s) return;
    sessions.delete(key);
    for (const ws of s.sockets) fatal(ws, error);
  }

  const sweep = setInterval(
    () => {
      for (const [key, s] of sessions) if (now() - s.lastUsed > idleMs) endSession(key, expiredError());
    },
    Math.min(idleMs, 60_000),
  );
  sweep.unref();

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
      if ((req.headers.host ?? '') !== ownHost())
        return refuse(
          res,
          403,
          `Forbidden: unexpected Host header. Open http://${ownHost()}/ (the address the console printed).\n`,
        );
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed.\n');
      const url = new URL(req.url ?? '/', `http://${ownHost()}`);
      const given = url.searchParams.get('token');
      if (given !== null) {
        if (!safeEqual(given, token))
          return refuse(
            res,
            401,
            'Unauthorized: wrong token. Open the URL printed by `npm run start:web`.\n',
          );
        if (tokenUsed)
          return refuse(
            res,
            401,
            'Unauthorized: this start address was already used (it works once). If the console is open in ' +
              'another tab, go back to it; otherwise start the browser mode again (`npm run start:web`) and ' +
              'open the new address it prints.\n',
          );
        if (req.method !== 'GET') return refuse(res, 405, 'Method not allowed.\n');
        tokenUsed = true;
        const secret = randomBytes(32).toString('hex');
        sessions.set(digest(secret), { lastUsed: now(), sockets: new Set() });
        const page = (await readFile(join(staticDir, 'index.html'), 'utf8')).replace(
          /<head>/i,
          `<head><meta name="truffles-session" content="${secret}" />`,
        );
        res.writeHead(200, { 'Content-Type': TYPES['.html'], 'Cache-Control': 'no-store' });
        return res.end(page);
      }
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

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1 << 20,
    handleProtocols: (protocols) => (protocols.has(BRIDGE_PROTOCOL) ? BRIDGE_PROTOCOL : false),
  });
  const sockets = new Set<WebSocket>();
  let nextSocket = 1;

  server.on('upgrade', (req, socket, head) => {
    const deny = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/bridge') return deny('404 Not Found');
    if ((req.headers.host ?? '') !== ownHost()) return deny('403 Forbidden');
    if ((req.headers.origin ?? '') !== `http://${ownHost()}`) return deny('403 Forbidden');
    const offered = req.headers['sec-websocket-protocol'];
    const protocols = (offered ?? '').split(',').map((p) => p.trim());
    if (!protocols.includes(BRIDGE_PROTOCOL)) return deny('401 Unauthorized');
    const found = lookup(sessionFromProtocols(offered));
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // Our own page with a stale secret: tell it why, so it can say "start again"; nothing is dispatched.
      if ('error' in found) return fatal(ws, found.error);
      const live = sessions.get(found.key);
      if (!live) return fatal(ws, unknownError());
      live.lastUsed = now();
      live.sockets.add(ws);
      // Events reach this socket only through its own subscriptions, which end when it closes.
      // A socket that does not keep up (over 1 MiB unsent) has its events queued, then dropped.
      const owner = `ws:${nextSocket++}`;
      const detach = core.hub.attach(owner, {
        send: (event) => ws.send(JSON.stringify({ event })),
        ready: () => ws.readyState === ws.OPEN && ws.bufferedAmount < 1 << 20,
      });
      ws.on('close', () => {
        live.sockets.delete(ws);
        detach();
      });
      ws.on('message', (data) => {
        void (async () => {
          const still = lookup(sessionFromProtocols(offered));
          if ('error' in still) return fatal(ws, still.error);
          live.lastUsed = now();
          let msg: unknown;
          try {
            msg = JSON.parse(String(data));
          } catch {
            return;
          }
          const m = msg as { id?: unknown; cmd?: unknown; input?: unknown };
          if (typeof m.id !== 'number') return;
          const result = await core.dispatch(m.cmd, m.input, { owner });
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
      clearInterval(sweep);
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
