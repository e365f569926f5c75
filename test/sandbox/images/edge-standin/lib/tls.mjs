// TLS: Traefik's default certificate (self-signed, CN "TRAEFIK DEFAULT CERT", a random
// *.traefik.default name) generated at start with openssl into a private folder under /tmp. It is
// served for every TLS connection, whatever the SNI: certificate resolvers (ACME / Let's Encrypt)
// are NOT run by the stand-in (no internet here), which is what a real Traefik that cannot reach
// Let's Encrypt also ends up serving. The ACME storage file is still checked / created the way
// Traefik does (mode 600, "too open" permissions refused), since operators and preflights look at it.

import { execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import tls from 'node:tls';
import { log } from './log.mjs';

/** @returns {{ context: tls.SecureContext, cert: string, dir: string, cleanup: () => void }} */
export function defaultCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'traefik-standin-'));
  const z = createHash('sha256').update(randomBytes(100)).digest('hex');
  const domain = `${z.slice(0, 32)}.${z.slice(32)}.traefik.default`;
  const key = join(dir, 'default.key');
  const cert = join(dir, 'default.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '365',
      '-subj',
      '/O=Truffles Traefik stand-in (not Traefik)/CN=TRAEFIK DEFAULT CERT',
      '-addext',
      `subjectAltName=DNS:${domain}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const keyPem = readFileSync(key);
  const certPem = readFileSync(cert);
  return {
    context: tls.createSecureContext({ key: keyPem, cert: certPem }),
    cert: certPem.toString(),
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Traefik's ACME local store: creates the storage file (mode 600) when missing, refuses one whose
 * permissions are too open. Returns an error message, or '' when the store is usable.
 * @param {string} resolver
 * @param {string} storage
 */
export function checkAcmeStorage(resolver, storage) {
  try {
    if (!existsSync(storage)) {
      if (!existsSync(dirname(storage)))
        return `unable to get ACME account: open ${storage}: no such file or directory`;
      writeFileSync(storage, '', { mode: 0o600 });
      return '';
    }
    const mode = statSync(storage).mode & 0o777;
    if (mode !== 0o600)
      return `unable to get ACME account: permissions ${mode.toString(8)} for ${storage} are too open, please use 600`;
    return '';
  } catch (e) {
    return `ACME resolver ${resolver}: ${/** @type {Error} */ (e).message}`;
  } finally {
    log.debug('ACME storage checked', { resolver, storage });
  }
}

/**
 * Certificates from the ACME storage files, as Traefik serves them: a resolver's certificates in
 * `acme.json` ({"<resolver>": {"Certificates": [{"domain": {"main", "sans"}, "certificate",
 * "key"}]}}, PEM in base64) are served to a TLS client whose SNI names one of their domains; every
 * other name gets the default certificate. The stand-in obtains none itself (no ACME here): tests
 * put certificates into the storage (e.g. one expiring in 10 days). Files are read again when
 * they change.
 * @param {string[]} storages
 * @returns {(servername: string) => tls.SecureContext | null}
 */
export function acmeCertificates(storages) {
  /** @type {Map<string, { mtimeMs: number, byName: Map<string, tls.SecureContext> }>} */
  const cache = new Map();
  /** @param {string} path */
  const load = (path) => {
    let mtimeMs;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      cache.delete(path);
      return null;
    }
    const hit = cache.get(path);
    if (hit && hit.mtimeMs === mtimeMs) return hit.byName;
    /** @type {Map<string, tls.SecureContext>} */
    const byName = new Map();
    try {
      const text = readFileSync(path, 'utf8');
      const store = text.trim() ? JSON.parse(text) : {};
      for (const resolver of Object.values(store ?? {})) {
        for (const c of /** @type {any} */ (resolver)?.Certificates ?? []) {
          const context = tls.createSecureContext({
            cert: Buffer.from(String(c.certificate ?? ''), 'base64'),
            key: Buffer.from(String(c.key ?? ''), 'base64'),
          });
          for (const name of [c.domain?.main, ...(c.domain?.sans ?? [])])
            if (typeof name === 'string' && name) byName.set(name.toLowerCase(), context);
        }
      }
    } catch (e) {
      log.error(`Unable to read the ACME storage ${path}: ${/** @type {Error} */ (e).message}`);
    }
    cache.set(path, { mtimeMs, byName });
    return byName;
  };
  return (servername) => {
    const name = String(servername ?? '').toLowerCase();
    for (const path of storages) {
      const byName = load(path);
      const exact = byName?.get(name);
      if (exact) return exact;
      const wildcard = byName?.get(`*.${name.split('.').slice(1).join('.')}`);
      if (wildcard) return wildcard;
    }
    return null;
  };
}
