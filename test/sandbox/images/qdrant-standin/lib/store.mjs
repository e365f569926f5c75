/*
 * The collections of this node: loaded from <storage>/collections on start (log replayed over the
 * base), installed whole by staging and renames (create, restore; an interrupted swap is finished on
 * the next start), and the per-collection lock every write runs under.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { COLLECTIONS_DIR, STAGING_DIR, STORAGE, log } from './settings.mjs';
import { collectionMissing } from './errors.mjs';
import { forEachLine, fsyncDir, rand, writeFileAtomic } from './files.mjs';
import { keyOf } from './ids.mjs';
import { Collection, applyOp, writePointsFile } from './collection.mjs';

const fsp = fs.promises;

/** name -> Collection */
export const collections = new Map();
export let peerId = 0;

export async function loadCollection(name) {
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
export async function installCollection(name, meta, points, seq) {
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

export async function recoverStaging() {
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
export const locks = new Map();
export function withLock(name, fn) {
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
export function getCol(name) {
  const c = collections.get(name);
  if (!c) throw collectionMissing(name);
  return c;
}
/** Runs one update operation: resolve (inside the lock), log durably, apply. Returns its operation id. */
export function mutate(name, build) {
  return withLock(name, async () => {
    const col = getCol(name);
    const rec = build(col);
    if (!rec) return col.seq;
    return commit(col, rec);
  });
}
export async function commit(col, rec) {
  rec.seq = col.seq + 1;
  await col.appendWal(rec);
  applyOp(col, rec);
  col.seq = rec.seq;
  await col.maybeCompact();
  return rec.seq;
}

/** This node's peer id (part of snapshot names), kept in <storage>/standin-peer-id across restarts. */
export async function initPeerId() {
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
}
