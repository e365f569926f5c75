import { createDecipheriv, createHash, getCiphers, hkdfSync } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import * as age from 'age-encryption';
import * as tar from 'tar-stream';
import { z } from 'zod';
import { CoreError } from '../errors';

/**
 * A tenant backup archive (issue 5): a tar whose first member is `manifest.json` (tenant, time,
 * tool versions, and the size and sha256 of every other member, plus counts for later
 * verification), encrypted with age to the fleet's public key. Hosts write them (age CLI); the
 * console reads them as a stream — decrypting, checking every member against the manifest — and
 * refuses a tampered, truncated or foreign archive before anything of the live tenant is touched.
 */

export const BACKUP_FORMAT = 'truffles-backup/1';
const MANIFEST = 'manifest.json';
const MAX_MANIFEST_BYTES = 1024 * 1024;

const PartNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/, 'part names are relative lower-case paths')
  .max(200);

export const BackupManifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  tenant: z.string(),
  createdAt: z.string(),
  /** Versions of what made it (pg_dump, the agent, n8n…). */
  tools: z.record(z.string(), z.string()),
  parts: z.array(
    z.object({
      name: PartNameSchema,
      size: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[a-f0-9]{64}$/),
    }),
  ),
  /** What a restore must find again: rows per table, points per collection, workflows. */
  counts: z.object({
    tables: z.record(z.string(), z.number().int().nonnegative()),
    points: z.record(z.string(), z.number().int().nonnegative()),
    workflows: z.number().int().nonnegative(),
  }),
});
export type BackupManifest = z.infer<typeof BackupManifestSchema>;

function corrupt(detail: string): CoreError {
  return new CoreError(
    'backup.corrupt',
    `The backup archive is damaged or incomplete: ${detail}.`,
    'Nothing was changed. Choose another backup; check the copy on the host (and the offsite copy).',
  );
}

/** Each part of an archive as it streams by; a sink may store it (a restore) or just drain it. */
export type PartSink = (part: BackupManifest['parts'][number], data: Readable) => Promise<void>;

const drain: PartSink = async (_part, data) => {
  await pipeline(data, new Writable({ write: (_c, _e, cb) => cb() }));
};

const NATIVE_CHACHA = getCiphers().includes('chacha20-poly1305');
const AGE_CHUNK = 64 * 1024;
const AGE_TAG = 16;
const AGE_SEALED = AGE_CHUNK + AGE_TAG;
const AGE_MAX_HEADER = 64 * 1024;

/**
 * An age v1 file's plaintext as a stream. The header (recipient stanzas, MAC) is checked by
 * age-encryption; the payload (STREAM: ChaCha20-Poly1305 over 64 KiB chunks, a big-endian chunk
 * counter and a last-chunk flag as nonce) is opened here with node:crypto, i.e. OpenSSL, ~15x the
 * speed of the library's pure-JS cipher. Rejects when the header does not open with `identity`;
 * the returned stream errors on any damaged, reordered, truncated or extended chunk.
 */
async function openAge(encrypted: Readable, identity: string): Promise<Readable> {
  let head = Buffer.alloc(0);
  let eol = -1;
  while (eol < 0 || head.length < eol + 1 + 16) {
    const chunk = encrypted.read() as Buffer | null;
    if (chunk === null) {
      if (encrypted.readableEnded || encrypted.destroyed) throw new Error('the file ends inside its header');
      await Promise.race([once(encrypted, 'readable'), once(encrypted, 'end'), once(encrypted, 'close')]);
      continue;
    }
    head = Buffer.concat([head, chunk]);
    const mac = head.indexOf('\n--- ');
    eol = mac < 0 ? -1 : head.indexOf(0x0a, mac + 1);
    if (eol < 0 && head.length > AGE_MAX_HEADER) throw new Error('its header is over 64 KiB');
  }
  const decrypter = new age.Decrypter();
  decrypter.addIdentity(identity);
  const fileKey = await decrypter.decryptHeader(head.subarray(0, eol + 1));
  const key = Buffer.from(hkdfSync('sha256', fileKey, head.subarray(eol + 1, eol + 17), 'payload', 32));
  const nonce = Buffer.alloc(12);
  let chunks = 0;
  const open = (sealed: Buffer, last: boolean): Buffer => {
    if (chunks >= 2 ** 32) throw new Error('the payload has too many chunks');
    nonce.writeUInt32BE(chunks >>> 0, 7);
    nonce.writeUInt32BE(Math.floor(chunks / 2 ** 32), 3);
    nonce[11] = last ? 1 : 0;
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: AGE_TAG });
    d.setAuthTag(sealed.subarray(sealed.length - AGE_TAG));
    const out = Buffer.concat([d.update(sealed.subarray(0, sealed.length - AGE_TAG)), d.final()]);
    chunks += 1;
    return out;
  };
  // Hold back at least one sealed chunk: the last one is sealed with the last-chunk flag.
  let pending = head.subarray(eol + 17);
  const payload = new Transform({
    readableHighWaterMark: 1 << 20,
    writableHighWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      try {
        let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        let off = 0;
        while (buf.length - off > AGE_SEALED) {
          this.push(open(buf.subarray(off, off + AGE_SEALED), false));
          off += AGE_SEALED;
        }
        buf = buf.subarray(off);
        // Copy the remainder: a subarray would keep the whole incoming chunk alive.
        pending = Buffer.from(buf);
        cb();
      } catch {
        cb(new Error(`chunk ${chunks} of the payload does not authenticate`));
      }
    },
    flush(cb) {
      try {
        // What came with the header may hold whole chunks that no later write pushed out.
        let off = 0;
        while (pending.length - off > AGE_SEALED) {
          this.push(open(pending.subarray(off, off + AGE_SEALED), false));
          off += AGE_SEALED;
        }
        const last = pending.subarray(off);
        if (last.length < AGE_TAG || (chunks > 0 && last.length === AGE_TAG))
          throw new Error('bad last chunk');
        this.push(open(last, true));
        cb();
      } catch {
        cb(new Error('the payload is truncated or its last chunk does not authenticate'));
      }
    },
  });
  encrypted.on('error', (err) => payload.destroy(err));
  return encrypted.pipe(payload);
}

/**
 * Decrypt and check an archive end to end. Resolves with the manifest only when every part was
 * there exactly once with its size and sha256, the tenant is the expected one, and the age
 * stream authenticated to its end. A sink sees each part's bytes as they are checked; it must
 * treat them as unverified until this resolves.
 */
export async function readArchive(
  encrypted: Readable,
  identity: string,
  expect: { tenant: string },
  sink: PartSink = drain,
): Promise<BackupManifest> {
  let plain: Readable;
  try {
    if (NATIVE_CHACHA) plain = await openAge(encrypted, identity);
    else {
      // Electron's BoringSSL may lack the cipher in node:crypto: the library's own (pure JS) then.
      const decrypter = new age.Decrypter();
      decrypter.addIdentity(identity);
      const web = await decrypter.decrypt(Readable.toWeb(encrypted) as unknown as ReadableStream<Uint8Array>);
      plain = Readable.fromWeb(web as unknown as WebReadableStream<Uint8Array>);
    }
  } catch (err) {
    throw new CoreError(
      'backup.undecryptable',
      `The backup cannot be decrypted with this console's backup key: ${(err as Error).message}.`,
      'It was made for another key, or its header is damaged. Nothing was changed.',
    );
  }
  const extract = tar.extract();
  const fed = pipeline(plain, extract).catch((err: unknown) => {
    throw corrupt((err as Error).message);
  });
  // Awaited below on the good path; on a failure in the loop its rejection is the same story.
  fed.catch(() => undefined);
  let manifest: BackupManifest | null = null;
  const seen = new Set<string>();
  // The part being handed to the sink: failed on a refusal, so the sink stops (and writes nothing more).
  let tap: PassThrough | null = null;
  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      if (!manifest) {
        if (name !== MANIFEST) throw corrupt(`it starts with ${name}, not ${MANIFEST}`);
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const c of entry as AsyncIterable<Buffer>) {
          size += c.length;
          if (size > MAX_MANIFEST_BYTES) throw corrupt('its manifest is over 1 MiB');
          chunks.push(c);
        }
        let raw: unknown;
        try {
          raw = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          throw corrupt('its manifest is not JSON');
        }
        const parsed = BackupManifestSchema.safeParse(raw);
        if (!parsed.success) throw corrupt(`its manifest is not a ${BACKUP_FORMAT} manifest`);
        manifest = parsed.data;
        if (manifest.tenant !== expect.tenant)
          throw new CoreError(
            'backup.foreign',
            `This backup belongs to tenant '${manifest.tenant}', not '${expect.tenant}'.`,
            `Nothing was changed. Restore it into '${manifest.tenant}', or restore it into a new tenant (a drill).`,
            { tenant: manifest.tenant },
          );
        continue;
      }
      const part = manifest.parts.find((p) => p.name === name);
      if (!part) throw corrupt(`it holds ${name}, which its manifest does not list`);
      if (seen.has(name)) throw corrupt(`it holds ${name} twice`);
      seen.add(name);
      const hash = createHash('sha256');
      let size = 0;
      // Through to the sink with backpressure: a part is never held whole in memory.
      const out = new PassThrough();
      tap = out;
      const consumed = sink(part, out);
      consumed.catch(() => undefined);
      for await (const c of entry as AsyncIterable<Buffer>) {
        hash.update(c);
        size += c.length;
        if (!out.write(c)) await Promise.race([once(out, 'drain'), consumed]);
      }
      out.end();
      await consumed;
      tap = null;
      const sum = hash.digest('hex');
      if (size !== part.size || sum !== part.sha256)
        throw corrupt(
          `${name} is ${size} bytes with sha256 ${sum.slice(0, 12)}…, the manifest says ${part.size} bytes, ${part.sha256.slice(0, 12)}…`,
        );
    }
    await fed;
  } catch (err) {
    tap?.destroy(new Error('the archive was refused'));
    extract.destroy();
    plain.destroy();
    if (err instanceof CoreError) throw err;
    throw corrupt((err as Error).message);
  }
  if (!manifest) throw corrupt('it is empty');
  const missing = manifest.parts.filter((p) => !seen.has(p.name)).map((p) => p.name);
  if (missing.length) throw corrupt(`it lacks ${missing.join(', ')}`);
  return manifest;
}

/**
 * Write an archive the way the host agent does (manifest first, then the parts), encrypted to
 * `recipient`. For safety backups the console makes itself, and for tests.
 */
export async function writeArchive(
  manifest: Omit<BackupManifest, 'parts' | 'format'>,
  parts: { name: string; data: Buffer }[],
  recipient: string,
): Promise<Readable> {
  const full: BackupManifest = {
    ...manifest,
    format: BACKUP_FORMAT,
    parts: parts.map((p) => ({
      name: p.name,
      size: p.data.length,
      sha256: createHash('sha256').update(p.data).digest('hex'),
    })),
  };
  const pack = tar.pack();
  pack.entry({ name: MANIFEST }, JSON.stringify(full, null, 2));
  for (const p of parts) pack.entry({ name: p.name }, p.data);
  pack.finalize();
  const encrypter = new age.Encrypter();
  encrypter.addRecipient(recipient);
  const sealed = await encrypter.encrypt(
    Readable.toWeb(
      Readable.from(pack as unknown as AsyncIterable<Buffer>),
    ) as unknown as ReadableStream<Uint8Array>,
  );
  return Readable.fromWeb(sealed as unknown as WebReadableStream<Uint8Array>);
}
