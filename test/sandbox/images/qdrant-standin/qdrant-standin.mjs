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
 * Dependencies: none but Node (>= 18, Debian bookworm's nodejs). ES modules (.mjs): this entry
 * starts the server; the code lives in lib/ by API area (README.md, "Layout", names each module).
 */

import { main } from './lib/server.mjs';
import { logError } from './lib/settings.mjs';

main().catch((e) => {
  logError(`cannot start: ${e.stack || e}`);
  process.exit(1);
});
