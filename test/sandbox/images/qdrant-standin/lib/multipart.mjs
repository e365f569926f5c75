/*
 * A multipart/form-data reader for snapshot uploads: the one wanted field is streamed to a file
 * (with its size and SHA-256) without buffering the body.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import { ApiErr, badRequest, serviceErr } from './errors.mjs';

/** Streams the multipart field `snapshot` into `dest` without buffering it. */
export function receiveMultipartFile(ctx, fieldName, dest) {
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
