import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import * as age from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { readArchive, writeArchive } from '../../src/main/core/backups/archive';

/** The archive format a restore reads: decrypted and checked as a stream, refused when anything is off. */
let identity: string;
let recipient: string;
const parts = [
  { name: 'postgres/truffles.dump', data: randomBytes(3 * 1024 * 1024) },
  { name: 'qdrant/knowledge.snapshot', data: randomBytes(200_000) },
  { name: 'n8n/workflows.json', data: Buffer.from('[{"id":"trfAdminHealth01"}]') },
  { name: 'files/tenant.json', data: Buffer.from('{"slug":"acme"}') },
];
const meta = (tenant: string) => ({
  tenant,
  createdAt: '2026-11-25T03:00:00Z',
  tools: { pg_dump: '15.10', agent: '1' },
  counts: { tables: { customers: 3, messages: 12 }, points: { knowledge: 40 }, workflows: 11 },
});

async function bytes(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  identity = await age.generateX25519Identity();
  recipient = await age.identityToRecipient(identity);
});

describe('backup archives', () => {
  it('round trip: every part comes back exactly, checked against the manifest', async () => {
    const sealed = await bytes(await writeArchive(meta('acme'), parts, recipient));
    const got = new Map<string, Buffer>();
    const manifest = await readArchive(
      Readable.from([sealed]),
      identity,
      { tenant: 'acme' },
      async (part, data) => {
        got.set(part.name, await bytes(data));
      },
    );
    expect(manifest.tenant).toBe('acme');
    expect(manifest.counts.workflows).toBe(11);
    for (const p of parts) expect(got.get(p.name)?.equals(p.data)).toBe(true);
  });

  it('one flipped byte anywhere in the sealed archive is refused', async () => {
    const sealed = await bytes(await writeArchive(meta('acme'), parts, recipient));
    for (const at of [sealed.length - 1, Math.floor(sealed.length / 2), 300]) {
      const bad = Buffer.from(sealed);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      await expect(
        readArchive(Readable.from([bad]), identity, { tenant: 'acme' }),
        `byte ${at}`,
      ).rejects.toMatchObject({
        code: expect.stringMatching(/^backup\.(corrupt|undecryptable)$/),
      });
    }
  });

  it('a truncated archive is refused', async () => {
    const sealed = await bytes(await writeArchive(meta('acme'), parts, recipient));
    const cut = sealed.subarray(0, Math.floor(sealed.length * 0.7));
    await expect(readArchive(Readable.from([cut]), identity, { tenant: 'acme' })).rejects.toMatchObject({
      code: 'backup.corrupt',
    });
  });

  it("another tenant's backup is refused as soon as its manifest is read, before any part reaches the sink", async () => {
    const sealed = await bytes(await writeArchive(meta('other'), parts, recipient));
    let sinkCalls = 0;
    await expect(
      readArchive(Readable.from([sealed]), identity, { tenant: 'acme' }, async () => {
        sinkCalls += 1;
      }),
    ).rejects.toMatchObject({ code: 'backup.foreign' });
    expect(sinkCalls).toBe(0);
  });

  it('a backup for another key cannot be decrypted here', async () => {
    const otherKey = await age.identityToRecipient(await age.generateX25519Identity());
    const sealed = await bytes(await writeArchive(meta('acme'), parts, otherKey));
    await expect(readArchive(Readable.from([sealed]), identity, { tenant: 'acme' })).rejects.toMatchObject({
      code: 'backup.undecryptable',
    });
  });
});
