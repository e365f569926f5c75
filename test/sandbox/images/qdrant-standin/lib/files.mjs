/*
 * Small file helpers for durable storage: atomic writes (temp file, fsync, rename, directory fsync),
 * a buffered writer that can hash what it writes, a move that survives crossing file systems, and a
 * line reader for JSON-lines files that reports a torn last line instead of passing it on.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const fsp = fs.promises;

export async function fsyncDir(dir) {
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
export const rand = () => crypto.randomBytes(6).toString('hex');

export async function writeFileAtomic(file, data) {
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
export class ChunkWriter {
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

export async function moveFile(src, dst) {
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

/**
 * Streams a JSON-lines file line by line (no whole-file string: collections may be large). A torn
 * last line (no newline: a crash mid-append) is reported, not passed on.
 */
export async function forEachLine(file, onLine) {
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
