/*
 * The api key (QDRANT__SERVICE__API_KEY): required on every path but the health probes, as header
 * `api-key` or `Authorization: Bearer`, compared in constant time.
 */

import crypto from 'node:crypto';
import { API_KEY } from './settings.mjs';

const WHITELIST_EXACT = ['/', '/healthz'];
const WHITELIST_PREFIX = ['/readyz', '/livez'];
export function authorized(req, pathname) {
  if (!API_KEY) return null;
  if (WHITELIST_EXACT.includes(pathname) || WHITELIST_PREFIX.some((p) => pathname.startsWith(p))) return null;
  let key = req.headers['api-key'];
  if (key === undefined) {
    const a = req.headers.authorization;
    if (typeof a === 'string' && a.startsWith('Bearer ')) key = a.slice(7);
  }
  if (key === undefined) return 'Must provide an API key or an Authorization bearer token';
  const a = Buffer.from(String(key));
  const b = Buffer.from(API_KEY);
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return 'Invalid API key or JWT';
  return null;
}
