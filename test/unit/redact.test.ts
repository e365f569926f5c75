import { describe, expect, it } from 'vitest';
import { envSecrets, REDACTED, Redactor } from '../../src/shared/redact';

const env = {
  POSTGRES_USER: 'acme',
  POSTGRES_DB: 'acme',
  POSTGRES_PASSWORD: 'Xq9v-2LpZ8s0aKfT',
  N8N_ENCRYPTION_KEY: 'n8nkey_5f1e9c0b7a2d4e6f8091a2b3',
  REDIS_PASSWORD: 'short1',
  TENANT_SLUG: 'acme',
  N8N_PORT: '5678',
  CUSTOM_THING: 'a1B2c3D4e5F6g7H8i9J0k1L2',
  DOMAIN: 'acme.bots.example.kz',
};

describe('support output with secrets taken out', () => {
  it('picks the secret values of an .env: secret-named keys and random-looking values, not ports or names', () => {
    expect(envSecrets(env).sort()).toEqual(
      ['Xq9v-2LpZ8s0aKfT', 'n8nkey_5f1e9c0b7a2d4e6f8091a2b3', 'a1B2c3D4e5F6g7H8i9J0k1L2'].sort(),
    );
  });

  it('hides known values wherever they appear, and secret shapes whatever their value', () => {
    const r = new Redactor(envSecrets(env));
    const lines = [
      `FATAL: password authentication failed; tried Xq9v-2LpZ8s0aKfT for acme`,
      `connecting to postgres://acme:Xq9v-2LpZ8s0aKfT@10.0.0.2:5432/acme`,
      `redis://:someOtherPass@redis:6379`,
      `{"token":"8123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw","chat":1}`,
      `Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig`,
      `OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx`,
      `smtp password: hunter2hunter2`,
      `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----`,
      `key a1B2c3D4e5F6g7H8i9J0k1L2 loaded`,
      // In a Bot API path the token has no word boundary before it ("bot8123…").
      `GET https://api.telegram.org/bot8123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe failed`,
    ];
    const out = lines.map((l) => r.text(l));
    for (const secret of [
      'Xq9v-2LpZ8s0aKfT',
      'someOtherPass',
      'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
      'eyJhbGciOiJIUzI1NiJ9',
      'abcdefghijklmnopqrstuvwx',
      'hunter2hunter2',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ',
      'a1B2c3D4e5F6g7H8i9J0k1L2',
    ])
      expect(out.join('\n')).not.toContain(secret);
    // What is not secret stays readable.
    expect(out[0]).toBe(`FATAL: password authentication failed; tried ${REDACTED} for acme`);
    expect(out[1]).toBe(`connecting to postgres://acme:${REDACTED}@10.0.0.2:5432/acme`);
    expect(out[3]).toContain('"chat":1');
    expect(out[4]).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(out[9]).toBe(`GET https://api.telegram.org/bot${REDACTED}/getMe failed`);
    expect(r.text('GET /webhook/chat/message 200 12ms')).toBe('GET /webhook/chat/message 200 12ms');
    expect(r.text('GET /bottles/12/ 200')).toBe('GET /bottles/12/ 200');
    // A short bot id and secret (what the audit journal's own pattern took out) are still a token.
    expect(r.text('token 1234:abcdefghijklmnopqrstu bad')).toBe(`token ${REDACTED} bad`);
    expect(r.text('password authentication failed for user "acme"')).toBe(
      'password authentication failed for user "acme"',
    );
  });

  it('redacts every string inside a value, copying it', () => {
    const r = new Redactor(['Xq9v-2LpZ8s0aKfT']);
    const v = { a: ['x Xq9v-2LpZ8s0aKfT'], b: { c: 'Xq9v-2LpZ8s0aKfT', n: 3 } };
    expect(r.deep(v)).toEqual({ a: [`x ${REDACTED}`], b: { c: REDACTED, n: 3 } });
    expect(v.b.c).toBe('Xq9v-2LpZ8s0aKfT');
  });
});
