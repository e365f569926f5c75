// The reverse proxy's way to a backend: the headers it is sent, a request streamed there and its
// answer streamed back (one retry of an idempotent request on a kept-alive connection the backend had
// just closed, as Go's transport does), the dial timeout, and websocket (Upgrade) pass-through.

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { log } from './log.mjs';
import {
  TEXT,
  joinPath,
  responseHeaderList,
  statusFromError,
  statusText,
  stripHopByHop,
} from './proxy-headers.mjs';

/**
 * @typedef {import('./middlewares.mjs').Exchange} Exchange
 * @typedef {import('./static-config.mjs').EntryPoint} EntryPoint
 */

/**
 * The headers sent to the backend.
 * @param {Exchange} ex
 * @param {URL} target
 * @param {boolean} passHostHeader
 */
export function outgoingHeaders(ex, target, passHostHeader) {
  const h = { ...ex.headers };
  const upgradeTo = ex.upgrade ? h.upgrade : undefined;
  stripHopByHop(h);
  const xff = h['x-forwarded-for'];
  const prior = Array.isArray(xff) ? xff.join(', ') : xff;
  h['x-forwarded-for'] = prior ? `${prior}, ${ex.clientIp}` : ex.clientIp;
  if (!passHostHeader) h.host = target.host;
  else if (!h.host) h.host = ex.rawHost;
  if (upgradeTo) {
    h.connection = 'Upgrade';
    h.upgrade = upgradeTo;
  }
  return h;
}

/**
 * Streams a request to a backend and its response back.
 * @param {import('./server.mjs').Edge} edge
 * @param {Exchange} ex
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 * @param {string} serverUrl
 * @param {boolean} passHostHeader
 * @param {(n: number) => void} countBytes
 * @param {boolean} isRetry
 */
export function forward(edge, ex, req, res, serverUrl, passHostHeader, countBytes, isRetry) {
  const target = new URL(serverUrl);
  const secure = target.protocol === 'https:';
  const preq = (secure ? https : http).request({
    host: target.hostname.replace(/^\[|\]$/g, ''),
    port: target.port || (secure ? 443 : 80),
    method: ex.method,
    path: joinPath(target.pathname, ex.url),
    headers: outgoingHeaders(ex, target, passHostHeader),
    // A retry goes on a new connection, as Go's transport does.
    agent: isRetry ? false : secure ? edge.httpsAgent : edge.agent,
    ...(secure
      ? {
          servername: net.isIP(target.hostname) ? undefined : target.hostname,
          rejectUnauthorized: !edge.sc.serversTransport.insecureSkipVerify,
        }
      : {}),
  });
  dialTimeout(preq);
  let answered = false;
  preq.on('response', (pres) => {
    answered = true;
    res.writeHead(pres.statusCode ?? 502, responseHeaderList(pres.rawHeaders, ex.responseHeaders));
    pres.on('data', (c) => countBytes(c.length));
    pres.pipe(res);
    pres.on('error', () => res.destroy());
  });
  preq.on('error', (err) => {
    const e = /** @type {Error & { code?: string }} */ (err);
    const bodyless =
      ['GET', 'HEAD', 'OPTIONS'].includes(ex.method) &&
      !req.headers['content-length'] &&
      !req.headers['transfer-encoding'];
    if (
      !answered &&
      !isRetry &&
      preq.reusedSocket &&
      (e.code === 'ECONNRESET' || e.code === 'EPIPE') &&
      bodyless
    ) {
      // A kept-alive connection the backend had just closed: retried once, as Go's transport does.
      forward(edge, ex, req, res, serverUrl, passHostHeader, countBytes, true);
      return;
    }
    if (res.destroyed || res.writableEnded) return;
    if (answered || res.headersSent) {
      res.destroy();
      return;
    }
    const status = statusFromError(e);
    log.debug(`'${status} ${statusText(status)}' caused by: ${e.message}`, {
      routerName: ex.router,
      serviceURL: serverUrl,
    });
    ex.respond(status, { 'content-type': TEXT }, statusText(status));
  });
  res.on('close', () => {
    if (!res.writableFinished) preq.destroy();
  });
  if (isRetry || req.readableEnded) preq.end();
  else req.pipe(preq);
}

/** Go's dial timeout (30 s): a connection that does not open in time is a 504. @param {http.ClientRequest} preq */
export function dialTimeout(preq) {
  preq.on('socket', (s) => {
    if (!s.connecting) return;
    const t = setTimeout(
      () => preq.destroy(Object.assign(new Error('dial tcp: i/o timeout'), { code: 'ETIMEDOUT' })),
      30000,
    );
    s.once('connect', () => clearTimeout(t));
    s.once('close', () => clearTimeout(t));
  });
}

/**
 * Websocket (and any Upgrade) pass-through.
 * @param {import('./server.mjs').Edge} edge
 * @param {EntryPoint} ep
 * @param {http.IncomingMessage} req
 * @param {net.Socket} socket
 * @param {Buffer} head
 */
export function handleUpgrade(edge, ep, req, socket, head) {
  socket.on('error', () => socket.destroy());
  const rawResponse = (
    /** @type {number} */ status,
    /** @type {string[]} */ list,
    /** @type {string} */ body,
  ) => {
    let s = `HTTP/1.1 ${status} ${statusText(status)}\r\n`;
    for (let i = 0; i < list.length; i += 2) s += `${list[i]}: ${list[i + 1]}\r\n`;
    s += `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    socket.end(s + body);
  };
  /** @type {Exchange} */
  const ex = edge.exchange(ep, req, true, (status, headers, body) =>
    rawResponse(status, responseHeaderList(Object.entries(headers).flat(), ex.responseHeaders), body),
  );
  const target = edge.route(ex);
  if (!target) return;
  if (target.kind !== 'lb') {
    edge.internal(target.name, ex);
    return;
  }
  const url = new URL(target.pick());
  const secure = url.protocol === 'https:';
  const preq = (secure ? https : http).request({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || (secure ? 443 : 80),
    method: ex.method,
    path: joinPath(url.pathname, ex.url),
    headers: outgoingHeaders(ex, url, target.passHostHeader),
    agent: false,
    ...(secure ? { rejectUnauthorized: !edge.sc.serversTransport.insecureSkipVerify } : {}),
  });
  dialTimeout(preq);
  preq.on('upgrade', (pres, psock, phead) => {
    let s = `HTTP/1.1 ${pres.statusCode} ${pres.statusMessage}\r\n`;
    const raw = responseHeaderList(pres.rawHeaders, ex.responseHeaders);
    for (let i = 0; i < raw.length; i += 2) s += `${raw[i]}: ${raw[i + 1]}\r\n`;
    // The Connection/Upgrade pair is hop-by-hop but is the answer itself: put it back.
    s += `Connection: Upgrade\r\nUpgrade: ${pres.headers.upgrade ?? ''}\r\n\r\n`;
    socket.write(s);
    if (phead.length) socket.write(phead);
    if (head.length) psock.write(head);
    psock.on('error', () => socket.destroy());
    socket.on('error', () => psock.destroy());
    psock.on('close', () => socket.destroy());
    socket.on('close', () => psock.destroy());
    psock.pipe(socket);
    socket.pipe(psock);
  });
  preq.on('response', (pres) => {
    // The backend refused the upgrade: relay its answer and close.
    let s = `HTTP/1.1 ${pres.statusCode} ${pres.statusMessage}\r\n`;
    const raw = responseHeaderList(pres.rawHeaders, ex.responseHeaders);
    for (let i = 0; i < raw.length; i += 2)
      if (String(raw[i]).toLowerCase() !== 'content-length') s += `${raw[i]}: ${raw[i + 1]}\r\n`;
    socket.write(s + 'Connection: close\r\n\r\n');
    pres.pipe(socket);
  });
  preq.on('error', (err) => {
    const status = statusFromError(/** @type {Error & { code?: string }} */ (err));
    if (socket.writable) rawResponse(status, ['Content-Type', TEXT], statusText(status));
  });
  preq.end();
}
