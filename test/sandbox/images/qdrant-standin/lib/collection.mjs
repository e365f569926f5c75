/*
 * One collection in memory and on disk: its points, its operation log (wal.jsonl, appended and
 * fsync'd before an update is answered, folded into points.jsonl when it outgrows the base), and
 * the operations the log holds, applied the same way on update and on replay.
 */

import fs from 'node:fs';
import path from 'node:path';
import { COLLECTIONS_DIR, WAL_COMPACT_MIN_BYTES } from './settings.mjs';
import { serviceErr } from './errors.mjs';
import { ChunkWriter, fsyncDir, rand, writeFileAtomic } from './files.mjs';
import { cmpId, keyOf } from './ids.mjs';
import { clone, deletePath, parsePath } from './payload.mjs';

const fsp = fs.promises;

export class Collection {
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
export async function writePointsFile(file, points, seq) {
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

export function applyOp(col, r) {
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
