/*
 * Point ids: unsigned integers or UUIDs (kept in Qdrant's canonical hyphenated lowercase form), the
 * map key of each, and Qdrant's id order (integers first, then UUIDs).
 */

import { describe, formatErr } from './errors.mjs';

export function normUuid(s) {
  let t = s;
  if (/^urn:uuid:/i.test(t)) t = t.slice(9);
  if (t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  let hex;
  if (/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(t))
    hex = t.replace(/-/g, '');
  else if (/^[0-9a-fA-F]{32}$/.test(t)) hex = t;
  else return null;
  hex = hex.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
export function parseId(v) {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const u = normUuid(v);
    if (u) return u;
  }
  const big = typeof v === 'number' && Number.isInteger(v) && v > Number.MAX_SAFE_INTEGER;
  throw formatErr(
    `value ${typeof v === 'string' ? v : JSON.stringify(v)} is not a valid point ID, valid values are either an unsigned integer or a UUID` +
      (big ? ' (the Qdrant stand-in keeps integer ids up to 2^53-1)' : ''),
  );
}
export function parseIdList(v, field) {
  if (!Array.isArray(v)) throw formatErr(`${field}: invalid type: ${describe(v)}, expected a sequence`);
  return v.map(parseId);
}
export const keyOf = (id) => (typeof id === 'number' ? `n${id}` : `u${id}`);
export function cmpId(a, b) {
  const na = typeof a === 'number';
  const nb = typeof b === 'number';
  if (na && nb) return a - b;
  if (na) return -1;
  if (nb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
