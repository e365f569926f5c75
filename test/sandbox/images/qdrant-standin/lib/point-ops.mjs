/*
 * Point updates parsed into the operation records the log stores (upsert, delete, payload set /
 * overwrite / delete / clear, vectors update / delete), with point selectors by ids or filter.
 * Parsed inside the collection's lock, so a filter sees the points as they are when it runs.
 */

import { badInput, expectObject, formatErr, notFound } from './errors.mjs';
import { isSingle, vectorSpecs } from './collection-config.mjs';
import { keyOf, parseId, parseIdList } from './ids.mjs';
import { parsePointVector } from './vectors.mjs';
import { clone } from './payload.mjs';
import { compileFilter } from './filters.mjs';

export function parseUpsert(col, body) {
  expectObject(body, 'PointInsertOperations');
  const points = [];
  if (body.batch != null) {
    const b = expectObject(body.batch, 'Batch');
    const ids = parseIdList(b.ids, 'batch.ids');
    const payloads = b.payloads == null ? [] : b.payloads;
    if (!Array.isArray(payloads)) throw formatErr('batch.payloads: invalid type, expected a sequence');
    let vecs;
    if (Array.isArray(b.vectors)) {
      if (b.vectors.length !== ids.length)
        throw badInput(`Wrong number of vectors: ${b.vectors.length} vectors for ${ids.length} ids`);
      vecs = b.vectors.map((v, i) => parsePointVector(col, v, `batch.vectors[${i}]`));
    } else if (b.vectors && typeof b.vectors === 'object') {
      vecs = ids.map(() => ({}));
      for (const [n, list] of Object.entries(b.vectors)) {
        if (!Array.isArray(list) || list.length !== ids.length)
          throw badInput(`Wrong number of vectors for \`${n}\`: expected ${ids.length}`);
        list.forEach((v, i) => {
          vecs[i][n] = v;
        });
      }
      vecs = vecs.map((v, i) => parsePointVector(col, v, `batch.vectors[${i}]`));
    } else throw formatErr('batch: missing field `vectors`');
    if (payloads.length && payloads.length !== ids.length)
      throw badInput(`Wrong number of payloads: ${payloads.length} payloads for ${ids.length} ids`);
    ids.forEach((id, i) => {
      const pl = payloads[i];
      points.push({ id, vector: vecs[i], payload: pl == null ? {} : clone(expectObject(pl, 'Payload')) });
    });
  } else if (body.points != null) {
    if (!Array.isArray(body.points)) throw formatErr('points: invalid type, expected a sequence');
    body.points.forEach((p, i) => {
      expectObject(p, 'PointStruct');
      if (p.id === undefined) throw formatErr(`points[${i}]: missing field \`id\``);
      const id = parseId(p.id);
      if (p.vector === undefined) throw formatErr(`points[${i}]: missing field \`vector\``);
      const vector = parsePointVector(col, p.vector, `points[${i}].vector`);
      points.push({
        id,
        vector,
        payload: p.payload == null ? {} : clone(expectObject(p.payload, 'Payload')),
      });
    });
  } else throw formatErr('data did not match any variant of untagged enum PointInsertOperations');
  return { op: 'upsert', points };
}
/** Point ids named by a PointsSelector ({points: [...]} or {filter: {...}}), existing or not. */
export function selectIds(col, body, what = 'PointsSelector') {
  expectObject(body, what);
  if (body.points != null) return parseIdList(body.points, 'points');
  if (body.filter != null) {
    const f = compileFilter(body.filter);
    return col
      .sortedPoints()
      .filter((p) => f(p))
      .map((p) => p.id);
  }
  throw formatErr(`data did not match any variant of untagged enum ${what}`);
}
export function parseSetPayload(col, body, overwrite) {
  expectObject(body, 'SetPayload');
  const payload = expectObject(body.payload, 'Payload');
  let ids;
  if (body.points != null) ids = parseIdList(body.points, 'points');
  else if (body.filter != null) ids = selectIds(col, { filter: body.filter });
  else throw badInput('No points or filter specified');
  if (overwrite) return { op: 'overwrite_payload', ids, payload: clone(payload) };
  if (body.key != null && typeof body.key !== 'string')
    throw formatErr('key: invalid type, expected a string');
  return { op: 'set_payload', ids, payload: clone(payload), key: body.key || null };
}
export function parseDeletePayload(col, body) {
  expectObject(body, 'DeletePayload');
  if (!Array.isArray(body.keys) || !body.keys.every((k) => typeof k === 'string'))
    throw formatErr('missing field `keys`');
  let ids;
  if (body.points != null) ids = parseIdList(body.points, 'points');
  else if (body.filter != null) ids = selectIds(col, { filter: body.filter });
  else throw badInput('No points or filter specified');
  return { op: 'delete_payload', ids, keys: body.keys };
}
export function parseUpdateVectors(col, body) {
  expectObject(body, 'UpdateVectors');
  if (!Array.isArray(body.points)) throw formatErr('missing field `points`');
  const points = body.points.map((p, i) => {
    expectObject(p, 'PointVectors');
    const id = parseId(p.id);
    if (!col.points.has(keyOf(id))) throw notFound(`No point with id ${id} found`);
    return { id, vector: parsePointVector(col, p.vector, `points[${i}].vector`) };
  });
  return { op: 'update_vectors', points };
}
export function parseDeleteVectors(col, body) {
  expectObject(body, 'DeleteVectors');
  if (!Array.isArray(body.vector) || !body.vector.every((n) => typeof n === 'string'))
    throw formatErr('missing field `vector`');
  if (isSingle(col.meta.config.params.vectors))
    throw badInput('Cannot delete the only (unnamed) vector of a point');
  for (const n of body.vector)
    if (!vectorSpecs(col)[n]) throw badInput(`Not existing vector name error: ${n}`);
  const ids =
    body.points != null ? parseIdList(body.points, 'points') : selectIds(col, { filter: body.filter });
  return { op: 'delete_vectors', ids, names: body.vector };
}
