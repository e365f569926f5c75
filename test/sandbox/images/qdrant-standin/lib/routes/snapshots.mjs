/*
 * Snapshot endpoints: create, list, download (streamed), delete, upload (multipart, checked before
 * anything changes) and recover from a location (file:// inside the snapshots folder, or http(s)).
 * `wait=false` answers 202 and finishes in the background.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRIORITIES, SNAPSHOTS, UPLOAD_DIR, logError } from '../settings.mjs';
import { badRequest, expectObject, formatErr, notFound } from '../errors.mjs';
import { moveFile, rand, writeFileAtomic } from '../files.mjs';
import { validateCollectionName } from '../collection-config.mjs';
import {
  createSnapshot,
  download,
  listSnapshots,
  readSnapshotFile,
  recoverFromFile,
  safeFileName,
  snapshotDir,
  snapshotFile,
} from '../snapshots.mjs';
import { getCol } from '../store.mjs';
import { receiveMultipartFile } from '../multipart.mjs';
import { accepted, checkSha256, ok, qBool, qPriority, readJson } from '../http.mjs';
import { route } from '../router.mjs';

const fsp = fs.promises;

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
