/*
 * Dense vectors: checked against the collection's vector params (dimension, name), Cosine vectors
 * normalised on the way in as Qdrant does, and the brute-force distances search uses.
 */

import { badInput, describe, formatErr, unsupported } from './errors.mjs';
import { isSingle, vectorSpecs } from './collection-config.mjs';

export function parseDense(v, where) {
  if (!Array.isArray(v)) return null;
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw formatErr(`${where}: invalid type: ${describe(x)}, expected f32`);
  }
  return v;
}
export function normalize(v) {
  let s = 0;
  for (const x of v) s += x * x;
  if (s === 0) return v.slice();
  const n = Math.sqrt(s);
  return v.map((x) => x / n);
}
/** One named (or unnamed, '') dense vector checked against its params; Cosine vectors are normalised as Qdrant does. */
function checkVector(spec, name, v, where, normalizeCosine) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    if ('indices' in v) throw unsupported('sparse vectors');
    if ('text' in v || 'image' in v || 'object' in v)
      throw unsupported('inference (Document/Image/InferenceObject vectors)');
  }
  if (Array.isArray(v) && v.length && Array.isArray(v[0])) throw unsupported('multivectors');
  const dense = parseDense(v, where);
  if (!dense) throw formatErr(`${where}: data did not match any variant of untagged enum VectorStruct`);
  const params = spec[name];
  if (!params) throw badInput(`Not existing vector name error: ${name}`);
  if (dense.length !== params.size)
    throw badInput(`Vector dimension error: expected dim: ${params.size}, got ${dense.length}`);
  return normalizeCosine && params.distance === 'Cosine' ? normalize(dense) : dense.slice();
}
/** A point's vector(s) as stored: an array for an unnamed-vector collection, else {name: array}. */
export function parsePointVector(col, v, where, normalizeCosine = true) {
  const spec = vectorSpecs(col);
  const single = isSingle(col.meta.config.params.vectors);
  if (Array.isArray(v)) {
    if (!single) throw badInput('Not existing vector name error: ');
    return checkVector(spec, '', v, where, normalizeCosine);
  }
  if (v && typeof v === 'object') {
    if ('indices' in v || 'text' in v || 'image' in v || 'object' in v)
      return checkVector(spec, '', v, where, normalizeCosine);
    if (single) {
      const names = Object.keys(v);
      if (names.length === 1 && names[0] === '') return checkVector(spec, '', v[''], where, normalizeCosine);
      throw badInput(`Not existing vector name error: ${names.find((n) => n !== '') ?? ''}`);
    }
    const out = {};
    for (const [name, vec] of Object.entries(v))
      out[name] = checkVector(spec, name, vec, `${where}.${name}`, normalizeCosine);
    return out;
  }
  if (v === undefined && !single && Object.keys(spec).length === 0) return {};
  throw formatErr(`${where}: data did not match any variant of untagged enum VectorStruct`);
}
export function pointVector(col, p, name) {
  if (isSingle(col.meta.config.params.vectors)) return name === '' ? p.vector : undefined;
  return p.vector ? p.vector[name] : undefined;
}
export function score(distance, q, v) {
  let s = 0;
  switch (distance) {
    case 'Cosine':
    case 'Dot':
      for (let i = 0; i < q.length; i++) s += q[i] * v[i];
      return s;
    case 'Euclid':
      for (let i = 0; i < q.length; i++) s += (q[i] - v[i]) ** 2;
      return Math.sqrt(s);
    case 'Manhattan':
      for (let i = 0; i < q.length; i++) s += Math.abs(q[i] - v[i]);
      return s;
  }
  return 0;
}
export const higherIsBetter = (d) => d === 'Cosine' || d === 'Dot';
