/*
 * Snapshots in this stand-in's own format (see README.md; not Qdrant's tar): written from a
 * collection, listed, checked completely before use (magic, header, every point, count, SHA-256),
 * recovered into a collection, and downloaded from a URL for recovery.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { SNAPSHOTS, SNAPSHOT_MAGIC, VERSION, log } from './settings.mjs';
import { badInput, badRequest, expectObject, notFound, serviceErr } from './errors.mjs';
import { ChunkWriter, rand, writeFileAtomic } from './files.mjs';
import { keyOf, parseId } from './ids.mjs';
import { parseVectorsConfig } from './collection-config.mjs';
import { parsePointVector } from './vectors.mjs';
import { getCol, installCollection, peerId, withLock } from './store.mjs';

const fsp = fs.promises;

export function snapshotDir(name) {
  return path.join(SNAPSHOTS, name);
}
export function safeFileName(s) {
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

export async function createSnapshot(name) {
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

export async function listSnapshots(name) {
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

export function snapshotFile(name, snap) {
  if (!safeFileName(snap) || snap.startsWith('.')) throw notFound(`Snapshot ${snap} not found`);
  const file = path.join(snapshotDir(name), snap);
  if (!fs.existsSync(file)) throw notFound(`Snapshot ${snap} not found`);
  return file;
}

/**
 * Reads and checks a stand-in snapshot completely (magic, header, every point against the
 * header's config, footer count and SHA-256) before anything is changed. Throws 400 on any flaw.
 */
export async function readSnapshotFile(file) {
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

export async function recoverFromFile(name, file, checksum, parsed) {
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

export function download(url, dest, apiKey, redirects = 5) {
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
