/*
 * Collection endpoints: list, info (with payload_schema counts), exists, aliases, create, update
 * (settings merged and echoed), delete; changing aliases is not supported.
 */

import fs from 'node:fs';
import path from 'node:path';
import { COLLECTIONS_DIR, STAGING_DIR, log } from '../settings.mjs';
import { badInput, expectObject, unsupported } from '../errors.mjs';
import { fsyncDir, rand } from '../files.mjs';
import { buildConfig, isSingle, validateCollectionName } from '../collection-config.mjs';
import { clone, flatValues, indexType, parsePath, rawValues, valueFitsIndex } from '../payload.mjs';
import { collections, getCol, installCollection, withLock } from '../store.mjs';
import { ok, readJson } from '../http.mjs';
import { route } from '../router.mjs';

const fsp = fs.promises;

route('GET', '/collections', (ctx) =>
  ok(ctx, { collections: [...collections.keys()].sort().map((name) => ({ name })) }),
);

route('GET', '/collections/{name}', (ctx, { name }) => {
  const col = getCol(name);
  const schema = {};
  for (const [field, info] of Object.entries(col.meta.payload_schema)) {
    const type = indexType(info.field_schema);
    const segs = parsePath(field);
    let n = 0;
    for (const p of col.points.values())
      if (flatValues(rawValues(p.payload, segs)).some((v) => valueFitsIndex(type, v))) n++;
    schema[field] =
      typeof info.field_schema === 'object'
        ? { data_type: type, params: info.field_schema, points: n }
        : { data_type: type, points: n };
  }
  ok(ctx, {
    status: 'green',
    optimizer_status: 'ok',
    indexed_vectors_count: 0,
    points_count: col.points.size,
    segments_count: 1,
    config: col.meta.config,
    payload_schema: schema,
  });
});

route('GET', '/collections/{name}/exists', (ctx, { name }) => ok(ctx, { exists: collections.has(name) }));
route('GET', '/collections/{name}/aliases', (ctx, { name }) => {
  getCol(name);
  ok(ctx, { aliases: [] });
});

route('PUT', '/collections/{name}', async (ctx, { name }) => {
  validateCollectionName(name);
  const body = expectObject(await readJson(ctx), 'CreateCollection');
  if (body.init_from != null) throw unsupported('init_from');
  const config = buildConfig(body);
  await withLock(name, async () => {
    if (collections.has(name)) throw badInput(`Collection \`${name}\` already exists!`);
    const meta = { format: 'qdrant-standin-collection', version: 1, name, config, payload_schema: {} };
    await installCollection(name, meta, [], 0);
  });
  log(`collection ${name} created`);
  ok(ctx, true);
});

route('PATCH', '/collections/{name}', async (ctx, { name }) => {
  const body = expectObject(await readJson(ctx), 'UpdateCollection');
  await withLock(name, async () => {
    const col = getCol(name);
    const cfg = clone(col.meta.config);
    const obj = (x, what) => expectObject(x, what);
    if (body.optimizers_config != null)
      Object.assign(cfg.optimizer_config, obj(body.optimizers_config, 'OptimizersConfigDiff'));
    if (body.hnsw_config != null) Object.assign(cfg.hnsw_config, obj(body.hnsw_config, 'HnswConfigDiff'));
    if (body.strict_mode_config != null)
      Object.assign(cfg.strict_mode_config, obj(body.strict_mode_config, 'StrictModeConfig'));
    if (body.quantization_config !== undefined)
      cfg.quantization_config = body.quantization_config === 'Disabled' ? null : body.quantization_config;
    if (body.params != null) {
      const p = obj(body.params, 'CollectionParamsDiff');
      for (const k of [
        'replication_factor',
        'write_consistency_factor',
        'read_fan_out_factor',
        'on_disk_payload',
      ])
        if (p[k] !== undefined) cfg.params[k] = p[k];
    }
    if (body.vectors != null) {
      const specs = isSingle(cfg.params.vectors) ? { '': cfg.params.vectors } : cfg.params.vectors;
      for (const [n, diff] of Object.entries(obj(body.vectors, 'VectorsConfigDiff'))) {
        if (!specs[n]) throw badInput(`Not existing vector name error: ${n}`);
        for (const k of ['hnsw_config', 'quantization_config', 'on_disk'])
          if (diff && diff[k] !== undefined) specs[n][k] = diff[k];
      }
    }
    if (body.sparse_vectors != null) throw unsupported('sparse_vectors');
    col.meta.config = cfg;
    await col.writeMeta();
  });
  ok(ctx, true);
});

route('DELETE', '/collections/{name}', async (ctx, { name }) => {
  const existed = await withLock(name, async () => {
    const col = collections.get(name);
    if (!col) return false;
    await col.closeWal();
    collections.delete(name);
    const trash = path.join(STAGING_DIR, `trash-${rand()}`);
    await fsp.rename(col.dir, trash);
    await fsyncDir(COLLECTIONS_DIR);
    await fsp.rm(trash, { recursive: true, force: true });
    return true;
  });
  if (existed) log(`collection ${name} deleted`);
  ok(ctx, existed);
});

route('POST', '/collections/aliases', async () => {
  throw unsupported('aliases');
});
