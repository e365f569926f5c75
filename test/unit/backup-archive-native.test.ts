import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import * as age from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { readArchive, writeArchive } from '../../src/main/core/backups/archive';

async function bytes(r: Readable): Promise<Buffer> {
  const c: Buffer[] = [];
  for await (const x of r) c.push(Buffer.from(x as Uint8Array));
  return Buffer.concat(c);
}
const meta = { tenant: 'acme', createdAt: 'x', tools: {}, counts: { tables: {}, points: {}, workflows: 0 } };
describe('native age payload', () => {
  it('round trips at chunk-boundary sizes, in one piece or in odd pieces', async () => {
    const id = await age.generateX25519Identity();
    const rcp = await age.identityToRecipient(id);
    // tar pads to 512, so the plaintext sizes around 64 KiB multiples come from part sizes near them.
    for (const n of [0, 1, 65_536 - 1536, 65_536 - 1024, 131_072 - 1536, 3 * 65_536 + 7]) {
      const data = randomBytes(n);
      const sealed = await bytes(await writeArchive(meta, [{ name: 'p.bin', data }], rcp));
      let got: Buffer = Buffer.alloc(0);
      const sink = async (_p: unknown, d: Readable) => {
        got = await bytes(d);
      };
      await readArchive(Readable.from([sealed]), id, { tenant: 'acme' }, sink);
      expect(got.equals(data), `size ${n}`).toBe(true);
      const pieces: Buffer[] = [];
      for (let i = 0; i < sealed.length; i += 777) pieces.push(sealed.subarray(i, i + 777));
      got = Buffer.alloc(0);
      await readArchive(Readable.from(pieces), id, { tenant: 'acme' }, sink);
      expect(got.equals(data), `size ${n} in pieces`).toBe(true);
      // Cut at every chunk boundary of the payload: refused.
      const headerEnd = sealed.indexOf('\n--- ');
      const payloadStart = sealed.indexOf(0x0a, headerEnd + 1) + 1 + 16;
      for (let cut = payloadStart + 65_552; cut < sealed.length; cut += 65_552)
        await expect(
          readArchive(Readable.from([sealed.subarray(0, cut)]), id, { tenant: 'acme' }),
        ).rejects.toMatchObject({ code: 'backup.corrupt' });
      // Extra bytes after the end: refused.
      await expect(
        readArchive(Readable.from([Buffer.concat([sealed, Buffer.from('x')])]), id, { tenant: 'acme' }),
      ).rejects.toMatchObject({ code: expect.stringMatching(/^backup\.(corrupt|undecryptable)$/) });
    }
  });
  it('a file that ends in its header is undecryptable', async () => {
    await expect(
      readArchive(
        Readable.from([Buffer.from('age-encryption.org/v1\n-> X25519 abc\n')]),
        await age.generateX25519Identity(),
        { tenant: 'acme' },
      ),
    ).rejects.toMatchObject({ code: 'backup.undecryptable' });
  });
});
