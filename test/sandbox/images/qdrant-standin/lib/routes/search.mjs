/*
 * Search and query endpoints, single and batch.
 */

import { expectObject, formatErr } from '../errors.mjs';
import { runQuery, runSearch } from '../search.mjs';
import { getCol } from '../store.mjs';
import { ok, readJson } from '../http.mjs';
import { route } from '../router.mjs';

route('POST', '/collections/{name}/points/search', async (ctx, { name }) => {
  const body = await readJson(ctx);
  ok(ctx, runSearch(getCol(name), body));
});
route('POST', '/collections/{name}/points/search/batch', async (ctx, { name }) => {
  const body = expectObject(await readJson(ctx), 'SearchRequestBatch');
  const col = getCol(name);
  if (!Array.isArray(body.searches)) throw formatErr('missing field `searches`');
  ok(
    ctx,
    body.searches.map((s) => runSearch(col, s)),
  );
});
route('POST', '/collections/{name}/points/query', async (ctx, { name }) => {
  const body = await readJson(ctx);
  ok(ctx, { points: runQuery(getCol(name), body) });
});
route('POST', '/collections/{name}/points/query/batch', async (ctx, { name }) => {
  const body = expectObject(await readJson(ctx), 'QueryRequestBatch');
  const col = getCol(name);
  if (!Array.isArray(body.searches)) throw formatErr('missing field `searches`');
  ok(
    ctx,
    body.searches.map((s) => ({ points: runQuery(col, s) })),
  );
});
