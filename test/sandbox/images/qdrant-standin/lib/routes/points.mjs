/*
 * Point endpoints: the updates (each logged durably, then applied), batches of updates, and the
 * reads (one point, points by ids, scroll in id order with next_page_offset, count).
 */

import { badInput, expectObject, formatErr, notFound, optBool, optUint, unsupported } from '../errors.mjs';
import { cmpId, keyOf, normUuid, parseId, parseIdList } from '../ids.mjs';
import { parseWithPayload, parseWithVector, record } from '../payload.mjs';
import { compileFilter } from '../filters.mjs';
import {
  parseDeletePayload,
  parseDeleteVectors,
  parseSetPayload,
  parseUpdateVectors,
  parseUpsert,
  selectIds,
} from '../point-ops.mjs';
import { commit, getCol, mutate, withLock } from '../store.mjs';
import { ok, qBool, readJson, updateResult } from '../http.mjs';
import { route } from '../router.mjs';

// --- points: updates
function updateRoute(method, suffix, parse) {
  route(method, `/collections/{name}${suffix}`, async (ctx, { name }) => {
    qBool(ctx.query, 'wait');
    const body = await readJson(ctx);
    const opId = await mutate(name, (col) => parse(col, body));
    updateResult(ctx, opId);
  });
}
updateRoute('PUT', '/points', parseUpsert);
updateRoute('POST', '/points/delete', (col, body) => ({ op: 'delete', ids: selectIds(col, body) }));
updateRoute('POST', '/points/payload', (col, body) => parseSetPayload(col, body, false));
updateRoute('PUT', '/points/payload', (col, body) => parseSetPayload(col, body, true));
updateRoute('POST', '/points/payload/delete', parseDeletePayload);
updateRoute('POST', '/points/payload/clear', (col, body) => ({
  op: 'clear_payload',
  ids: selectIds(col, body),
}));
updateRoute('PUT', '/points/vectors', parseUpdateVectors);
updateRoute('POST', '/points/vectors/delete', parseDeleteVectors);

route('POST', '/collections/{name}/points/batch', async (ctx, { name }) => {
  const wait = qBool(ctx.query, 'wait');
  const body = expectObject(await readJson(ctx), 'UpdateOperations');
  if (!Array.isArray(body.operations)) throw formatErr('missing field `operations`');
  const ids = await withLock(name, async () => {
    const col = getCol(name);
    const out = [];
    for (const op of body.operations) {
      expectObject(op, 'UpdateOperation');
      const [kind] = Object.keys(op);
      const arg = op[kind];
      let rec;
      if (kind === 'upsert') rec = parseUpsert(col, arg);
      else if (kind === 'delete') rec = { op: 'delete', ids: selectIds(col, arg) };
      else if (kind === 'set_payload') rec = parseSetPayload(col, arg, false);
      else if (kind === 'overwrite_payload') rec = parseSetPayload(col, arg, true);
      else if (kind === 'delete_payload') rec = parseDeletePayload(col, arg);
      else if (kind === 'clear_payload') rec = { op: 'clear_payload', ids: selectIds(col, arg) };
      else if (kind === 'update_vectors') rec = parseUpdateVectors(col, arg);
      else if (kind === 'delete_vectors') rec = parseDeleteVectors(col, arg);
      else throw formatErr(`unknown variant \`${kind}\` of UpdateOperation`);
      out.push(await commit(col, rec));
    }
    return out;
  });
  ok(
    ctx,
    ids.map((id) => ({ operation_id: id, status: wait ? 'completed' : 'acknowledged' })),
  );
});

// --- points: reads
route('GET', '/collections/{name}/points/{id}', (ctx, { name, id }) => {
  const col = getCol(name);
  const pid = /^\d+$/.test(id) && Number.isSafeInteger(Number(id)) ? Number(id) : normUuid(id);
  if (pid === null) throw badInput(`Can not recognize "${id}" as point id`);
  const p = col.points.get(keyOf(pid));
  if (!p) throw notFound(`No point with id ${pid} found`);
  ok(ctx, record(col, p, true, true));
});

route('POST', '/collections/{name}/points', async (ctx, { name }) => {
  const body = expectObject(await readJson(ctx), 'PointRequest');
  const col = getCol(name);
  if (body.ids === undefined) throw formatErr('missing field `ids`');
  const ids = parseIdList(body.ids, 'ids');
  const wp = parseWithPayload(body.with_payload, true);
  const wv = parseWithVector(body.with_vector, false);
  const seen = new Set();
  const out = [];
  for (const id of ids) {
    const k = keyOf(id);
    const p = col.points.get(k);
    if (p && !seen.has(k)) {
      seen.add(k);
      out.push(record(col, p, wp, wv));
    }
  }
  ok(ctx, out);
});

route('POST', '/collections/{name}/points/scroll', async (ctx, { name }) => {
  const body = expectObject(await readJson(ctx, { optional: true }), 'ScrollRequest');
  const col = getCol(name);
  const limit = optUint(body.limit, 'limit', 1) ?? 10;
  const f = compileFilter(body.filter);
  const wp = parseWithPayload(body.with_payload, true);
  const wv = parseWithVector(body.with_vector, false);
  if (body.order_by != null) throw unsupported('scroll with order_by');
  const all = col.sortedPoints();
  let i = 0;
  if (body.offset != null) {
    const off = parseId(body.offset);
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmpId(all[mid].id, off) < 0) lo = mid + 1;
      else hi = mid;
    }
    i = lo;
  }
  const points = [];
  let next = null;
  for (; i < all.length; i++) {
    const p = all[i];
    if (f && !f(p)) continue;
    if (points.length === limit) {
      next = p.id;
      break;
    }
    points.push(record(col, p, wp, wv));
  }
  ok(ctx, { points, next_page_offset: next });
});

route('POST', '/collections/{name}/points/count', async (ctx, { name }) => {
  const body = expectObject(await readJson(ctx, { optional: true }), 'CountRequest');
  const col = getCol(name);
  optBool(body.exact, 'exact');
  const f = compileFilter(body.filter);
  let n = 0;
  if (!f) n = col.points.size;
  else for (const p of col.points.values()) if (f(p)) n++;
  ok(ctx, { count: n });
});
