/*
 * HTTP plumbing: Qdrant's response envelopes (`{"result":…,"status":"ok","time":…}`, 202 accepted,
 * errors), the JSON body as actix reads it (content type, size limit, serde-like errors), and query
 * parameters.
 */

import { MAX_REQUEST_BYTES, PRIORITIES } from './settings.mjs';
import { ApiErr, formatErr, queryErr } from './errors.mjs';

function elapsed(ctx) {
  return Number(process.hrtime.bigint() - ctx.t0) / 1e9;
}
export function sendJson(ctx, code, obj) {
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
export function sendText(ctx, code, text) {
  const { req, res } = ctx;
  const headers = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) };
  res.writeHead(code, headers);
  res.end(text);
  if (!req.complete) req.resume();
}
export const ok = (ctx, result) => sendJson(ctx, 200, { result, status: 'ok', time: elapsed(ctx) });
export const accepted = (ctx) => sendJson(ctx, 202, { result: null, status: 'accepted', time: elapsed(ctx) });
export const fail = (ctx, err) =>
  sendJson(ctx, err.code, { status: { error: err.message }, time: elapsed(ctx) });

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
export async function readJson(ctx, { optional = false } = {}) {
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

export function qBool(q, name) {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw queryErr(
    `Query deserialize error: invalid value for \`${name}\`: provided string was not \`true\` or \`false\``,
  );
}
export function qPriority(q) {
  const v = q.get('priority');
  if (v === null) return undefined;
  if (!PRIORITIES.includes(v))
    throw queryErr(
      `Query deserialize error: unknown variant \`${v}\`, expected one of \`no_sync\`, \`snapshot\`, \`replica\``,
    );
  return v;
}
export function checkSha256(v, where) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v))
    throw new ApiErr(422, `Validation error in ${where}: [checksum: invalid SHA256 hash]`);
  return v.toLowerCase();
}

export function updateResult(ctx, opId) {
  const wait = qBool(ctx.query, 'wait');
  ok(ctx, { operation_id: opId, status: wait ? 'completed' : 'acknowledged' });
}
