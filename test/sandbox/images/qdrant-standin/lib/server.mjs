/*
 * The server: every request is authorised (api key), routed, and answered by its handler; an ApiErr
 * becomes Qdrant's error envelope, anything else a 500 (logged). Start-up finishes interrupted
 * installs, loads the collections and listens; SIGTERM lets the operation in progress finish.
 */

import fs from 'node:fs';
import http from 'node:http';
import {
  API_KEY,
  COLLECTIONS_DIR,
  HOST,
  PORT,
  SNAPSHOTS,
  STORAGE,
  UPLOAD_DIR,
  VERSION,
  log,
  logError,
} from './settings.mjs';
import { ApiErr, serviceErr } from './errors.mjs';
import { authorized } from './auth.mjs';
import { fail, sendText } from './http.mjs';
import { matchRoute } from './router.mjs';
import { collections, initPeerId, loadCollection, locks, recoverStaging } from './store.mjs';
// The endpoints register themselves, in this order.
import './routes/service.mjs';
import './routes/collections.mjs';
import './routes/indexes.mjs';
import './routes/points.mjs';
import './routes/search.mjs';
import './routes/snapshots.mjs';

const fsp = fs.promises;

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

export async function main() {
  for (const a of process.argv.slice(2))
    log(
      `ignoring command-line argument ${JSON.stringify(a)} (the stand-in takes its settings from QDRANT__* variables)`,
    );
  await fsp.mkdir(COLLECTIONS_DIR, { recursive: true });
  await fsp.mkdir(SNAPSHOTS, { recursive: true });
  await recoverStaging();
  await fsp.rm(UPLOAD_DIR, { recursive: true, force: true });
  await initPeerId();
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
