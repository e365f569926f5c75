// What the entry points and the proxy share about HTTP: hop-by-hop and forwarded headers, response
// header lists with the middlewares' overlay, the canonical host, path joining, the status of a
// failed backend connection, the status texts and the access log's time format.

import http from 'node:http';
import { STATUS_TEXT } from './middlewares.mjs';

export const CLIENT_ADDR = Symbol('clientAddr');
export const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
export const FORWARDED = [
  'x-forwarded-proto',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-uri',
  'x-forwarded-method',
  'x-forwarded-tls-client-cert',
  'x-forwarded-tls-client-cert-info',
  'x-real-ip',
];
export const NOT_FOUND = '404 page not found\n';
export const TEXT = 'text/plain; charset=utf-8';

/** @param {number} status */
export const statusText = (status) =>
  STATUS_TEXT[/** @type {keyof typeof STATUS_TEXT} */ (status)] ?? http.STATUS_CODES[status] ?? '';

/** @param {Record<string, string | string[] | undefined>} headers */
export function stripHopByHop(headers) {
  const conn = headers.connection;
  const listed = (Array.isArray(conn) ? conn.join(',') : (conn ?? ''))
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const h of [...HOP_BY_HOP, ...listed]) delete headers[h];
}

/** Response headers from a raw list minus hop-by-hop ones, with the middlewares' overlay applied. */
export function responseHeaderList(
  /** @type {string[]} */ raw,
  /** @type {Record<string, string | null>} */ overlay,
) {
  const connection = [];
  for (let i = 0; i < raw.length; i += 2)
    if (String(raw[i]).toLowerCase() === 'connection') connection.push(String(raw[i + 1]));
  const drop = new Set([
    ...HOP_BY_HOP,
    ...connection
      .join(',')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
    ...Object.keys(overlay),
  ]);
  const out = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!drop.has(String(raw[i]).toLowerCase())) out.push(String(raw[i]), String(raw[i + 1]));
  }
  for (const [k, v] of Object.entries(overlay)) if (v !== null) out.push(k, v);
  return out;
}

/** Lower-case host without port (Traefik's canonized host). @param {string} raw */
export function canonicalHost(raw) {
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(raw);
  return (m?.[1] ?? raw).toLowerCase();
}

/** @param {string} a @param {string} b */
export function joinPath(a, b) {
  if (!a || a === '/') return b;
  return a.replace(/\/$/, '') + (b.startsWith('/') ? b : '/' + b);
}

/** @param {Error & { code?: string }} err */
export function statusFromError(err) {
  if (err.code === 'ETIMEDOUT' || err.code === 'ESOCKETTIMEDOUT') return 504;
  return 502;
}

/** Common Log Format, as Traefik's access log (common). */
export function clfTime(/** @type {Date} */ d) {
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
    d.getUTCMonth()
  ];
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
