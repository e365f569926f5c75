/*
 * Qdrant STAND-IN for the Truffles test world (image truffles/qdrant-standin:1.13).
 *
 * This is NOT Qdrant. No registry is reachable on the test machines and no Debian or npm
 * package ships the Qdrant server, so this small plain-Node program speaks the subset of
 * Qdrant 1.13's REST wire protocol that the console uses (typed from @qdrant/js-client-rest's
 * OpenAPI types): the same paths, query parameters, JSON bodies, response envelopes
 * (`{"result":…,"status":"ok","time":…}`), error envelopes (`{"status":{"error":…},"time":…}`),
 * status codes and api-key handling. Search is brute force over vectors kept in memory.
 * No gRPC (port 6334 is not served). Snapshots use this stand-in's own file format (see
 * README.md), not Qdrant's tar format: a snapshot of the real server cannot be restored here,
 * nor the other way round.
 *
 * Durability: every collection lives in <storage>/collections/<name>/ as collection.json
 * (config, written atomically: tmp + fsync + rename + directory fsync), points.jsonl (a base
 * image of the points, written atomically the same way) and wal.jsonl (an append-only log of
 * the operations since that base, fsync'd before an operation is answered). A torn last log
 * line (crash while appending) is dropped on start. The log is folded into the base image once
 * it grows past the base's size.
 *
 * Dependencies: none but Node (>= 18, Debian bookworm's nodejs). An ES module (.mjs).
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fsp = fs.promises;

// ---------------------------------------------------------------------------------------------
// Settings (the same environment variables as Qdrant's, where they exist).
const VERSION = '1.13.6-standin';
const TITLE = 'qdrant - vector search engine';
const env = process.env;
const CWD = process.cwd();
const abs = (p) => (path.isAbsolute(p) ? p : path.resolve(CWD, p));
const STORAGE = abs(env.QDRANT__STORAGE__STORAGE_PATH || './storage');
const SNAPSHOTS = abs(env.QDRANT__STORAGE__SNAPSHOTS_PATH || './snapshots');
const HOST = env.QDRANT__SERVICE__HOST || '0.0.0.0';
const PORT = Number(env.QDRANT__SERVICE__HTTP_PORT || 6333);
const API_KEY = env.QDRANT__SERVICE__API_KEY || '';
const MAX_REQUEST_BYTES = Math.floor(Number(env.QDRANT__SERVICE__MAX_REQUEST_SIZE_MB || 32) * 1024 * 1024);
const COLLECTIONS_DIR = path.join(STORAGE, 'collections');
const STAGING_DIR = path.join(STORAGE, '.standin-tmp');
const UPLOAD_DIR = path.join(SNAPSHOTS, '.standin-upload');
/** The WAL is folded into the base image once it is larger than this and than the base. */
const WAL_COMPACT_MIN_BYTES = 8 * 1024 * 1024;
const SNAPSHOT_MAGIC = 'QDRANT-STANDIN-SNAPSHOT v1';
const DISTANCES = ['Cosine', 'Euclid', 'Dot', 'Manhattan'];
const INDEX_TYPES = ['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'];
const PRIORITIES = ['no_sync', 'snapshot', 'replica'];

function log(...args) {
  console.log(new Date().toISOString(), 'INFO qdrant-standin:', ...args);
}
function logError(...args) {
  console.error(new Date().toISOString(), 'ERROR qdrant-standin:', ...args);
}

// ---------------------------------------------------------------------------------------------
// Errors, in Qdrant's words and with Qdrant's status codes.
class ApiErr extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const notFound = (d) => new ApiErr(404, `Not found: ${d}`);
const badInput = (d) => new ApiErr(400, `Wrong input: ${d}`);
const badRequest = (d) => new ApiErr(400, `Bad request: ${d}`);
const formatErr = (d) => new ApiErr(400, `Format error in JSON body: ${d}`);
const validationErr = (d) => new ApiErr(422, `Validation error in JSON body: [${d}]`);
const queryErr = (d) => new ApiErr(400, `Deserialize error in query parameters: ${d}`);
const pathErr = (d) => new ApiErr(422, `Validation error in path parameters: [${d}]`);
const serviceErr = (d) => new ApiErr(500, `Service internal error: ${d}`);
const unsupported = (what) =>
  badRequest(
    `${what} is not supported by the Qdrant stand-in (truffles/qdrant-standin), which implements only a subset of Qdrant`,
  );
const collectionMissing = (name) => notFound(`Collection \`${name}\` doesn't exist!`);

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'sequence';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  return `${typeof v} \`${String(v)}\``;
}
function expectObject(v, what) {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw formatErr(`invalid type: ${describe(v)}, expected struct ${what}`);
  return v;
}
function optBool(v, field) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw formatErr(`${field}: invalid type: ${describe(v)}, expected a boolean`);
  return v;
}
function optUint(v, field, min = 0) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw formatErr(`${field}: invalid value: ${describe(v)}, expected usize`);
  }
  if (v < min) throw validationErr(`${field}: value ${v} invalid, must be ${min} or larger`);
  return v;
}
function optNumber(v, field) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw formatErr(`${field}: invalid type: ${describe(v)}, expected f32`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Small file helpers: atomic writes and directory fsyncs.
async function fsyncDir(dir) {
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
const rand = () => crypto.randomBytes(6).toString('hex');

async function writeFileAtomic(file, data) {
  const tmp = `${file}.tmp-${rand()}`;
  const h = await fsp.open(tmp, 'w', 0o644);
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
  await fsp.rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

/** Buffered writer to a file handle; optional hashes see every byte written. */
class ChunkWriter {
  constructor(fh, hashes = []) {
    this.fh = fh;
    this.hashes = hashes;
    this.parts = [];
    this.pending = 0;
    this.size = 0;
  }
  async write(str) {
    const b = Buffer.from(str, 'utf8');
    for (const h of this.hashes) h.update(b);
    this.parts.push(b);
    this.pending += b.length;
    this.size += b.length;
    if (this.pending >= 1 << 20) await this.flush();
  }
  async flush() {
    if (!this.pending) return;
    const b = Buffer.concat(this.parts);
    this.parts = [];
    this.pending = 0;
    await this.fh.write(b, 0, b.length);
  }
}

async function moveFile(src, dst) {
  try {
    await fsp.rename(src, dst);
  } catch (e) {
    if (e.code !== 'EXDEV') throw e;
    const tmp = `${dst}.tmp-${rand()}`;
    await fsp.copyFile(src, tmp);
    const h = await fsp.open(tmp, 'r+');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
    await fsp.rename(tmp, dst);
    await fsp.unlink(src);
  }
  await fsyncDir(path.dirname(dst));
}

// ---------------------------------------------------------------------------------------------
// Point ids: unsigned integers or UUIDs (kept in Qdrant's canonical hyphenated lowercase form).
function normUuid(s) {
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
function parseId(v) {
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
function parseIdList(v, field) {
  if (!Array.isArray(v)) throw formatErr(`${field}: invalid type: ${describe(v)}, expected a sequence`);
  return v.map(parseId);
}
const keyOf = (id) => (typeof id === 'number' ? `n${id}` : `u${id}`);
function cmpId(a, b) {
  const na = typeof a === 'number';
  const nb = typeof b === 'number';
  if (na && nb) return a - b;
  if (na) return -1;
  if (nb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Collection configuration.
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
function parseVectorsConfig(v) {
  if (v === undefined || v === null) return {};
  expectObject(v, 'VectorsConfig');
  if ('size' in v || 'distance' in v) return parseVectorParams(v, 'vectors');
  const out = {};
  for (const [name, p] of Object.entries(v)) out[name] = parseVectorParams(p, `vectors.${name}`);
  return out;
}
const isSingle = (vectors) => typeof vectors.size === 'number';
/** name -> params ('' is the unnamed vector). */
function vectorSpecs(col) {
  const v = col.meta.config.params.vectors;
  return isSingle(v) ? { '': v } : v;
}

function buildConfig(body) {
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

function validateCollectionName(name) {
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

// ---------------------------------------------------------------------------------------------
// Vectors.
function parseDense(v, where) {
  if (!Array.isArray(v)) return null;
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw formatErr(`${where}: invalid type: ${describe(x)}, expected f32`);
  }
  return v;
}
function normalize(v) {
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
function parsePointVector(col, v, where, normalizeCosine = true) {
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
function pointVector(col, p, name) {
  if (isSingle(col.meta.config.params.vectors)) return name === '' ? p.vector : undefined;
  return p.vector ? p.vector[name] : undefined;
}
function score(distance, q, v) {
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
const higherIsBetter = (d) => d === 'Cosine' || d === 'Dot';

// ---------------------------------------------------------------------------------------------
// Payload: paths, values, filters, selectors.
function parsePath(key) {
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
function rawValues(payload, segs) {
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
function flatValues(raw) {
  const out = [];
  for (const v of raw) {
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null) out.push(x);
    } else if (v !== null) out.push(v);
  }
  return out;
}

const EARTH_RADIUS_M = 6371008.8;
function geoPoint(v) {
  return v && typeof v === 'object' && typeof v.lat === 'number' && typeof v.lon === 'number' ? v : null;
}
function haversine(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}
function inRing(p, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i];
    const b = ring[j];
    if (
      a.lat > p.lat !== b.lat > p.lat &&
      p.lon < ((b.lon - a.lon) * (p.lat - a.lat)) / (b.lat - a.lat) + a.lon
    )
      inside = !inside;
  }
  return inside;
}

function compileMatch(m, where) {
  expectObject(m, 'Match');
  if ('value' in m) {
    const v = m.value;
    if (!['string', 'number', 'boolean'].includes(typeof v))
      throw formatErr(`${where}: data did not match any variant of untagged enum ValueVariants`);
    return (vals) => vals.some((x) => x === v);
  }
  if ('any' in m) {
    if (!Array.isArray(m.any))
      throw formatErr(`${where}.any: data did not match any variant of untagged enum AnyVariants`);
    const s = new Set(m.any);
    return (vals) => vals.some((x) => s.has(x));
  }
  if ('except' in m) {
    if (!Array.isArray(m.except))
      throw formatErr(`${where}.except: data did not match any variant of untagged enum AnyVariants`);
    const s = new Set(m.except);
    return (vals) => vals.length === 0 || vals.some((x) => !s.has(x));
  }
  if ('text' in m || 'phrase' in m) {
    const t = String(m.text ?? m.phrase);
    return (vals) => vals.some((x) => typeof x === 'string' && x.includes(t));
  }
  if ('text_any' in m) {
    const toks = String(m.text_any).split(/\s+/).filter(Boolean);
    return (vals) => vals.some((x) => typeof x === 'string' && toks.some((t) => x.includes(t)));
  }
  throw formatErr(`${where}: data did not match any variant of untagged enum Match`);
}
function compileRange(r, where) {
  expectObject(r, 'RangeInterface');
  const keys = ['lt', 'gt', 'gte', 'lte'].filter((k) => r[k] !== undefined && r[k] !== null);
  const isDate = keys.some((k) => typeof r[k] === 'string');
  const b = {};
  for (const k of keys) {
    const n = isDate ? Date.parse(r[k]) : r[k];
    if (typeof n !== 'number' || Number.isNaN(n))
      throw formatErr(`${where}.${k}: data did not match any variant of untagged enum RangeInterface`);
    b[k] = n;
  }
  return (vals) =>
    vals.some((x) => {
      const n = isDate ? (typeof x === 'string' ? Date.parse(x) : NaN) : typeof x === 'number' ? x : NaN;
      if (Number.isNaN(n)) return false;
      return (
        (b.lt === undefined || n < b.lt) &&
        (b.gt === undefined || n > b.gt) &&
        (b.gte === undefined || n >= b.gte) &&
        (b.lte === undefined || n <= b.lte)
      );
    });
}
function compileCount(r, where) {
  expectObject(r, 'ValuesCount');
  for (const k of ['lt', 'gt', 'gte', 'lte']) optUint(r[k], `${where}.${k}`);
  return (vals) => {
    const n = vals.length;
    return (
      (r.lt == null || n < r.lt) &&
      (r.gt == null || n > r.gt) &&
      (r.gte == null || n >= r.gte) &&
      (r.lte == null || n <= r.lte)
    );
  };
}
function compileField(c, where) {
  if (typeof c.key !== 'string')
    throw formatErr(`${where}.key: invalid type: ${describe(c.key)}, expected a string`);
  const segs = parsePath(c.key);
  const checks = [];
  if (c.match != null) {
    const f = compileMatch(c.match, `${where}.match`);
    checks.push((vals) => f(vals));
  }
  if (c.range != null) {
    const f = compileRange(c.range, `${where}.range`);
    checks.push((vals) => f(vals));
  }
  if (c.values_count != null) {
    const f = compileCount(c.values_count, `${where}.values_count`);
    checks.push((vals) => f(vals));
  }
  if (c.geo_bounding_box != null) {
    const tl = geoPoint(c.geo_bounding_box.top_left);
    const br = geoPoint(c.geo_bounding_box.bottom_right);
    if (!tl || !br)
      throw formatErr(`${where}.geo_bounding_box: missing field \`top_left\` or \`bottom_right\``);
    checks.push((vals) =>
      vals.some((v) => {
        const p = geoPoint(v);
        if (!p || p.lat > tl.lat || p.lat < br.lat) return false;
        return tl.lon <= br.lon ? p.lon >= tl.lon && p.lon <= br.lon : p.lon >= tl.lon || p.lon <= br.lon;
      }),
    );
  }
  if (c.geo_radius != null) {
    const center = geoPoint(c.geo_radius.center);
    const radius = c.geo_radius.radius;
    if (!center || typeof radius !== 'number')
      throw formatErr(`${where}.geo_radius: missing field \`center\` or \`radius\``);
    checks.push((vals) => vals.some((v) => geoPoint(v) && haversine(center, v) <= radius));
  }
  if (c.geo_polygon != null) {
    const ext = c.geo_polygon.exterior && c.geo_polygon.exterior.points;
    if (!Array.isArray(ext) || !ext.every(geoPoint))
      throw formatErr(`${where}.geo_polygon: missing field \`exterior\``);
    const holes = (c.geo_polygon.interiors || []).map((r) => r.points || []);
    checks.push((vals) =>
      vals.some((v) => geoPoint(v) && inRing(v, ext) && !holes.some((h) => inRing(v, h))),
    );
  }
  if (c.is_empty != null) {
    const want = !!c.is_empty;
    checks.push((vals) => (vals.length === 0) === want);
  }
  if (c.is_null != null) {
    const want = !!c.is_null;
    checks.push((vals, raw) => raw.some((x) => x === null) === want);
  }
  if (!checks.length) throw validationErr(`${where}: At least one field condition must be specified`);
  return (p) => {
    const raw = rawValues(p.payload, segs);
    const vals = flatValues(raw);
    return checks.every((ch) => ch(vals, raw));
  };
}
function compileCondition(c, where) {
  if (!c || typeof c !== 'object' || Array.isArray(c))
    throw formatErr(`${where}: data did not match any variant of untagged enum Condition`);
  if ('key' in c) return compileField(c, where);
  if ('has_id' in c) {
    const s = new Set(parseIdList(c.has_id, `${where}.has_id`).map(keyOf));
    return (p) => s.has(keyOf(p.id));
  }
  if ('is_empty' in c || 'is_null' in c) {
    const which = 'is_empty' in c ? 'is_empty' : 'is_null';
    const key = c[which] && c[which].key;
    if (typeof key !== 'string') throw formatErr(`${where}.${which}: missing field \`key\``);
    const segs = parsePath(key);
    if (which === 'is_empty') return (p) => flatValues(rawValues(p.payload, segs)).length === 0;
    return (p) => rawValues(p.payload, segs).some((x) => x === null);
  }
  if ('has_vector' in c) {
    const name = c.has_vector;
    if (typeof name !== 'string') throw formatErr(`${where}.has_vector: invalid type, expected a string`);
    return (p) =>
      typeof p.vector === 'object' && !Array.isArray(p.vector)
        ? p.vector && name in p.vector
        : name === '' && !!p.vector;
  }
  if ('nested' in c) {
    const n = expectObject(c.nested, 'Nested');
    if (typeof n.key !== 'string') throw formatErr(`${where}.nested: missing field \`key\``);
    const segs = parsePath(n.key);
    const inner = compileFilter(n.filter, `${where}.nested.filter`) || (() => true);
    return (p) =>
      flatValues(rawValues(p.payload, segs)).some(
        (v) =>
          v && typeof v === 'object' && !Array.isArray(v) && inner({ id: p.id, vector: null, payload: v }),
      );
  }
  if (Object.keys(c).length === 0 || 'must' in c || 'should' in c || 'must_not' in c || 'min_should' in c) {
    return compileFilter(c, where) || (() => true);
  }
  throw formatErr(`${where}: data did not match any variant of untagged enum Condition`);
}
/** A filter as a predicate over points ({id, vector, payload}); null when there is none. */
function compileFilter(f, where = 'filter') {
  if (f === undefined || f === null) return null;
  expectObject(f, 'Filter');
  const list = (x, w) =>
    x == null
      ? []
      : Array.isArray(x)
        ? x.map((c, i) => compileCondition(c, `${w}[${i}]`))
        : [compileCondition(x, w)];
  const must = list(f.must, `${where}.must`);
  const should = list(f.should, `${where}.should`);
  const mustNot = list(f.must_not, `${where}.must_not`);
  let minShould = null;
  if (f.min_should != null) {
    const ms = expectObject(f.min_should, 'MinShould');
    if (!Array.isArray(ms.conditions)) throw formatErr(`${where}.min_should: missing field \`conditions\``);
    minShould = {
      conds: ms.conditions.map((c, i) => compileCondition(c, `${where}.min_should.conditions[${i}]`)),
      n: optUint(ms.min_count, `${where}.min_should.min_count`) ?? 0,
    };
  }
  return (p) => {
    for (const c of must) if (!c(p)) return false;
    if (should.length && !should.some((c) => c(p))) return false;
    for (const c of mustNot) if (c(p)) return false;
    if (minShould) {
      let k = 0;
      for (const c of minShould.conds) if (c(p)) k++;
      if (k < minShould.n) return false;
    }
    return true;
  };
}

function clone(v) {
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
function deletePath(obj, key) {
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
function parseWithPayload(v, dflt, field = 'with_payload') {
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
function selectPayload(payload, sel) {
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
function parseWithVector(v, dflt, field = 'with_vector') {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  throw formatErr(`${field}: data did not match any variant of untagged enum WithVector`);
}
function selectVector(col, p, sel) {
  if (!sel) return null;
  if (sel === true) return p.vector;
  if (isSingle(col.meta.config.params.vectors)) return sel.includes('') ? p.vector : {};
  const out = {};
  for (const n of sel) if (p.vector && n in p.vector) out[n] = p.vector[n];
  return out;
}
const record = (col, p, wp, wv) => ({
  id: p.id,
  payload: selectPayload(p.payload, wp),
  vector: selectVector(col, p, wv),
});

function indexType(fieldSchema) {
  return typeof fieldSchema === 'string' ? fieldSchema : fieldSchema.type;
}
function valueFitsIndex(type, v) {
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

// ---------------------------------------------------------------------------------------------
// Collections in memory and on disk.
/** name -> Collection */
const collections = new Map();
let peerId = 0;

class Collection {
  constructor(name, meta) {
    this.name = name;
    this.dir = path.join(COLLECTIONS_DIR, name);
    this.meta = meta; // {format, version, name, config, payload_schema}
    this.points = new Map(); // key -> {id, vector, payload}
    this.sorted = null;
    this.seq = 0;
    this.baseSeq = 0;
    this.walFh = null;
    this.walSize = 0;
    this.baseSize = 0;
  }
  sortedPoints() {
    if (!this.sorted) this.sorted = [...this.points.values()].sort((a, b) => cmpId(a.id, b.id));
    return this.sorted;
  }
  async openWal() {
    this.walFh = await fsp.open(path.join(this.dir, 'wal.jsonl'), 'a');
  }
  async closeWal() {
    if (this.walFh) {
      const h = this.walFh;
      this.walFh = null;
      await h.close();
    }
  }
  /** Durably appends one operation; on failure the log is cut back to where it was. */
  async appendWal(rec) {
    const b = Buffer.from(`${JSON.stringify(rec)}\n`, 'utf8');
    if (!this.walFh) await this.openWal();
    const before = this.walSize;
    try {
      await this.walFh.write(b, 0, b.length);
      await this.walFh.datasync();
      this.walSize += b.length;
    } catch (e) {
      try {
        await this.walFh.truncate(before);
      } catch {
        // the start-up replay drops a torn tail anyway
      }
      throw serviceErr(`Failed to write the operation log: ${e.message}`);
    }
  }
  async writeMeta() {
    await writeFileAtomic(path.join(this.dir, 'collection.json'), `${JSON.stringify(this.meta, null, 1)}\n`);
  }
  /** Folds the log into a new base image (atomic), then empties the log. */
  async compact() {
    this.baseSize = await writePointsFile(
      path.join(this.dir, 'points.jsonl'),
      this.points.values(),
      this.seq,
    );
    this.baseSeq = this.seq;
    await this.closeWal();
    const h = await fsp.open(path.join(this.dir, 'wal.jsonl'), 'w');
    await h.sync();
    await h.close();
    this.walSize = 0;
    await this.openWal();
  }
  async maybeCompact() {
    if (this.walSize > WAL_COMPACT_MIN_BYTES && this.walSize > this.baseSize) await this.compact();
  }
}

/** Writes points.jsonl atomically: a header line, then one point per line. Returns its size. */
async function writePointsFile(file, points, seq) {
  const list = [...points];
  const tmp = `${file}.tmp-${rand()}`;
  const h = await fsp.open(tmp, 'w', 0o644);
  let size;
  try {
    const w = new ChunkWriter(h);
    await w.write(
      `${JSON.stringify({ format: 'qdrant-standin-points', version: 1, seq, count: list.length })}\n`,
    );
    for (const p of list)
      await w.write(`${JSON.stringify({ id: p.id, vector: p.vector, payload: p.payload })}\n`);
    await w.flush();
    size = w.size;
    await h.sync();
  } finally {
    await h.close();
  }
  await fsp.rename(tmp, file);
  await fsyncDir(path.dirname(file));
  return size;
}

function applyOp(col, r) {
  const get = (id) => col.points.get(keyOf(id));
  switch (r.op) {
    case 'upsert':
      for (const p of r.points) {
        col.points.set(keyOf(p.id), { id: p.id, vector: p.vector, payload: p.payload || {} });
      }
      col.sorted = null; // replaced points are new objects
      break;
    case 'delete':
      for (const id of r.ids) if (col.points.delete(keyOf(id))) col.sorted = null;
      break;
    case 'set_payload':
      for (const id of r.ids) {
        const p = get(id);
        if (!p) continue;
        let target = p.payload;
        if (r.key) {
          const names = parsePath(r.key).map((s) => s.name);
          let cur = p.payload;
          for (const n of names) {
            if (!cur[n] || typeof cur[n] !== 'object' || Array.isArray(cur[n])) cur[n] = {};
            cur = cur[n];
          }
          target = cur;
        }
        Object.assign(target, clone(r.payload));
      }
      break;
    case 'overwrite_payload':
      for (const id of r.ids) {
        const p = get(id);
        if (p) p.payload = clone(r.payload);
      }
      break;
    case 'delete_payload':
      for (const id of r.ids) {
        const p = get(id);
        if (p) for (const k of r.keys) deletePath(p.payload, k);
      }
      break;
    case 'clear_payload':
      for (const id of r.ids) {
        const p = get(id);
        if (p) p.payload = {};
      }
      break;
    case 'update_vectors':
      for (const u of r.points) {
        const p = get(u.id);
        if (!p) continue;
        if (Array.isArray(u.vector) || Array.isArray(p.vector)) p.vector = u.vector;
        else p.vector = { ...(p.vector || {}), ...u.vector };
      }
      break;
    case 'delete_vectors':
      for (const id of r.ids) {
        const p = get(id);
        if (p && p.vector && !Array.isArray(p.vector)) for (const n of r.names) delete p.vector[n];
      }
      break;
    default:
      throw new Error(`unknown operation in the log: ${r.op}`);
  }
}

/**
 * Streams a JSON-lines file line by line (no whole-file string: collections may be large). A torn
 * last line (no newline: a crash mid-append) is reported, not passed on.
 */
async function forEachLine(file, onLine) {
  try {
    await fsp.access(file);
  } catch (e) {
    if (e.code === 'ENOENT') return { completeBytes: 0, torn: false };
    throw e;
  }
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  let rest = Buffer.alloc(0);
  let completeBytes = 0;
  for await (const chunk of stream) {
    let start = 0;
    let nl;
    while ((nl = chunk.indexOf(0x0a, start)) >= 0) {
      const part = chunk.subarray(start, nl);
      const line = rest.length ? Buffer.concat([rest, part]) : part;
      completeBytes += line.length + 1;
      rest = Buffer.alloc(0);
      onLine(line.toString('utf8'));
      start = nl + 1;
    }
    if (start < chunk.length) rest = Buffer.concat([rest, chunk.subarray(start)]);
  }
  return { completeBytes, torn: rest.length > 0 };
}

async function loadCollection(name) {
  const dir = path.join(COLLECTIONS_DIR, name);
  const meta = JSON.parse(await fsp.readFile(path.join(dir, 'collection.json'), 'utf8'));
  if (meta.format !== 'qdrant-standin-collection') throw new Error(`${dir}/collection.json: unknown format`);
  const col = new Collection(name, meta);
  let head = null;
  let count = 0;
  const base = await forEachLine(path.join(dir, 'points.jsonl'), (line) => {
    if (!head) {
      head = JSON.parse(line);
      return;
    }
    const p = JSON.parse(line);
    col.points.set(keyOf(p.id), { id: p.id, vector: p.vector, payload: p.payload || {} });
    count++;
  });
  if (base.torn || !head) throw new Error(`${dir}/points.jsonl is incomplete`);
  if (head.format !== 'qdrant-standin-points' || head.count !== count)
    throw new Error(`${dir}/points.jsonl is damaged`);
  col.seq = col.baseSeq = head.seq;
  col.baseSize = base.completeBytes;
  const walFile = path.join(dir, 'wal.jsonl');
  let replayed = 0;
  const wal = await forEachLine(walFile, (line) => {
    const r = JSON.parse(line);
    if (r.seq <= col.seq) return; // already in the base image
    applyOp(col, r);
    col.seq = r.seq;
    replayed++;
  });
  if (wal.torn) {
    log(`collection ${name}: dropping a torn last operation-log line (an interrupted write)`);
    await fsp.truncate(walFile, wal.completeBytes);
  }
  col.walSize = wal.completeBytes;
  col.sorted = null;
  await col.openWal();
  log(`collection ${name}: ${col.points.size} points (${replayed} operations replayed from the log)`);
  return col;
}

/**
 * Puts a complete collection directory in place of `name` (create or restore): written in the
 * staging folder first (READY marker last), then swapped in by renames. A crash between the two
 * renames is finished on the next start (see recoverStaging).
 */
async function installCollection(name, meta, points, seq) {
  const stage = path.join(STAGING_DIR, `install-${rand()}`);
  await fsp.mkdir(stage, { recursive: true });
  await writeFileAtomic(path.join(stage, 'collection.json'), `${JSON.stringify(meta, null, 1)}\n`);
  const baseSize = await writePointsFile(path.join(stage, 'points.jsonl'), points, seq);
  await writeFileAtomic(path.join(stage, 'wal.jsonl'), '');
  await writeFileAtomic(path.join(stage, 'TARGET'), name);
  await writeFileAtomic(path.join(stage, 'READY'), 'ready\n');
  const old = collections.get(name);
  const dest = path.join(COLLECTIONS_DIR, name);
  let trash = null;
  if (old) await old.closeWal();
  if (fs.existsSync(dest)) {
    trash = path.join(STAGING_DIR, `trash-${rand()}`);
    await fsp.rename(dest, trash);
  }
  await fsp.rename(stage, dest);
  await fsyncDir(COLLECTIONS_DIR);
  await fsyncDir(STAGING_DIR);
  await fsp.rm(path.join(dest, 'TARGET'), { force: true });
  await fsp.rm(path.join(dest, 'READY'), { force: true });
  if (trash) await fsp.rm(trash, { recursive: true, force: true });
  const col = new Collection(name, meta);
  for (const p of points) col.points.set(keyOf(p.id), p);
  col.seq = col.baseSeq = seq;
  col.baseSize = baseSize;
  await col.openWal();
  collections.set(name, col);
  return col;
}

async function recoverStaging() {
  await fsp.mkdir(STAGING_DIR, { recursive: true });
  for (const ent of await fsp.readdir(STAGING_DIR, { withFileTypes: true })) {
    const p = path.join(STAGING_DIR, ent.name);
    if (ent.isDirectory() && ent.name.startsWith('install-') && fs.existsSync(path.join(p, 'READY'))) {
      const target = (await fsp.readFile(path.join(p, 'TARGET'), 'utf8')).trim();
      const dest = path.join(COLLECTIONS_DIR, target);
      if (target && !fs.existsSync(dest)) {
        log(`finishing the interrupted installation of collection ${target}`);
        await fsp.rename(p, dest);
        await fsp.rm(path.join(dest, 'TARGET'), { force: true });
        await fsp.rm(path.join(dest, 'READY'), { force: true });
        continue;
      }
    }
    await fsp.rm(p, { recursive: true, force: true });
  }
}

// Per-name locks: writes to one collection (and its creation, deletion, snapshots, restores) run one at a time.
const locks = new Map();
function withLock(name, fn) {
  const prev = locks.get(name) || Promise.resolve();
  let release;
  const mine = new Promise((r) => (release = r));
  const tail = prev.then(() => mine);
  locks.set(name, tail);
  return prev.then(async () => {
    try {
      return await fn();
    } finally {
      release();
      if (locks.get(name) === tail) locks.delete(name);
    }
  });
}
function getCol(name) {
  const c = collections.get(name);
  if (!c) throw collectionMissing(name);
  return c;
}
/** Runs one update operation: resolve (inside the lock), log durably, apply. Returns its operation id. */
function mutate(name, build) {
  return withLock(name, async () => {
    const col = getCol(name);
    const rec = build(col);
    if (!rec) return col.seq;
    return commit(col, rec);
  });
}
async function commit(col, rec) {
  rec.seq = col.seq + 1;
  await col.appendWal(rec);
  applyOp(col, rec);
  col.seq = rec.seq;
  await col.maybeCompact();
  return rec.seq;
}

// ---------------------------------------------------------------------------------------------
// Snapshots (this stand-in's own format; see README.md).
function snapshotDir(name) {
  return path.join(SNAPSHOTS, name);
}
function safeFileName(s) {
  return (
    typeof s === 'string' &&
    s !== '' &&
    s !== '.' &&
    s !== '..' &&
    !s.includes('/') &&
    !s.includes('\\') &&
    !s.includes('\0')
  );
}
const pad = (n) => String(n).padStart(2, '0');
const stamp = (d) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
const isoSeconds = (d) => d.toISOString().slice(0, 19);

async function describeSnapshot(file) {
  const st = await fsp.stat(file);
  let checksum;
  try {
    checksum = (await fsp.readFile(`${file}.checksum`, 'utf8')).trim() || null;
  } catch {
    checksum = null;
  }
  return { name: path.basename(file), creation_time: isoSeconds(st.mtime), size: st.size, checksum };
}

async function createSnapshot(name) {
  return withLock(name, async () => {
    const col = getCol(name);
    const dir = snapshotDir(name);
    await fsp.mkdir(dir, { recursive: true });
    let when = new Date();
    let snapName = `${name}-${peerId}-${stamp(when)}.snapshot`;
    while (fs.existsSync(path.join(dir, snapName))) {
      when = new Date(when.getTime() + 1000);
      snapName = `${name}-${peerId}-${stamp(when)}.snapshot`;
    }
    const file = path.join(dir, snapName);
    const tmp = path.join(dir, `.${snapName}.tmp-${rand()}`);
    const fileHash = crypto.createHash('sha256');
    const contentHash = crypto.createHash('sha256');
    const h = await fsp.open(tmp, 'w', 0o644);
    try {
      const w = new ChunkWriter(h, [fileHash, contentHash]);
      const points = col.sortedPoints();
      await w.write(`${SNAPSHOT_MAGIC}\n`);
      await w.write(
        `${JSON.stringify({
          kind: 'header',
          format: 'qdrant-standin-snapshot',
          version: 1,
          note: 'Snapshot of the Qdrant stand-in (truffles/qdrant-standin), not a Qdrant snapshot: it cannot be restored into real Qdrant.',
          server_version: VERSION,
          collection: name,
          created: when.toISOString(),
          seq: col.seq,
          config: col.meta.config,
          payload_schema: col.meta.payload_schema,
          points_count: points.length,
        })}\n`,
      );
      for (const p of points)
        await w.write(`${JSON.stringify({ id: p.id, vector: p.vector, payload: p.payload })}\n`);
      w.hashes = [fileHash];
      await w.write(
        `${JSON.stringify({ kind: 'footer', points_count: points.length, sha256: contentHash.digest('hex') })}\n`,
      );
      await w.flush();
      await h.sync();
    } catch (e) {
      await h.close().catch(() => {});
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    await h.close();
    await fsp.rename(tmp, file);
    await writeFileAtomic(`${file}.checksum`, fileHash.digest('hex'));
    return describeSnapshot(file);
  });
}

async function listSnapshots(name) {
  getCol(name);
  const dir = snapshotDir(name);
  let names = [];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  const out = [];
  for (const n of names.sort()) {
    if (n.startsWith('.') || !n.endsWith('.snapshot')) continue;
    try {
      out.push(await describeSnapshot(path.join(dir, n)));
    } catch {
      // deleted meanwhile
    }
  }
  return out;
}

function snapshotFile(name, snap) {
  if (!safeFileName(snap) || snap.startsWith('.')) throw notFound(`Snapshot ${snap} not found`);
  const file = path.join(snapshotDir(name), snap);
  if (!fs.existsSync(file)) throw notFound(`Snapshot ${snap} not found`);
  return file;
}

/**
 * Reads and checks a stand-in snapshot completely (magic, header, every point against the
 * header's config, footer count and SHA-256) before anything is changed. Throws 400 on any flaw.
 */
async function readSnapshotFile(file) {
  const bad = (why) =>
    badInput(`Invalid snapshot: ${why} (the Qdrant stand-in accepts only snapshots in its own format)`);
  const fileHash = crypto.createHash('sha256');
  const contentHash = crypto.createHash('sha256');
  let header = null;
  let footer = null;
  let probe = null;
  const points = [];
  const seen = new Set();
  let lineNo = 0;
  let rest = Buffer.alloc(0);
  const onLine = (buf) => {
    if (footer) throw bad('data after the footer');
    const line = buf.toString('utf8');
    if (lineNo === 0) {
      if (line !== SNAPSHOT_MAGIC) throw bad('not a stand-in snapshot (wrong magic line)');
      contentHash.update(buf).update('\n');
    } else if (line.startsWith('{"kind":"footer"')) {
      try {
        footer = JSON.parse(line);
      } catch {
        throw bad('damaged footer');
      }
    } else {
      contentHash.update(buf).update('\n');
      let obj;
      try {
        obj = JSON.parse(line);
      } catch {
        throw bad(`damaged line ${lineNo + 1}`);
      }
      if (lineNo === 1) {
        if (!obj || obj.kind !== 'header' || obj.format !== 'qdrant-standin-snapshot' || obj.version !== 1)
          throw bad('damaged header');
        try {
          const config = obj.config;
          expectObject(config, 'CollectionConfig');
          expectObject(config.params, 'CollectionParams');
          config.params.vectors = parseVectorsConfig(config.params.vectors);
          expectObject(obj.payload_schema ?? {}, 'payload_schema');
        } catch (e) {
          throw bad(`damaged header (${e.message})`);
        }
        header = obj;
        probe = { meta: { config: obj.config } };
      } else {
        if (!header) throw bad('missing header');
        try {
          const id = parseId(obj.id);
          if (seen.has(keyOf(id))) throw new Error(`duplicate point id ${id}`);
          seen.add(keyOf(id));
          const vector = parsePointVector(probe, obj.vector, `point ${id}`, false);
          const payload = obj.payload == null ? {} : expectObject(obj.payload, 'Payload');
          points.push({ id, vector, payload });
        } catch (e) {
          throw bad(`damaged point on line ${lineNo + 1} (${e.message})`);
        }
      }
    }
    lineNo++;
  };
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream) {
    fileHash.update(chunk);
    let start = 0;
    let nl;
    while ((nl = chunk.indexOf(0x0a, start)) >= 0) {
      const part = chunk.subarray(start, nl);
      onLine(rest.length ? Buffer.concat([rest, part]) : part);
      rest = Buffer.alloc(0);
      start = nl + 1;
    }
    if (start < chunk.length) {
      rest = Buffer.concat([rest, chunk.subarray(start)]);
      if (rest.length > 256 * 1024 * 1024) throw bad('a line is too long');
    }
  }
  if (rest.length) throw bad('truncated (the last line is incomplete)');
  if (!header) throw bad('truncated (no header)');
  if (!footer) throw bad('truncated (no footer)');
  if (footer.points_count !== points.length)
    throw bad(`the footer counts ${footer.points_count} points, the file holds ${points.length}`);
  if (footer.sha256 !== contentHash.digest('hex'))
    throw bad('checksum mismatch (the content was changed or damaged)');
  return { header, points, sha256: fileHash.digest('hex') };
}

async function recoverFromFile(name, file, checksum, parsed) {
  const snap = parsed || (await readSnapshotFile(file));
  if (checksum && snap.sha256 !== checksum.toLowerCase())
    throw badRequest(`Checksum mismatch: expected ${checksum}, got ${snap.sha256}`);
  await withLock(name, async () => {
    const meta = {
      format: 'qdrant-standin-collection',
      version: 1,
      name,
      config: snap.header.config,
      payload_schema: snap.header.payload_schema || {},
    };
    await installCollection(name, meta, snap.points, Number(snap.header.seq) || 0);
  });
  log(`collection ${name} recovered from snapshot ${path.basename(file)} (${snap.points.length} points)`);
  return true;
}

function download(url, dest, apiKey, redirects = 5) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const headers = apiKey ? { 'api-key': apiKey } : {};
    const req = mod.get(u, { headers }, (res) => {
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && res.headers.location && redirects > 0) {
        res.resume();
        download(new URL(res.headers.location, u).toString(), dest, apiKey, redirects - 1).then(
          resolve,
          reject,
        );
        return;
      }
      if (res.statusCode !== 200) {
        res.resume();
        reject(badRequest(`Failed to download snapshot from ${url}: HTTP ${res.statusCode}`));
        return;
      }
      const out = fs.createWriteStream(dest);
      res.pipe(out);
      res.on('error', (e) => out.destroy(e));
      out.on('error', (e) => reject(serviceErr(`Failed to download snapshot from ${url}: ${e.message}`)));
      out.on('finish', () => resolve());
    });
    req.on('error', (e) => reject(badRequest(`Failed to download snapshot from ${url}: ${e.message}`)));
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing.
function elapsed(ctx) {
  return Number(process.hrtime.bigint() - ctx.t0) / 1e9;
}
function sendJson(ctx, code, obj) {
  const { req, res } = ctx;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(obj);
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (ctx.close) headers.connection = 'close';
  res.writeHead(code, headers);
  res.end(body);
  if (!req.complete) req.resume();
}
function sendText(ctx, code, text) {
  const { req, res } = ctx;
  const headers = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) };
  res.writeHead(code, headers);
  res.end(text);
  if (!req.complete) req.resume();
}
const ok = (ctx, result) => sendJson(ctx, 200, { result, status: 'ok', time: elapsed(ctx) });
const accepted = (ctx) => sendJson(ctx, 202, { result: null, status: 'accepted', time: elapsed(ctx) });
const fail = (ctx, err) => sendJson(ctx, err.code, { status: { error: err.message }, time: elapsed(ctx) });

function readBody(ctx) {
  const { req } = ctx;
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    let n = 0;
    let chunks = [];
    let over = false;
    const overflow = (size) => {
      over = true;
      chunks = null;
      ctx.close = true;
      reject(
        new ApiErr(
          400,
          `JSON payload (${size} bytes) is larger than allowed (limit: ${MAX_REQUEST_BYTES} bytes).`,
        ),
      );
    };
    if (declared > MAX_REQUEST_BYTES) {
      overflow(declared);
      req.resume();
      return;
    }
    req.on('data', (c) => {
      if (over) return;
      n += c.length;
      if (n > MAX_REQUEST_BYTES) overflow(n);
      else chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
/** The JSON body (actix's JSON extractor: content type application/json, size limit, serde-like errors). */
async function readJson(ctx, { optional = false } = {}) {
  const ct = String(ctx.req.headers['content-type'] || '').toLowerCase();
  const buf = await readBody(ctx);
  if (optional && buf.length === 0) return {};
  if (!/^application\/([a-z0-9.+-]*\+)?json\b/.test(ct)) throw new ApiErr(400, 'Content type error');
  const s = buf.toString('utf8');
  if (!s.trim()) throw formatErr('EOF while parsing a value at line 1 column 0');
  try {
    return JSON.parse(s);
  } catch (e) {
    const m = /position (\d+)/.exec(e.message);
    let where = '';
    if (m) {
      const pos = Number(m[1]);
      const before = s.slice(0, pos);
      const line = before.split('\n').length;
      const col = pos - before.lastIndexOf('\n');
      where = ` at line ${line} column ${col}`;
    }
    throw formatErr(
      `${e.message.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)$/, '')}${where}`,
    );
  }
}

function qBool(q, name) {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw queryErr(
    `Query deserialize error: invalid value for \`${name}\`: provided string was not \`true\` or \`false\``,
  );
}
function qPriority(q) {
  const v = q.get('priority');
  if (v === null) return undefined;
  if (!PRIORITIES.includes(v))
    throw queryErr(
      `Query deserialize error: unknown variant \`${v}\`, expected one of \`no_sync\`, \`snapshot\`, \`replica\``,
    );
  return v;
}
function checkSha256(v, where) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v))
    throw new ApiErr(422, `Validation error in ${where}: [checksum: invalid SHA256 hash]`);
  return v.toLowerCase();
}

/** Streams the multipart field `snapshot` into `dest` without buffering it. */
function receiveMultipartFile(ctx, fieldName, dest) {
  const { req } = ctx;
  const ct = String(req.headers['content-type'] || '');
  const m = /^multipart\/form-data\s*;.*\bboundary=(?:"([^"]+)"|([^\s;]+))/i.exec(ct);
  if (!m)
    return Promise.reject(
      new ApiErr(400, 'Content type error: expected multipart/form-data with a boundary'),
    );
  const delim = Buffer.from(`\r\n--${m[1] || m[2]}`, 'latin1');
  const CRLF2 = Buffer.from('\r\n\r\n', 'latin1');
  return new Promise((resolve, reject) => {
    let state = 'preamble';
    let buf = Buffer.from('\r\n', 'latin1'); // so that the first boundary matches `\r\n--boundary`
    let out = null; // write stream of the wanted field
    let found = null;
    let size = 0;
    const hash = crypto.createHash('sha256');
    let failed = false;
    const fail_ = (e) => {
      if (failed) return;
      failed = true;
      if (out) out.destroy();
      req.resume();
      reject(e);
    };
    const emit = (data) => {
      if (!out || !data.length) return;
      size += data.length;
      hash.update(data);
      if (!out.write(data)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    };
    const step = () => {
      for (;;) {
        if (state === 'preamble' || state === 'body') {
          const i = buf.indexOf(delim);
          if (i < 0) {
            const keep = Math.min(buf.length, delim.length - 1);
            if (state === 'body') emit(buf.subarray(0, buf.length - keep));
            buf = buf.subarray(buf.length - keep);
            return;
          }
          if (state === 'body') {
            emit(buf.subarray(0, i));
            if (out) {
              const o = out;
              out = null;
              o.end();
              o.__done = true;
              // An ending stream emits no 'drain': if the last write paused the request, read on
              // here (what follows is the closing boundary or other fields, never written).
              req.resume();
            }
          }
          buf = buf.subarray(i + delim.length);
          state = 'after';
        } else if (state === 'after') {
          if (buf.length < 2) return;
          if (buf[0] === 0x2d && buf[1] === 0x2d) {
            state = 'done';
            return;
          }
          const eol = buf.indexOf('\r\n', 0, 'latin1');
          if (eol < 0) {
            if (buf.length > 1024) return fail_(badRequest('malformed multipart body'));
            return;
          }
          buf = buf.subarray(eol + 2);
          state = 'headers';
        } else if (state === 'headers') {
          const i = buf.indexOf(CRLF2);
          if (i < 0) {
            if (buf.length > 16384)
              return fail_(badRequest('malformed multipart body (part headers too long)'));
            return;
          }
          const head = buf.subarray(0, i).toString('utf8');
          buf = buf.subarray(i + 4);
          const cd = /^content-disposition:\s*(.*)$/im.exec(head);
          const name = cd && /\bname="([^"]*)"/i.exec(cd[1]);
          const filename = cd && /\bfilename="([^"]*)"/i.exec(cd[1]);
          if (name && name[1] === fieldName && !found) {
            found = { filename: filename ? filename[1] : null };
            out = fs.createWriteStream(dest, { mode: 0o644 });
            out.on('error', (e) => fail_(serviceErr(`Failed to store the uploaded snapshot: ${e.message}`)));
            found.stream = out;
          }
          state = 'body';
        } else return; // done: ignore the epilogue
      }
    };
    req.on('data', (chunk) => {
      if (failed || state === 'done') return;
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      step();
    });
    req.on('error', (e) => fail_(e));
    req.on('end', () => {
      if (failed) return;
      if (state !== 'done')
        return fail_(badRequest('incomplete multipart body (the closing boundary is missing)'));
      if (!found) return fail_(badRequest(`Multipart form field \`${fieldName}\` is missing`));
      const finish = () => resolve({ filename: found.filename, size, sha256: hash.digest('hex') });
      const s = found.stream;
      if (s.writableFinished) finish();
      else {
        s.once('finish', finish);
        s.once('error', (e) => fail_(serviceErr(e.message)));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Endpoint handlers.
const routes = [];
function route(method, pattern, handler) {
  routes.push({ method, segs: pattern.split('/').slice(1), handler });
}
function matchRoute(method, segs) {
  for (const r of routes) {
    if (r.method !== method || r.segs.length !== segs.length) continue;
    const params = {};
    let okm = true;
    for (let i = 0; i < segs.length; i++) {
      const p = r.segs[i];
      if (p.startsWith('{')) params[p.slice(1, -1)] = segs[i];
      else if (p !== segs[i]) {
        okm = false;
        break;
      }
    }
    if (okm) return { handler: r.handler, params };
  }
  return null;
}

route('GET', '/', (ctx) => sendJson(ctx, 200, { title: TITLE, version: VERSION }));
route('GET', '/healthz', (ctx) => sendText(ctx, 200, 'healthz check passed'));
route('GET', '/livez', (ctx) => sendText(ctx, 200, 'healthz check passed'));
route('GET', '/readyz', (ctx) => sendText(ctx, 200, 'all shards are ready'));
route('GET', '/cluster', (ctx) => ok(ctx, { status: 'disabled' }));
route('GET', '/aliases', (ctx) => ok(ctx, { aliases: [] }));

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

function updateResult(ctx, opId) {
  const wait = qBool(ctx.query, 'wait');
  ok(ctx, { operation_id: opId, status: wait ? 'completed' : 'acknowledged' });
}

route('PUT', '/collections/{name}/index', async (ctx, { name }) => {
  qBool(ctx.query, 'wait');
  const body = expectObject(await readJson(ctx), 'CreateFieldIndex');
  if (typeof body.field_name !== 'string') throw formatErr('missing field `field_name`');
  let fsch = body.field_schema;
  if (fsch !== undefined && fsch !== null) {
    const type = typeof fsch === 'string' ? fsch : fsch && typeof fsch === 'object' ? fsch.type : undefined;
    if (!INDEX_TYPES.includes(type)) {
      throw formatErr(
        `field_schema: unknown variant \`${type}\`, expected one of ${INDEX_TYPES.map((t) => `\`${t}\``).join(', ')}`,
      );
    }
  }
  const opId = await withLock(name, async () => {
    const col = getCol(name);
    if (fsch === undefined || fsch === null) {
      // Like Qdrant: infer the type from the stored values.
      const segs = parsePath(body.field_name);
      let v;
      for (const p of col.points.values()) {
        v = flatValues(rawValues(p.payload, segs))[0];
        if (v !== undefined) break;
      }
      fsch =
        typeof v === 'string'
          ? 'keyword'
          : typeof v === 'boolean'
            ? 'bool'
            : typeof v === 'number'
              ? Number.isInteger(v)
                ? 'integer'
                : 'float'
              : geoPoint(v)
                ? 'geo'
                : null;
      if (!fsch)
        throw badInput(
          `Cannot infer field type of \`${body.field_name}\`: no values found, specify field_schema`,
        );
    }
    col.meta.payload_schema = { ...col.meta.payload_schema, [body.field_name]: { field_schema: fsch } };
    await col.writeMeta();
    col.seq += 1; // an operation id of its own, as in Qdrant
    return col.seq;
  });
  updateResult(ctx, opId);
});

route('DELETE', '/collections/{name}/index/{field}', async (ctx, { name, field }) => {
  qBool(ctx.query, 'wait');
  const opId = await withLock(name, async () => {
    const col = getCol(name);
    if (col.meta.payload_schema[field]) {
      const schema = { ...col.meta.payload_schema };
      delete schema[field];
      col.meta.payload_schema = schema;
      await col.writeMeta();
    }
    col.seq += 1;
    return col.seq;
  });
  updateResult(ctx, opId);
});

// --- points: updates
function parseUpsert(col, body) {
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
function selectIds(col, body, what = 'PointsSelector') {
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
function parseSetPayload(col, body, overwrite) {
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
function parseDeletePayload(col, body) {
  expectObject(body, 'DeletePayload');
  if (!Array.isArray(body.keys) || !body.keys.every((k) => typeof k === 'string'))
    throw formatErr('missing field `keys`');
  let ids;
  if (body.points != null) ids = parseIdList(body.points, 'points');
  else if (body.filter != null) ids = selectIds(col, { filter: body.filter });
  else throw badInput('No points or filter specified');
  return { op: 'delete_payload', ids, keys: body.keys };
}
function parseUpdateVectors(col, body) {
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
function parseDeleteVectors(col, body) {
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

/** Brute-force nearest neighbours; the common core of search and query. */
function nearest(col, { name, vector, filter, limit, offset, scoreThreshold, wp, wv, exclude }) {
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
function runSearch(col, body) {
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
function runQuery(col, body) {
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

// --- snapshots
async function runMaybeAccepted(ctx, wait, fn) {
  if (wait === false) {
    fn().catch((e) => logError(`background snapshot operation failed: ${e.message}`));
    accepted(ctx);
    return;
  }
  ok(ctx, await fn());
}

route('GET', '/collections/{name}/snapshots', async (ctx, { name }) => ok(ctx, await listSnapshots(name)));

route('POST', '/collections/{name}/snapshots', async (ctx, { name }) => {
  const wait = qBool(ctx.query, 'wait');
  getCol(name);
  await runMaybeAccepted(ctx, wait, () => createSnapshot(name));
});

route('GET', '/collections/{name}/snapshots/{snapshot}', async (ctx, { name, snapshot }) => {
  getCol(name);
  const file = snapshotFile(name, snapshot);
  const { req, res } = ctx;
  // Streamed from an open descriptor: a snapshot deleted meanwhile is still sent whole.
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  await new Promise((resolve, reject) => {
    stream.once('open', resolve);
    stream.once('error', reject);
  }).catch(() => {
    throw notFound(`Snapshot ${snapshot} not found`);
  });
  const st = fs.fstatSync(stream.fd);
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': st.size,
    'content-disposition': `attachment; filename="${snapshot}"`,
  });
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
  if (!req.complete) req.resume();
});

route('DELETE', '/collections/{name}/snapshots/{snapshot}', async (ctx, { name, snapshot }) => {
  const wait = qBool(ctx.query, 'wait');
  getCol(name);
  const file = snapshotFile(name, snapshot);
  await runMaybeAccepted(ctx, wait, async () => {
    await fsp.rm(file, { force: true });
    await fsp.rm(`${file}.checksum`, { force: true });
    return true;
  });
});

route('POST', '/collections/{name}/snapshots/upload', async (ctx, { name }) => {
  validateCollectionName(name);
  const wait = qBool(ctx.query, 'wait');
  qPriority(ctx.query); // one node, no replicas: every priority means "the snapshot's data"
  const checksum = checkSha256(ctx.query.get('checksum') ?? undefined, 'query parameters');
  await fsp.mkdir(UPLOAD_DIR, { recursive: true });
  const tmp = path.join(UPLOAD_DIR, `upload-${rand()}`);
  let keep = false;
  try {
    const up = await receiveMultipartFile(ctx, 'snapshot', tmp);
    if (checksum && up.sha256 !== checksum)
      throw badRequest(`Checksum mismatch: expected ${checksum}, got ${up.sha256}`);
    // Checked completely before anything is changed: a damaged upload leaves the collection as it was.
    const parsed = await readSnapshotFile(tmp);
    const fname =
      up.filename && safeFileName(path.basename(up.filename)) && !path.basename(up.filename).startsWith('.')
        ? path.basename(up.filename)
        : `${crypto.randomUUID()}.snapshot`;
    const dir = snapshotDir(name);
    await fsp.mkdir(dir, { recursive: true });
    const dest = path.join(dir, fname);
    await moveFile(tmp, dest);
    keep = true;
    await writeFileAtomic(`${dest}.checksum`, up.sha256);
    await runMaybeAccepted(ctx, wait, () => recoverFromFile(name, dest, undefined, parsed));
  } finally {
    if (!keep) await fsp.rm(tmp, { force: true });
  }
});

route('PUT', '/collections/{name}/snapshots/recover', async (ctx, { name }) => {
  validateCollectionName(name);
  const wait = qBool(ctx.query, 'wait');
  const body = expectObject(await readJson(ctx), 'SnapshotRecover');
  if (typeof body.location !== 'string') throw formatErr('missing field `location`');
  if (body.priority != null && !PRIORITIES.includes(body.priority)) {
    throw formatErr(
      `priority: unknown variant \`${body.priority}\`, expected one of \`no_sync\`, \`snapshot\`, \`replica\``,
    );
  }
  const checksum = checkSha256(body.checksum ?? undefined, 'JSON body');
  let url;
  try {
    url = new URL(body.location);
  } catch {
    throw formatErr(`location: relative URL without a base: "${body.location}"`);
  }
  if (url.protocol === 'file:') {
    const file = fileURLToPath(url);
    let real;
    try {
      real = await fsp.realpath(file);
    } catch {
      throw notFound(`Snapshot file ${file} not found`);
    }
    const root = await fsp.realpath(SNAPSHOTS).catch(() => SNAPSHOTS);
    if (!real.startsWith(root + path.sep))
      throw badRequest(`Snapshot file ${file} must be inside the snapshots directory ${SNAPSHOTS}`);
    await runMaybeAccepted(ctx, wait, () => recoverFromFile(name, real, checksum));
  } else if (url.protocol === 'http:' || url.protocol === 'https:') {
    await fsp.mkdir(UPLOAD_DIR, { recursive: true });
    const tmp = path.join(UPLOAD_DIR, `download-${rand()}`);
    const task = async () => {
      try {
        await download(url.toString(), tmp, typeof body.api_key === 'string' ? body.api_key : undefined);
        return await recoverFromFile(name, tmp, checksum);
      } finally {
        await fsp.rm(tmp, { force: true });
      }
    };
    await runMaybeAccepted(ctx, wait, task);
  } else throw badRequest(`Unsupported snapshot location scheme: ${url.protocol}`);
});

route('POST', '/collections/aliases', async () => {
  throw unsupported('aliases');
});

// ---------------------------------------------------------------------------------------------
// The server.
const WHITELIST_EXACT = ['/', '/healthz'];
const WHITELIST_PREFIX = ['/readyz', '/livez'];
function authorized(req, pathname) {
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

async function handle(req, res) {
  const ctx = { req, res, t0: process.hrtime.bigint(), close: false, query: null };
  let u;
  try {
    u = new URL(req.url, 'http://localhost');
  } catch {
    res.writeHead(400).end();
    return;
  }
  ctx.query = u.searchParams;
  const denied = authorized(req, u.pathname);
  if (denied) {
    sendText(ctx, 401, denied);
    return;
  }
  let segs;
  try {
    segs = u.pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    segs = null;
  }
  const m = segs && matchRoute(req.method === 'HEAD' ? 'GET' : req.method, segs);
  if (!m) {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
    if (!req.complete) req.resume();
    return;
  }
  try {
    await m.handler(ctx, m.params);
  } catch (e) {
    if (e instanceof ApiErr) fail(ctx, e);
    else {
      logError(`${req.method} ${u.pathname}: ${e.stack || e}`);
      fail(ctx, serviceErr(e.message));
    }
  }
}

async function main() {
  for (const a of process.argv.slice(2))
    log(
      `ignoring command-line argument ${JSON.stringify(a)} (the stand-in takes its settings from QDRANT__* variables)`,
    );
  await fsp.mkdir(COLLECTIONS_DIR, { recursive: true });
  await fsp.mkdir(SNAPSHOTS, { recursive: true });
  await recoverStaging();
  await fsp.rm(UPLOAD_DIR, { recursive: true, force: true });
  const peerFile = path.join(STORAGE, 'standin-peer-id');
  try {
    peerId = Number((await fsp.readFile(peerFile, 'utf8')).trim());
  } catch {
    peerId = 0;
  }
  if (!Number.isSafeInteger(peerId) || peerId <= 0) {
    peerId = crypto.randomBytes(6).readUIntBE(0, 6);
    await writeFileAtomic(peerFile, `${peerId}\n`);
  }
  for (const ent of await fsp.readdir(COLLECTIONS_DIR, { withFileTypes: true })) {
    if (!ent.isDirectory()) continue;
    collections.set(ent.name, await loadCollection(ent.name));
  }
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      logError(e.stack || e);
      res.destroy();
    });
  });
  server.requestTimeout = 0; // snapshot uploads may take long
  server.on('clientError', (err, socket) => socket.destroy());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(PORT, HOST, resolve);
  });
  log(`Qdrant STAND-IN ${VERSION} (truffles/qdrant-standin; not Qdrant): REST subset only, no gRPC`);
  log(
    `storage ${STORAGE}, snapshots ${SNAPSHOTS}, api key ${API_KEY ? 'required' : 'not set'}, ${collections.size} collections`,
  );
  log(`Qdrant HTTP listening on ${PORT}`);

  let stopping = false;
  const stop = async (sig) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping`);
    const force = setTimeout(() => process.exit(0), 10000);
    force.unref();
    server.close();
    if (server.closeIdleConnections) server.closeIdleConnections();
    await Promise.allSettled([...locks.values()]);
    for (const c of collections.values()) await c.closeWal().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e) => {
  logError(`cannot start: ${e.stack || e}`);
  process.exit(1);
});
