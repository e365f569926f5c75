import { createHmac, timingSafeEqual } from 'node:crypto';
import { algorithmOf, fingerprintOf, knownHostId } from './hostkey';

/**
 * Read OpenSSH `known_hosts` text (`man sshd`, "SSH_KNOWN_HOSTS FILE FORMAT") so pinned keys can be
 * imported. Pure: no file access, never throws; comments, blank and malformed lines are skipped.
 */

export interface KnownHostEntry {
  /** Plain host patterns as written, e.g. `example.com`, `[1.2.3.4]:2222`, `*.lan`, `!gw.lan`; empty when hashed. */
  hosts: string[];
  /** For a hashed name (`|1|salt|hash`): HMAC-SHA1 of the name keyed by the salt. */
  hashed: { salt: Buffer; hash: Buffer } | null;
  keyType: string;
  /** The public key blob. */
  key: Buffer;
  /** `SHA256:` + unpadded base64 of sha256(blob), as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  marker: '@cert-authority' | '@revoked' | null;
  /** 1-based line number in the text. */
  line: number;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const entry = parseLine(lines[i] ?? '', i + 1);
    if (entry) entries.push(entry);
  }
  return entries;
}

function parseLine(raw: string, line: number): KnownHostEntry | null {
  const text = raw.trim();
  if (!text || text.startsWith('#')) return null;
  const fields = text.split(/[ \t]+/);
  let marker: KnownHostEntry['marker'] = null;
  if (fields[0]?.startsWith('@')) {
    const m = fields.shift();
    if (m === '@cert-authority' || m === '@revoked') marker = m;
    else return null;
  }
  const [hostField, keyType, keyText] = fields;
  if (!hostField || !keyType || !keyText || !BASE64.test(keyText)) return null;

  let hosts: string[] = [];
  let hashed: KnownHostEntry['hashed'] = null;
  if (hostField.startsWith('|')) {
    hashed = parseHashed(hostField);
    if (!hashed) return null;
  } else {
    hosts = hostField.split(',').filter((h) => h !== '');
    if (hosts.length === 0) return null;
  }

  const key = Buffer.from(keyText, 'base64');
  // The blob names its own type; a line whose type field disagrees (or an SSH-1 "bits e n" line) is not a key.
  if (key.length === 0 || algorithmOf(key) !== keyType) return null;
  return { hosts, hashed, keyType, key, fingerprint: fingerprintOf(key), marker, line };
}

/** `|1|base64(salt)|base64(hmac-sha1)`: the only hash format OpenSSH writes. */
function parseHashed(field: string): { salt: Buffer; hash: Buffer } | null {
  const parts = field.split('|');
  if (parts.length !== 4 || parts[0] !== '' || parts[1] !== '1') return null;
  const [, , saltText = '', hashText = ''] = parts;
  if (!BASE64.test(saltText) || !BASE64.test(hashText)) return null;
  const salt = Buffer.from(saltText, 'base64');
  const hash = Buffer.from(hashText, 'base64');
  // SHA-1 sized, as OpenSSH requires.
  if (salt.length !== 20 || hash.length !== 20) return null;
  return { salt, hash };
}

/**
 * The entries that name `address` on `port` (`address` on 22, `[address]:port` otherwise) —
 * by plain pattern (`*`, `?`, a matching `!pattern` excludes the entry; case-insensitive) or by
 * hashed name. `@cert-authority` entries are left out (they pin a CA, not a host key);
 * `@revoked` entries are returned with their `marker`, so the caller can refuse those keys.
 */
export function findKnownKeys(entries: KnownHostEntry[], address: string, port: number): KnownHostEntry[] {
  const name = knownHostId(address, port);
  const lower = name.toLowerCase();
  return entries.filter((e) => {
    if (e.marker === '@cert-authority') return false;
    if (e.hashed) return hashMatches(e.hashed, name) || (lower !== name && hashMatches(e.hashed, lower));
    return patternListMatches(e.hosts, lower);
  });
}

/** True when the entry's key is revoked: a caller must refuse that key for every host. */
export function isRevoked(entry: KnownHostEntry): boolean {
  return entry.marker === '@revoked';
}

function hashMatches(hashed: { salt: Buffer; hash: Buffer }, name: string): boolean {
  const mac = createHmac('sha1', hashed.salt).update(name).digest();
  return mac.length === hashed.hash.length && timingSafeEqual(mac, hashed.hash);
}

/** OpenSSH's match_hostname: a matching negated pattern rejects, else any matching pattern accepts. */
function patternListMatches(patterns: string[], name: string): boolean {
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!wildcardMatch(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** `*` (any run) and `?` (one character); every other character is literal. */
function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
