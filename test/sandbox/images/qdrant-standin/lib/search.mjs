/*
 * Search and query: brute-force nearest neighbours with the collection's distance (ties in id
 * order), the search request, and the query request (a vector, `{nearest}`, a point id, or none:
 * points in id order).
 */

import { badInput, expectObject, formatErr, notFound, optNumber, optUint, unsupported } from './errors.mjs';
import { vectorSpecs } from './collection-config.mjs';
import { cmpId, keyOf, parseId } from './ids.mjs';
import { higherIsBetter, normalize, parseDense, pointVector, score } from './vectors.mjs';
import { parseWithPayload, parseWithVector, selectPayload, selectVector } from './payload.mjs';
import { compileFilter } from './filters.mjs';

/** Brute-force nearest neighbours; the common core of search and query. */
export function nearest(col, { name, vector, filter, limit, offset, scoreThreshold, wp, wv, exclude }) {
  const spec = vectorSpecs(col)[name];
  if (!spec) throw badInput(`Not existing vector name error: ${name}`);
  if (vector.length !== spec.size)
    throw badInput(`Vector dimension error: expected dim: ${spec.size}, got ${vector.length}`);
  const q = spec.distance === 'Cosine' ? normalize(vector) : vector;
  const better = higherIsBetter(spec.distance);
  const scored = [];
  for (const p of col.points.values()) {
    if (exclude && exclude.has(keyOf(p.id))) continue;
    const v = pointVector(col, p, name);
    if (!v) continue;
    if (filter && !filter(p)) continue;
    const s = score(spec.distance, q, v);
    if (scoreThreshold !== undefined && (better ? s < scoreThreshold : s > scoreThreshold)) continue;
    scored.push({ p, s });
  }
  scored.sort((a, b) => (better ? b.s - a.s : a.s - b.s) || cmpId(a.p.id, b.p.id));
  return scored.slice(offset, offset + limit).map(({ p, s }) => ({
    id: p.id,
    version: col.seq,
    score: s,
    payload: selectPayload(p.payload, wp),
    vector: selectVector(col, p, wv),
  }));
}
function parseSearchVector(v) {
  if (Array.isArray(v)) return { name: '', vector: parseDense(v, 'vector') };
  if (v && typeof v === 'object' && typeof v.name === 'string') {
    if (v.vector && typeof v.vector === 'object' && !Array.isArray(v.vector))
      throw unsupported('sparse vectors');
    const dense = parseDense(v.vector, 'vector.vector');
    if (dense) return { name: v.name, vector: dense };
  }
  throw formatErr('vector: data did not match any variant of untagged enum NamedVectorStruct');
}
export function runSearch(col, body) {
  expectObject(body, 'SearchRequest');
  if (body.vector === undefined) throw formatErr('missing field `vector`');
  if (body.limit === undefined) throw formatErr('missing field `limit`');
  const { name, vector } = parseSearchVector(body.vector);
  return nearest(col, {
    name,
    vector,
    filter: compileFilter(body.filter),
    limit: optUint(body.limit, 'limit', 1),
    offset: optUint(body.offset, 'offset') ?? 0,
    scoreThreshold: optNumber(body.score_threshold, 'score_threshold'),
    wp: parseWithPayload(body.with_payload, false),
    wv: parseWithVector(body.with_vector, false),
  });
}
export function runQuery(col, body) {
  expectObject(body, 'QueryRequest');
  if (body.prefetch != null && !(Array.isArray(body.prefetch) && body.prefetch.length === 0))
    throw unsupported('query with prefetch');
  if (body.lookup_from != null) throw unsupported('query with lookup_from');
  const using = body.using == null ? '' : body.using;
  if (typeof using !== 'string') throw formatErr('using: invalid type, expected a string');
  const filter = compileFilter(body.filter);
  const limit = optUint(body.limit, 'limit', 1) ?? 10;
  const offset = optUint(body.offset, 'offset') ?? 0;
  const wp = parseWithPayload(body.with_payload, false);
  const wv = parseWithVector(body.with_vector, false);
  const scoreThreshold = optNumber(body.score_threshold, 'score_threshold');
  let q = body.query;
  if (q && typeof q === 'object' && !Array.isArray(q) && 'nearest' in q) {
    if (q.mmr != null) throw unsupported('query with mmr');
    q = q.nearest;
  } else if (q && typeof q === 'object' && !Array.isArray(q)) {
    const kind = Object.keys(q)[0];
    if ('indices' in q) throw unsupported('sparse vectors');
    throw unsupported(`query \`${kind}\``);
  }
  if (q === undefined || q === null) {
    // No query: points in id order, like scroll (score 0).
    const pts = col
      .sortedPoints()
      .filter((p) => !filter || filter(p))
      .slice(offset, offset + limit);
    return pts.map((p) => ({
      id: p.id,
      version: col.seq,
      score: 0,
      payload: selectPayload(p.payload, wp),
      vector: selectVector(col, p, wv),
    }));
  }
  let vector;
  let exclude = null;
  if (Array.isArray(q)) {
    if (q.length && Array.isArray(q[0])) throw unsupported('multivectors');
    vector = parseDense(q, 'query');
  } else if (typeof q === 'number' || typeof q === 'string') {
    const id = parseId(q);
    const p = col.points.get(keyOf(id));
    if (!p) throw notFound(`No point with id ${id} found`);
    vector = pointVector(col, p, using);
    if (!vector) throw badInput(`Vector \`${using}\` of point ${id} is missing`);
    exclude = new Set([keyOf(id)]);
  } else throw formatErr('query: data did not match any variant of untagged enum QueryInterface');
  return nearest(col, { name: using, vector, filter, limit, offset, scoreThreshold, wp, wv, exclude });
}
