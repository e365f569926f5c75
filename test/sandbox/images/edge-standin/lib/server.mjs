// Entry points and the reverse proxy. Each entry point is one TCP listener that, like Traefik's,
// looks at the first byte of a connection: a TLS ClientHello is answered with TLS (the default
// certificate) and routed among the entry point's TLS routers, anything else is plain HTTP routed
// among its non-TLS routers. HTTP/1.1 only (no HTTP/2, no h2c). Requests are streamed both ways;
// websocket (Upgrade) requests are passed through to the backend.
// The headers and texts it shares with the proxy are in proxy-headers.mjs; the way to a backend
// (forwarding, websockets) is proxy.mjs.

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import { log } from './log.mjs';
import { handleApi } from './api.mjs';
import { ipChecker } from './rules.mjs';
import { BANNER } from './version.mjs';
import {
  CLIENT_ADDR,
  FORWARDED,
  NOT_FOUND,
  TEXT,
  canonicalHost,
  clfTime,
  responseHeaderList,
  statusText,
} from './proxy-headers.mjs';
import { forward, handleUpgrade } from './proxy.mjs';

/**
 * @typedef {import('./middlewares.mjs').Exchange} Exchange
 * @typedef {import('./runtime.mjs').Runtime} Runtime
 * @typedef {import('./runtime.mjs').ServiceTarget} ServiceTarget
 * @typedef {import('./static-config.mjs').StaticConfig} StaticConfig
 * @typedef {import('./static-config.mjs').EntryPoint} EntryPoint
 */

export class Edge {
  /**
   * @param {StaticConfig} sc
   * @param {tls.SecureContext} secureContext
   * @param {(servername: string) => tls.SecureContext | null} [byName] certificates by SNI (the ACME storage's)
   */
  constructor(sc, secureContext, byName = () => null) {
    this.sc = sc;
    this.secureContext = secureContext;
    this.byName = byName;
    /** @type {Runtime | null} */
    this.runtime = null;
    /** @type {net.Server[]} */
    this.listeners = [];
    /** @type {Set<net.Socket>} */
    this.sockets = new Set();
    this.terminating = false;
    this.startDate = new Date();
    this.requestCount = 0;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'lifo' });
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: Infinity,
      rejectUnauthorized: !sc.serversTransport.insecureSkipVerify,
    });
    this.hostname = os.hostname();
    /** @type {Map<string, (ip: string) => boolean>} */
    this.trusted = new Map();
    for (const ep of sc.entryPoints.values()) {
      if (ep.forwardedHeaders.trustedIPs.length)
        this.trusted.set(ep.name, ipChecker(ep.forwardedHeaders.trustedIPs));
    }
  }

  /** @param {Runtime} rt */
  setRuntime(rt) {
    this.runtime = rt;
    // Kept-alive connections to servers that left the configuration are closed: a new container
    // may get the same address, and a stale connection to it would fail (ECONNRESET).
    const live = new Set();
    for (const s of rt.services.values()) {
      if (s.target?.kind !== 'lb') continue;
      for (const x of s.target.servers) {
        const u = new URL(x.url);
        live.add(`${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || (u.protocol === 'https:' ? 443 : 80)}:`);
      }
    }
    for (const agent of [this.agent, this.httpsAgent]) {
      for (const [name, list] of Object.entries(agent.freeSockets)) {
        if (![...live].some((k) => name.startsWith(k))) for (const sock of list ?? []) sock.destroy();
      }
    }
  }

  /** Binds every entry point; rejects when one cannot listen. */
  async start() {
    for (const ep of this.sc.entryPoints.values()) {
      const server = this.entryPointServer(ep);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: ep.port, host: ep.host || undefined }, () => {
          server.off('error', reject);
          resolve(undefined);
        });
      });
      this.listeners.push(server);
      log.info(`Starting provider entrypoint ${ep.name} on ${ep.address}`, { entryPointName: ep.name });
    }
  }

  /** Stops accepting, lets ping answer the terminating status, closes connections. */
  async stop() {
    this.terminating = true;
    await Promise.all(this.listeners.map((s) => new Promise((r) => s.close(() => r(undefined)))));
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    this.httpsAgent.destroy();
  }

  /** @param {EntryPoint} ep */
  entryPointServer(ep) {
    const httpServer = http.createServer();
    httpServer.keepAliveTimeout = ep.idleTimeoutMs;
    httpServer.requestTimeout = ep.readTimeoutMs;
    httpServer.headersTimeout = Math.min(60000, ep.readTimeoutMs || 60000);
    httpServer.on('request', (req, res) => this.handle(ep, req, res));
    httpServer.on('upgrade', (req, socket, head) =>
      handleUpgrade(this, ep, req, /** @type {net.Socket} */ (socket), head),
    );
    httpServer.on('clientError', (_err, socket) => {
      if (socket.writable)
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: ${TEXT}\r\nConnection: close\r\n\r\n400 Bad Request`,
        );
      else socket.destroy();
    });
    const tcp = net.createServer((sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      sock.on('error', () => sock.destroy());
      /** @type {any} */ (sock)[CLIENT_ADDR] = sock.remoteAddress ?? '';
      sock.setTimeout(ep.readTimeoutMs || 60000, () => sock.destroy());
      sock.once('data', (chunk) => {
        sock.setTimeout(0);
        sock.pause();
        sock.unshift(chunk);
        if (chunk[0] === 0x16) {
          const t = new tls.TLSSocket(sock, {
            isServer: true,
            secureContext: this.secureContext,
            SNICallback: (name, cb) => cb(null, this.byName(name) ?? this.secureContext),
            ALPNProtocols: ['http/1.1'],
          });
          /** @type {any} */ (t)[CLIENT_ADDR] = sock.remoteAddress ?? '';
          t.on('error', (e) => {
            log.debug(`TLS handshake error: ${e.message}`, { entryPointName: ep.name });
            t.destroy();
          });
          httpServer.emit('connection', t);
        } else {
          httpServer.emit('connection', sock);
          sock.resume();
        }
      });
    });
    return tcp;
  }

  /**
   * @param {EntryPoint} ep
   * @param {http.IncomingMessage} req
   * @param {boolean} upgrade
   * @param {(status: number, headers: Record<string, string>, body: string) => void} respond
   * @returns {Exchange}
   */
  exchange(ep, req, upgrade, respond) {
    const socket = /** @type {tls.TLSSocket} */ (req.socket);
    const tlsOn = Boolean(socket.encrypted);
    const clientIp = String(/** @type {any} */ (socket)[CLIENT_ADDR] ?? socket.remoteAddress ?? '').replace(
      /^::ffff:(\d+\.\d+\.\d+\.\d+)$/,
      '$1',
    );
    let url = req.url ?? '/';
    let rawHost = req.headers.host ?? '';
    const abs = /^https?:\/\/([^/?#]*)(.*)$/i.exec(url);
    if (abs) {
      rawHost = String(abs[1]);
      url = abs[2] || '/';
    }
    /** @type {Record<string, string | string[] | undefined>} */
    const headers = { ...req.headers };
    const trusted = ep.forwardedHeaders.insecure || (this.trusted.get(ep.name)?.(clientIp) ?? false);
    if (!trusted) for (const h of FORWARDED) delete headers[h];
    const hostPort = /:(\d+)$/.exec(rawHost.replace(/^\[[^\]]*\]/, ''))?.[1];
    headers['x-forwarded-proto'] ??= upgrade ? (tlsOn ? 'wss' : 'ws') : tlsOn ? 'https' : 'http';
    headers['x-forwarded-host'] ??= rawHost;
    headers['x-forwarded-port'] ??= hostPort ?? (tlsOn ? '443' : '80');
    headers['x-forwarded-server'] ??= this.hostname;
    headers['x-real-ip'] ??= clientIp;
    const q = url.indexOf('?');
    return {
      method: req.method ?? 'GET',
      url,
      path: q >= 0 ? url.slice(0, q) : url,
      host: canonicalHost(rawHost),
      rawHost,
      tls: tlsOn,
      upgrade,
      clientIp,
      entryPoint: ep.name,
      entryPointPort: ep.port,
      headers,
      responseHeaders: {},
      router: '',
      user: '',
      respond,
    };
  }

  /**
   * Finds the router for an exchange and runs its middlewares. Returns its service target, or null
   * when the exchange has been answered (404, 401, redirect...).
   * @param {Exchange} ex
   * @returns {ServiceTarget | null}
   */
  route(ex) {
    const table = this.runtime?.tables.get(ex.entryPoint);
    const routes = (ex.tls ? table?.https : table?.http) ?? [];
    const q = ex.url.indexOf('?');
    const ctx = {
      host: ex.host,
      path: ex.path,
      method: ex.method,
      headers: ex.headers,
      query: new URLSearchParams(q >= 0 ? ex.url.slice(q + 1) : ''),
      clientIp: ex.clientIp,
    };
    const hit = routes.find((r) => /** @type {import('./rules.mjs').Matcher} */ (r.router.matcher)(ctx));
    if (!hit) {
      ex.respond(404, { 'content-type': TEXT, 'x-content-type-options': 'nosniff' }, NOT_FOUND);
      return null;
    }
    ex.router = hit.router.name;
    for (const mw of hit.router.chain) if (!mw(ex)) return null;
    return hit.router.target;
  }

  /**
   * @param {EntryPoint} ep
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   */
  handle(ep, req, res) {
    const started = Date.now();
    const count = ++this.requestCount;
    let bytes = 0;
    let backend = '';
    /** @type {Exchange} */
    const ex = this.exchange(ep, req, false, (status, headers, body) => {
      if (res.headersSent) return;
      const list = responseHeaderList(Object.entries(headers).flat(), ex.responseHeaders);
      res.writeHead(status, list);
      bytes += Buffer.byteLength(body);
      res.end(body);
    });
    if (this.sc.accessLog.enabled) {
      res.on('close', () => {
        const status = res.writableFinished ? res.statusCode : 499;
        this.accessLog(ex, req, status, bytes, count, backend, Date.now() - started);
      });
    }
    if (ex.headers.expect) delete ex.headers.expect; // answered by this server already
    let target;
    try {
      target = this.route(ex);
    } catch (e) {
      log.error(`Error while handling a request: ${/** @type {Error} */ (e).message}`);
      ex.respond(500, { 'content-type': TEXT }, statusText(500));
      return;
    }
    if (!target) return;
    if (target.kind === 'internal') {
      this.internal(target.name, ex);
      return;
    }
    const url = target.pick();
    backend = url;
    forward(this, ex, req, res, url, target.passHostHeader, (n) => (bytes += n), false);
  }

  /**
   * Serves an internal service (api@internal, dashboard@internal, ping@internal, noop@internal, acme-http@internal).
   * @param {string} name
   * @param {Exchange} ex
   */
  internal(name, ex) {
    const rt = /** @type {Runtime} */ (this.runtime);
    if (name === 'ping') {
      const status = this.terminating ? this.sc.ping.terminatingStatusCode : 200;
      ex.respond(status, { 'content-type': TEXT }, statusText(status));
    } else if (
      name === 'api' &&
      this.sc.api.dashboard &&
      (ex.path === '/dashboard' || ex.path.startsWith('/dashboard/'))
    ) {
      // api@internal serves the dashboard too (a labelled router to api@internal, e.g. behind basicAuth).
      if (ex.path === '/dashboard') ex.respond(301, { location: '/dashboard/' }, statusText(301));
      else this.internal('dashboard', ex);
    } else if (name === 'api') {
      const q = ex.url.indexOf('?');
      const [status, headers, body] = handleApi(
        ex.path,
        new URLSearchParams(q >= 0 ? ex.url.slice(q + 1) : ''),
        rt,
        this.sc,
        this.startDate,
      );
      ex.respond(status, headers, body);
    } else if (name === 'dashboard') {
      ex.respond(
        200,
        { 'content-type': 'text/html; charset=utf-8' },
        `<!doctype html><title>Traefik stand-in</title><h1>Not Traefik: truffles/traefik-standin</h1><p>${BANNER}</p>` +
          '<p>This stand-in has no dashboard UI. The API is at <a href="/api/http/routers">/api/http/routers</a>, ' +
          '<a href="/api/http/services">/api/http/services</a>, <a href="/api/overview">/api/overview</a>, ' +
          '<a href="/api/rawdata">/api/rawdata</a>.</p>\n',
      );
    } else if (name === 'noop') {
      ex.respond(200, {}, '');
    } else {
      ex.respond(404, { 'content-type': TEXT, 'x-content-type-options': 'nosniff' }, NOT_FOUND);
    }
  }

  /**
   * @param {Exchange} ex
   * @param {http.IncomingMessage} req
   * @param {number} status
   * @param {number} bytes
   * @param {number} count
   * @param {string} backend
   * @param {number} ms
   */
  accessLog(ex, req, status, bytes, count, backend, ms) {
    const q = (/** @type {string | undefined} */ v) => (v ? `"${v}"` : '"-"');
    const line =
      this.sc.accessLog.format === 'json'
        ? JSON.stringify({
            ClientHost: ex.clientIp,
            ClientUsername: ex.user || '-',
            RequestMethod: ex.method,
            RequestPath: req.url,
            RequestProtocol: `HTTP/${req.httpVersion}`,
            RequestHost: ex.host,
            DownstreamStatus: status,
            DownstreamContentSize: bytes,
            RouterName: ex.router,
            ServiceURL: backend,
            EntryPointName: ex.entryPoint,
            Duration: ms * 1e6,
            time: new Date().toISOString(),
          })
        : `${ex.clientIp} - ${ex.user || '-'} [${clfTime(new Date())}] "${ex.method} ${req.url} HTTP/${req.httpVersion}" ${status} ${bytes} ${q(req.headers.referer)} ${q(req.headers['user-agent'])} ${count} ${q(ex.router)} ${q(backend)} ${ms}ms`;
    process.stdout.write(line + '\n');
  }
}
