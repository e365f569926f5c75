// Password hashes accepted by Traefik's basicAuth middleware (the formats of `htpasswd`), checked with
// no dependency: MD5-crypt (`$apr1$` and `$1$`, Traefik's default format), SHA1 (`{SHA}`) and bcrypt
// (`$2y$`, `$2a$`, `$2b$`, `$2x$`, all treated alike as Traefik does). Plain-text passwords are not
// accepted (nor are they by Traefik). bcrypt's Blowfish tables are the hex digits of pi, computed here
// once (they are not typed in), and checked against their well-known first and last words.

import { createHash, timingSafeEqual } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * MD5-crypt as in FreeBSD / Apache (`magic` is `$1$` or `$apr1$`).
 * @param {Buffer} pw
 * @param {string} salt
 * @param {string} magic
 */
export function md5crypt(pw, salt, magic) {
  const s = Buffer.from(salt.slice(0, 8));
  const md5 = () => createHash('md5');
  let fin = md5().update(pw).update(s).update(pw).digest();
  const ctx = md5().update(pw).update(magic).update(s);
  for (let pl = pw.length; pl > 0; pl -= 16) ctx.update(fin.subarray(0, Math.min(pl, 16)));
  for (let i = pw.length; i; i >>= 1) ctx.update(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  fin = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = md5();
    c.update(i & 1 ? pw : fin);
    if (i % 3) c.update(s);
    if (i % 7) c.update(pw);
    c.update(i & 1 ? fin : pw);
    fin = c.digest();
  }
  let out = '';
  const to64 = (/** @type {number} */ v, /** @type {number} */ n) => {
    for (; n > 0; n--, v >>= 6) out += ITOA64[v & 0x3f];
  };
  const b = (/** @type {number} */ i) => /** @type {number} */ (fin[i]);
  to64((b(0) << 16) | (b(6) << 8) | b(12), 4);
  to64((b(1) << 16) | (b(7) << 8) | b(13), 4);
  to64((b(2) << 16) | (b(8) << 8) | b(14), 4);
  to64((b(3) << 16) | (b(9) << 8) | b(15), 4);
  to64((b(4) << 16) | (b(10) << 8) | b(5), 4);
  to64(b(11), 2);
  return `${magic}${s.toString()}$${out}`;
}

// ---------------------------------------------------------------------------------------------
// bcrypt

/** @type {{ P: Int32Array, S: Int32Array } | null} */
let piTables = null;

/** Blowfish's initial P-array (18 words) and S-boxes (4 x 256 words): the fractional hex digits of pi. */
function blowfishTables() {
  if (piTables) return piTables;
  const words = 18 + 1024;
  const bits = BigInt(32 * words + 64);
  const one = 1n << bits;
  const atanInv = (/** @type {bigint} */ x) => {
    let sum = 0n;
    let term = one / x;
    const x2 = x * x;
    let n = 1n;
    let positive = true;
    while (term !== 0n) {
      sum += positive ? term / n : -(term / n);
      term /= x2;
      n += 2n;
      positive = !positive;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n); // Machin
  let frac = (pi - 3n * one) >> 64n; // 32 * words bits of fraction
  const all = new Int32Array(words);
  for (let i = words - 1; i >= 0; i--) {
    all[i] = Number(frac & 0xffffffffn) | 0;
    frac >>= 32n;
  }
  const P = all.slice(0, 18);
  const S = all.slice(18);
  if (
    P[0] !== (0x243f6a88 | 0) ||
    P[17] !== (0x8979fb1b | 0) ||
    S[0] !== (0xd1310ba6 | 0) ||
    S[1023] !== (0x3ac372e6 | 0)
  ) {
    throw new Error('bcrypt: the computed Blowfish tables are wrong');
  }
  piTables = { P, S };
  return piTables;
}

const BCRYPT_B64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** @param {Uint8Array} d @param {number} len */
function bcryptEncode(d, len) {
  let out = '';
  let i = 0;
  const at = (/** @type {number} */ k) => /** @type {number} */ (d[k]);
  while (i < len) {
    let c1 = at(i++);
    out += BCRYPT_B64[c1 >> 2];
    c1 = (c1 & 3) << 4;
    if (i >= len) {
      out += BCRYPT_B64[c1];
      break;
    }
    let c2 = at(i++);
    c1 |= c2 >> 4;
    out += BCRYPT_B64[c1];
    c1 = (c2 & 0x0f) << 2;
    if (i >= len) {
      out += BCRYPT_B64[c1];
      break;
    }
    c2 = at(i++);
    c1 |= c2 >> 6;
    out += BCRYPT_B64[c1];
    out += BCRYPT_B64[c2 & 0x3f];
  }
  return out;
}

/** @param {string} s @param {number} len */
function bcryptDecode(s, len) {
  const out = new Uint8Array(len);
  const v = (/** @type {number} */ i) => {
    const c = BCRYPT_B64.indexOf(s[i] ?? '');
    if (c < 0) throw new Error('bcrypt: invalid salt');
    return c;
  };
  let o = 0;
  let i = 0;
  while (o < len) {
    const c1 = v(i++);
    const c2 = v(i++);
    out[o++] = (c1 << 2) | ((c2 & 0x30) >> 4);
    if (o >= len || i >= s.length) break;
    const c3 = v(i++);
    out[o++] = ((c2 & 0x0f) << 4) | ((c3 & 0x3c) >> 2);
    if (o >= len || i >= s.length) break;
    const c4 = v(i++);
    out[o++] = ((c3 & 0x03) << 6) | c4;
  }
  return out;
}

/**
 * The 31-character hash part of a bcrypt string for this password, salt (22 chars) and cost.
 * @param {Buffer} password
 * @param {string} salt22
 * @param {number} cost
 */
export function bcryptHash(password, salt22, cost) {
  if (cost < 4 || cost > 31) throw new Error('bcrypt: invalid cost');
  const { P: P0, S: S0 } = blowfishTables();
  const P = P0.slice();
  const S = S0.slice();
  const salt = bcryptDecode(salt22, 16);
  const key = Buffer.concat([password, Buffer.from([0])]).subarray(0, 72);

  // Blowfish's F: ((S0[a] + S1[b]) ^ S2[c]) + S3[d], in 32-bit arithmetic.
  /** @param {number} x */
  const F = (x) => {
    const a = S[x >>> 24] ?? 0;
    const b = S[256 | ((x >>> 16) & 0xff)] ?? 0;
    const c = S[512 | ((x >>> 8) & 0xff)] ?? 0;
    const d = S[768 | (x & 0xff)] ?? 0;
    return (((a + b) ^ c) + d) | 0;
  };
  const lr = new Int32Array(2);
  const encipher = () => {
    let l = /** @type {number} */ (lr[0]) ^ /** @type {number} */ (P[0]);
    let r = /** @type {number} */ (lr[1]);
    for (let i = 1; i <= 16; i += 2) {
      r ^= F(l) ^ /** @type {number} */ (P[i]);
      l ^= F(r) ^ /** @type {number} */ (P[i + 1]);
    }
    lr[0] = r ^ /** @type {number} */ (P[17]);
    lr[1] = l;
  };
  /** @param {Uint8Array} data @param {{ j: number }} pos */
  const word = (data, pos) => {
    let w = 0;
    for (let k = 0; k < 4; k++) {
      w = (w << 8) | /** @type {number} */ (data[pos.j]);
      pos.j = (pos.j + 1) % data.length;
    }
    return w | 0;
  };
  /** @param {Uint8Array | null} data @param {Uint8Array} k */
  const expand = (data, k) => {
    const kp = { j: 0 };
    for (let i = 0; i < 18; i++) P[i] = /** @type {number} */ (P[i]) ^ word(k, kp);
    const dp = { j: 0 };
    lr[0] = 0;
    lr[1] = 0;
    for (let i = 0; i < 18; i += 2) {
      if (data) {
        lr[0] = /** @type {number} */ (lr[0]) ^ word(data, dp);
        lr[1] = /** @type {number} */ (lr[1]) ^ word(data, dp);
      }
      encipher();
      P[i] = /** @type {number} */ (lr[0]);
      P[i + 1] = /** @type {number} */ (lr[1]);
    }
    for (let i = 0; i < 1024; i += 2) {
      if (data) {
        lr[0] = /** @type {number} */ (lr[0]) ^ word(data, dp);
        lr[1] = /** @type {number} */ (lr[1]) ^ word(data, dp);
      }
      encipher();
      S[i] = /** @type {number} */ (lr[0]);
      S[i + 1] = /** @type {number} */ (lr[1]);
    }
  };

  expand(salt, key);
  const rounds = 2 ** cost;
  for (let i = 0; i < rounds; i++) {
    expand(null, key);
    expand(null, salt);
  }
  const magic = Buffer.from('OrpheanBeholderScryDoubt');
  const cdata = new Int32Array(6);
  const mp = { j: 0 };
  for (let i = 0; i < 6; i++) cdata[i] = word(magic, mp);
  for (let n = 0; n < 64; n++) {
    for (let b = 0; b < 6; b += 2) {
      lr[0] = /** @type {number} */ (cdata[b]);
      lr[1] = /** @type {number} */ (cdata[b + 1]);
      encipher();
      cdata[b] = /** @type {number} */ (lr[0]);
      cdata[b + 1] = /** @type {number} */ (lr[1]);
    }
  }
  const out = new Uint8Array(24);
  for (let i = 0; i < 6; i++) {
    const w = /** @type {number} */ (cdata[i]);
    out[i * 4] = (w >>> 24) & 0xff;
    out[i * 4 + 1] = (w >>> 16) & 0xff;
    out[i * 4 + 2] = (w >>> 8) & 0xff;
    out[i * 4 + 3] = w & 0xff;
  }
  return bcryptEncode(out, 23);
}

/** @param {string} a @param {string} b */
function same(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// Successful bcrypt checks are remembered (bcrypt is slow by design and runs on every request).
/** @type {Map<string, true>} */
const verified = new Map();

/**
 * Does this password match this htpasswd hash (as Traefik's basicAuth checks it)?
 * @param {string} password
 * @param {string} hash
 */
export function checkSecret(password, hash) {
  const pw = Buffer.from(password, 'utf8');
  if (hash.startsWith('{SHA}')) {
    return same(hash.slice(5), createHash('sha1').update(pw).digest('base64'));
  }
  const bc = /^\$2[abxy]\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/.exec(hash);
  if (bc) {
    const memo = createHash('sha256').update(hash).update('\0').update(pw).digest('hex');
    if (verified.has(memo)) return true;
    const ok = same(
      bcryptHash(pw, /** @type {string} */ (bc[2]), Number(bc[1])),
      /** @type {string} */ (bc[3]),
    );
    if (ok) {
      if (verified.size > 1000) verified.clear();
      verified.set(memo, true);
    }
    return ok;
  }
  if (hash.startsWith('$2')) return false;
  // Traefik's default: MD5-crypt, `$magic$salt$hash`.
  const md = /^(\$[^$]+\$)([^$]*)\$/.exec(hash);
  if (!md) return false;
  return same(md5crypt(pw, /** @type {string} */ (md[2]), /** @type {string} */ (md[1])), hash);
}
