/*
 * Payload: keys as dot paths (`a.b`, `a[].b`, `a[0]`), the values at a key (arrays flattened, as
 * Qdrant matches any element), nested edits (delete by path), the with_payload / with_vector
 * selections of a returned record, and which values a payload index of a given type counts.
 */

import { badInput, formatErr } from './errors.mjs';
import { isSingle } from './collection-config.mjs';
import { geoPoint } from './geo.mjs';
import { normUuid } from './ids.mjs';

export function parsePath(key) {
  const segs = [];
  let i = 0;
  while (i < key.length) {
    let name = '';
    if (key[i] === '"') {
      const end = key.indexOf('"', i + 1);
      if (end < 0) throw badInput(`Invalid payload key: ${key}`);
      name = key.slice(i + 1, end);
      i = end + 1;
    } else {
      while (i < key.length && key[i] !== '.' && key[i] !== '[') name += key[i++];
    }
    const seg = { name, index: null };
    while (key[i] === '[') {
      const end = key.indexOf(']', i);
      if (end < 0) throw badInput(`Invalid payload key: ${key}`);
      const inner = key.slice(i + 1, end);
      if (inner !== '') {
        if (!/^\d+$/.test(inner)) throw badInput(`Invalid payload key: ${key}`);
        seg.index = Number(inner);
      }
      i = end + 1;
    }
    segs.push(seg);
    if (key[i] === '.') i++;
  }
  return segs;
}
/** The values at a key, arrays flattened (Qdrant matches any element of an array). */
export function rawValues(payload, segs) {
  let cur = [payload];
  for (const seg of segs) {
    const next = [];
    for (const v of cur) {
      for (const it of Array.isArray(v) ? v : [v]) {
        if (
          it &&
          typeof it === 'object' &&
          !Array.isArray(it) &&
          Object.prototype.hasOwnProperty.call(it, seg.name)
        ) {
          const x = it[seg.name];
          if (seg.index !== null) {
            if (Array.isArray(x) && seg.index < x.length) next.push(x[seg.index]);
          } else next.push(x);
        }
      }
    }
    cur = next;
  }
  return cur;
}
export function flatValues(raw) {
  const out = [];
  for (const v of raw) {
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null) out.push(x);
    } else if (v !== null) out.push(v);
  }
  return out;
}

export function clone(v) {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}
function getPathRaw(obj, segs) {
  let cur = obj;
  for (const s of segs) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur) || !(s.name in cur)) return undefined;
    cur = cur[s.name];
    if (s.index !== null) {
      if (!Array.isArray(cur) || s.index >= cur.length) return undefined;
      cur = cur[s.index];
    }
  }
  return cur;
}
function setPathRaw(obj, names, value) {
  let cur = obj;
  for (let i = 0; i < names.length - 1; i++) {
    if (!cur[names[i]] || typeof cur[names[i]] !== 'object' || Array.isArray(cur[names[i]]))
      cur[names[i]] = {};
    cur = cur[names[i]];
  }
  cur[names[names.length - 1]] = value;
}
export function deletePath(obj, key) {
  const segs = parsePath(key);
  const walk = (cur, i) => {
    if (Array.isArray(cur)) {
      for (const x of cur) walk(x, i);
      return;
    }
    if (!cur || typeof cur !== 'object') return;
    const s = segs[i];
    if (!(s.name in cur)) return;
    if (i === segs.length - 1 && s.index === null) {
      delete cur[s.name];
      return;
    }
    let next = cur[s.name];
    if (s.index !== null) {
      if (!Array.isArray(next) || s.index >= next.length) return;
      if (i === segs.length - 1) {
        next.splice(s.index, 1);
        return;
      }
      next = next[s.index];
    }
    walk(next, i + 1);
  };
  if (segs.length) walk(obj, 0);
}
/** with_payload: true/false, [keys], {include: [keys]}, {exclude: [keys]}. */
export function parseWithPayload(v, dflt, field = 'with_payload') {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  const strings = (a, f) => {
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'string'))
      throw formatErr(`${f}: data did not match any variant of untagged enum WithPayloadInterface`);
    return a;
  };
  if (Array.isArray(v)) return { include: strings(v, field) };
  if (typeof v === 'object' && 'include' in v) return { include: strings(v.include, `${field}.include`) };
  if (typeof v === 'object' && 'exclude' in v) return { exclude: strings(v.exclude, `${field}.exclude`) };
  throw formatErr(`${field}: data did not match any variant of untagged enum WithPayloadInterface`);
}
export function selectPayload(payload, sel) {
  if (sel === false) return null;
  if (sel === true) return clone(payload);
  if (sel.include) {
    const out = {};
    for (const key of sel.include) {
      const segs = parsePath(key);
      const v = getPathRaw(payload, segs);
      if (v !== undefined && segs.every((s) => s.index === null))
        setPathRaw(
          out,
          segs.map((s) => s.name),
          clone(v),
        );
    }
    return out;
  }
  const out = clone(payload);
  for (const key of sel.exclude) deletePath(out, key);
  return out;
}
export function parseWithVector(v, dflt, field = 'with_vector') {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  throw formatErr(`${field}: data did not match any variant of untagged enum WithVector`);
}
export function selectVector(col, p, sel) {
  if (!sel) return null;
  if (sel === true) return p.vector;
  if (isSingle(col.meta.config.params.vectors)) return sel.includes('') ? p.vector : {};
  const out = {};
  for (const n of sel) if (p.vector && n in p.vector) out[n] = p.vector[n];
  return out;
}
export const record = (col, p, wp, wv) => ({
  id: p.id,
  payload: selectPayload(p.payload, wp),
  vector: selectVector(col, p, wv),
});

export function indexType(fieldSchema) {
  return typeof fieldSchema === 'string' ? fieldSchema : fieldSchema.type;
}
export function valueFitsIndex(type, v) {
  switch (type) {
    case 'keyword':
    case 'text':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float':
      return typeof v === 'number';
    case 'bool':
      return typeof v === 'boolean';
    case 'geo':
      return !!geoPoint(v);
    case 'datetime':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v));
    case 'uuid':
      return typeof v === 'string' && !!normUuid(v);
  }
  return false;
}
