import { describe, expect, it } from 'vitest';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';

const SECRET =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

describe('PassphraseProvider', () => {
  it('round-trips, and the ciphertext reveals nothing of the secret', async () => {
    const p = new PassphraseProvider(async () => 'correct horse battery');
    const enc = await p.encrypt(SECRET);
    const text = JSON.stringify(enc);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain('b3BlbnNzaC1rZXktdjEAAAAA');
    expect(text).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 16));
    expect(await p.decrypt(enc)).toBe(SECRET);
    // A fresh salt and IV every time.
    expect((await p.encrypt(SECRET)).data).not.toBe(enc.data);
  });

  it('a wrong passphrase or altered data is an error, never garbage', async () => {
    const enc = await new PassphraseProvider(async () => 'correct horse battery').encrypt(SECRET);
    await expect(
      new PassphraseProvider(async () => 'wrong horse battery').decrypt(enc),
    ).rejects.toMatchObject({ code: 'secrets.wrong-passphrase' });
    const data = Buffer.from(enc.data, 'base64');
    data[0] = (data[0] ?? 0) ^ 1;
    await expect(
      new PassphraseProvider(async () => 'correct horse battery').decrypt({
        ...enc,
        data: data.toString('base64'),
      }),
    ).rejects.toMatchObject({ code: 'secrets.wrong-passphrase' });
  });

  it('refuses a short passphrase', async () => {
    await expect(new PassphraseProvider(async () => 'short').encrypt('x')).rejects.toMatchObject({
      code: 'secrets.passphrase-short',
    });
  });
});
