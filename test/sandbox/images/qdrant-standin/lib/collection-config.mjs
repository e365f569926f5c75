/*
 * A collection's configuration: the vectors (one unnamed or several named, with size and distance),
 * the settings Qdrant has and the stand-in only stores and echoes (hnsw, optimizers, wal,
 * quantization, strict mode), and the rules for a collection's name.
 */

import { DISTANCES } from './settings.mjs';
import { expectObject, formatErr, optBool, optUint, pathErr, unsupported, validationErr } from './errors.mjs';

const HNSW_DEFAULTS = {
  m: 16,
  ef_construct: 100,
  full_scan_threshold: 10000,
  max_indexing_threads: 0,
  on_disk: false,
};
const OPTIMIZER_DEFAULTS = {
  deleted_threshold: 0.2,
  vacuum_min_vector_number: 1000,
  default_segment_number: 0,
  max_segment_size: null,
  memmap_threshold: null,
  indexing_threshold: 20000,
  flush_interval_sec: 5,
  max_optimization_threads: null,
};
const WAL_DEFAULTS = { wal_capacity_mb: 32, wal_segments_ahead: 0 };
const VECTOR_PARAM_KEYS = [
  'size',
  'distance',
  'hnsw_config',
  'quantization_config',
  'on_disk',
  'datatype',
  'multivector_config',
];

function parseVectorParams(v, where) {
  expectObject(v, 'VectorParams');
  if (v.size === undefined) throw formatErr(`${where}: missing field \`size\``);
  if (v.distance === undefined) throw formatErr(`${where}: missing field \`distance\``);
  const size = optUint(v.size, `${where}.size`);
  if (size < 1 || size > 65536)
    throw validationErr(`${where}.size: value ${size} invalid, must be from 1 to 65536`);
  if (!DISTANCES.includes(v.distance)) {
    throw formatErr(
      `${where}.distance: unknown variant \`${v.distance}\`, expected one of \`Cosine\`, \`Euclid\`, \`Dot\`, \`Manhattan\``,
    );
  }
  if (v.multivector_config != null) throw unsupported('multivector_config');
  const out = {};
  for (const k of VECTOR_PARAM_KEYS) if (v[k] !== undefined && v[k] !== null) out[k] = v[k];
  return out;
}
/** `{size, distance}` (one unnamed vector) or `{name: {size, distance}, ...}` (named vectors). */
export function parseVectorsConfig(v) {
  if (v === undefined || v === null) return {};
  expectObject(v, 'VectorsConfig');
  if ('size' in v || 'distance' in v) return parseVectorParams(v, 'vectors');
  const out = {};
  for (const [name, p] of Object.entries(v)) out[name] = parseVectorParams(p, `vectors.${name}`);
  return out;
}
export const isSingle = (vectors) => typeof vectors.size === 'number';
/** name -> params ('' is the unnamed vector). */
export function vectorSpecs(col) {
  const v = col.meta.config.params.vectors;
  return isSingle(v) ? { '': v } : v;
}

export function buildConfig(body) {
  const params = { vectors: parseVectorsConfig(body.vectors) };
  if (body.sparse_vectors != null && Object.keys(body.sparse_vectors).length)
    throw unsupported('sparse_vectors');
  if (body.sharding_method === 'custom') throw unsupported('custom sharding');
  params.shard_number = optUint(body.shard_number, 'shard_number', 1) ?? 1;
  params.replication_factor = optUint(body.replication_factor, 'replication_factor', 1) ?? 1;
  params.write_consistency_factor =
    optUint(body.write_consistency_factor, 'write_consistency_factor', 1) ?? 1;
  params.on_disk_payload = optBool(body.on_disk_payload, 'on_disk_payload') ?? true;
  const obj = (x, what) => (x == null ? {} : expectObject(x, what));
  return {
    params,
    hnsw_config: { ...HNSW_DEFAULTS, ...obj(body.hnsw_config, 'HnswConfigDiff') },
    optimizer_config: { ...OPTIMIZER_DEFAULTS, ...obj(body.optimizers_config, 'OptimizersConfigDiff') },
    wal_config: { ...WAL_DEFAULTS, ...obj(body.wal_config, 'WalConfigDiff') },
    quantization_config: body.quantization_config ?? null,
    strict_mode_config: { enabled: false, ...obj(body.strict_mode_config, 'StrictModeConfig') },
  };
}

export function validateCollectionName(name) {
  if (typeof name !== 'string' || name.length < 1 || name.length > 255) {
    throw pathErr('name: collection name must be between 1 and 255 characters');
  }
  if (name === '.' || name === '..') throw pathErr(`name: collection name cannot be \`${name}\``);
  for (const ch of name) {
    if ('<>:"/\\|?*'.includes(ch) || ch.charCodeAt(0) < 0x20) {
      throw pathErr(`name: collection name cannot contain "${ch}" char`);
    }
  }
}
