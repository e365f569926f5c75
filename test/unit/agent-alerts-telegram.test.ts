import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertNotice, AlertRecord } from '../../src/shared/agent/alerts';
import {
  outcomeOf,
  redact,
  TelegramClient,
  TelegramNetworkError,
  telegramSender,
} from '../../src/agent/alerts/telegram';
import {
  escapeHtml,
  formatDuration,
  formatTime,
  renderDigest,
  renderNotice,
  renderTest,
} from '../../src/agent/alerts/templates';
import { FIXES, TITLES } from '../../src/agent/alerts/words';
import { ALERT_KINDS } from '../../src/shared/agent/alerts';
import { parseHtml } from '../sandbox/images/telegram-standin/lib/html.mjs';
import { start } from '../sandbox/images/telegram-standin/lib/server.mjs';
import type { Standin } from '../sandbox/images/telegram-standin/lib/server.mjs';

/**
 * The Telegram client and the message templates, against the Telegram Bot API STAND-IN (not
 * Telegram): the real error shape, token redaction, HTML escaping that Telegram's parser accepts,
 * English and Russian.
 */

let standin: Standin;
beforeAll(async () => {
  standin = await start({ port: 0 });
});
afterAll(async () => {
  await standin.close();
});
beforeEach(() => standin.reset());

const T0 = Date.UTC(2025, 2, 3, 12, 0, 0);
const client = () => new TelegramClient({ token: standin.token, baseUrl: standin.url, timeoutMs: 3000 });

const record = (over: Partial<AlertRecord> = {}): AlertRecord => ({
  id: 42,
  key: 'service-down@tenant=acme,service=postgres',
  ruleId: 'service-down',
  kind: 'service-down',
  subject: { tenant: 'acme', service: 'postgres' },
  subjectKey: 'tenant=acme,service=postgres',
  phase: 'firing',
  severity: 'critical',
  pendingSince: T0,
  firingSince: T0 + 120_000,
  clearingSince: null,
  value: null,
  peak: null,
  facts: { state: 'running', health: 'unhealthy', output: 'pg_isready: <no response> & "timeout"' },
  fix: null,
  notifiedSeverity: 'critical',
  lastNotifiedAt: T0 + 120_000,
  repeats: 0,
  ack: null,
  ...over,
});
const notice = (type: AlertNotice['type'], rec = record(), at = T0 + 120_000): AlertNotice => ({
  id: `web1/${rec.id}/${type}`,
  type,
  at,
  host: 'web1',
  silent: type === 'resolve' || rec.severity === 'warning',
  alert: rec,
  ...(type === 'resolve' ? { resolvedAt: at, reason: 'cleared' as const } : {}),
});

describe('Telegram client against the stand-in', () => {
  it('getMe and sendMessage: Telegram’s answers; silent, topic and HTML as asked', async () => {
    const me = await client().getMe();
    expect(me).toMatchObject({ ok: true, result: { is_bot: true, username: 'truffles_standin_bot' } });
    const send = telegramSender(client());
    const out = await send(
      { chatId: '-1001234567890', threadId: 5 },
      { text: '<b>disk</b> 86 %', silent: true },
    );
    expect(out).toEqual({ kind: 'sent', messageId: 1 });
    expect(standin.messages()).toMatchObject([
      { chat_id: '-1001234567890', message_thread_id: 5, text: 'disk 86 %', disable_notification: true },
    ]);
  });

  it('parses the real error shape into what the queue does', async () => {
    const send = telegramSender(client());
    standin.setMode({ tooManyRequests: { forMs: 5000, retryAfter: 7 } });
    expect(await send({ chatId: '1' }, { text: 'x', silent: false })).toEqual({
      kind: 'retry-after',
      seconds: 7,
    });
    standin.reset();
    standin.setMode({ blockedChats: ['1'], migratedChats: { '-9': -1009 } });
    expect(await send({ chatId: '1' }, { text: 'x', silent: false })).toEqual({
      kind: 'permanent',
      code: 403,
      error: 'Forbidden: bot was blocked by the user',
    });
    expect(await send({ chatId: '-9' }, { text: 'x', silent: false })).toEqual({
      kind: 'migrated',
      toChatId: '-1009',
    });
    expect(await send({ chatId: '2' }, { text: '<b>x', silent: false })).toMatchObject({
      kind: 'permanent',
      code: 400,
      error: expect.stringMatching(/^Bad Request: can't parse entities/),
    });
    standin.setMode({ failNext: 1, failWith: 502 });
    expect(await send({ chatId: '2' }, { text: 'x', silent: false })).toMatchObject({
      kind: 'transient',
      error: expect.stringMatching(/HTTP 502 without a Bot API answer/),
    });
    expect(outcomeOf({ ok: false, error_code: 500, description: 'Internal Server Error' })).toEqual({
      kind: 'transient',
      error: '500 Internal Server Error',
    });
    expect(outcomeOf({ ok: false, error_code: 429, description: 'Too Many Requests' })).toEqual({
      kind: 'retry-after',
      seconds: 5,
    });
  });

  it('never shows the bot token: not in errors, not in an inspected client', async () => {
    const token = '987654321:SECRETsecretSECRETsecretSECRETsecret';
    // a wrong token at the stand-in: unauthorized, the token nowhere in the outcome
    const wrong = telegramSender(new TelegramClient({ token, baseUrl: standin.url }));
    const out = await wrong({ chatId: '1' }, { text: 'x', silent: false });
    expect(out).toEqual({ kind: 'unauthorized', error: '401 Unauthorized' });
    // nothing listening: a network error, redacted
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const c = new TelegramClient({ token, baseUrl: `http://127.0.0.1:${closed}/bot${token}/x/` });
    const err = await c.getMe().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TelegramNetworkError);
    const shown = `${String(err)} ${(err as Error).stack ?? ''} ${inspect(err)} ${inspect(c)} ${JSON.stringify(c)}`;
    expect(shown).not.toContain(token);
    expect(shown).not.toContain('SECRET');
    expect(redact(`GET https://api.telegram.org/bot${token}/sendMessage failed (${token})`, token)).toBe(
      'GET https://api.telegram.org/bot‹redacted›/sendMessage failed (‹redacted›)',
    );
    // Any path of this client's is a Bot API path, whatever its token looks like.
    expect(redact('POST http://stand-in/botnot-a-token/getMe', '')).toBe(
      'POST http://stand-in/bot‹redacted›/getMe',
    );
  });

  it('a request with no answer times out as a network error', async () => {
    const silent = createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const port = (silent.address() as { port: number }).port;
    const c = new TelegramClient({ token: 'T:k', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 200 });
    const out = await telegramSender(c)({ chatId: '1' }, { text: 'x', silent: false });
    expect(out).toMatchObject({ kind: 'transient', error: expect.stringMatching(/no answer within 200 ms/) });
    silent.close();
  });
});

describe('message templates', () => {
  it('fire, in English: host, tenant, what, since when, the output escaped, the episode id', () => {
    const m = renderNotice(notice('fire'), { language: 'en' });
    expect(m.silent).toBe(false);
    expect(m.text).toBe(
      [
        '🔴 <b>CRITICAL</b> · web1 · acme · postgres',
        '<b>postgres is unhealthy</b>',
        'Since: 2025-03-03 12:00 UTC (2 min)',
        '<pre>pg_isready: &lt;no response&gt; &amp; &quot;timeout&quot;</pre>',
        '#a42',
      ].join('\n'),
    );
    expect(parseHtml(m.text).text).toContain('pg_isready: <no response> & "timeout"');
  });

  it('resolve, in Russian: how long it lasted; silent', () => {
    const m = renderNotice(notice('resolve', record(), T0 + 7 * 60_000), {
      language: 'ru',
      timeZone: 'Europe/Moscow',
    });
    expect(m.silent).toBe(true);
    expect(m.text).toBe(
      [
        '✅ <b>ИСПРАВЛЕНО</b> · web1 · acme · postgres',
        '<b>postgres: проверка здоровья не проходит</b>',
        'Длилось: 5 мин (2025-03-03 15:02 Europe/Moscow → 2025-03-03 15:07 Europe/Moscow)',
        '#a42',
      ].join('\n'),
    );
  });

  it('a warning with its value and its fix; the fix’s commands in <code>', () => {
    const rec = record({
      kind: 'disk',
      ruleId: 'disk',
      subject: { mount: '/var/lib/docker' },
      severity: 'warning',
      value: 86.2,
      peak: 87,
      facts: { availBytes: 13.8e9, totalBytes: 100e9 },
      fix: 'disk',
    });
    const m = renderNotice(notice('fire', rec), { language: 'en' });
    expect(m.silent).toBe(true);
    expect(m.text).toContain('<b>Disk /var/lib/docker is 86.2 % full (13.8 GB free)</b>');
    expect(m.text).toContain('Value: 86.2 (worst 87)');
    expect(m.text).toContain('Fix: free some space: <code>docker system prune</code>');
    expect(m.summary).toBe('🟡 web1 · /var/lib/docker: Disk /var/lib/docker is 86.2 % full (13.8 GB free)');
  });

  it('every kind and every fix renders in both languages as HTML Telegram accepts, hostile names included', async () => {
    const send = telegramSender(client());
    const evil = '<script>&amp;"x"</script>';
    const facts = {
      state: 'exited',
      code: 137,
      oomKilled: true,
      windowMin: 10,
      availBytes: 1,
      totalBytes: 2,
      load1: 9,
      cores: 2,
      never: false,
      failed: true,
      lastAt: T0,
      error: evil,
      notAfter: T0,
      active: true,
      extraPorts: '5432',
      running: true,
      sshJail: false,
      spent: 12,
      budget: 10,
      currency: 'USD',
    };
    const fixes = Object.keys(FIXES);
    let n = 0;
    for (const kind of ALERT_KINDS) {
      for (const language of ['en', 'ru'] as const) {
        const rec = record({
          kind,
          ruleId: kind,
          subject: { tenant: evil, service: evil, mount: evil, cert: evil },
          value: 3,
          facts,
          fix: fixes[n++ % fixes.length]!,
          ack: { by: evil, at: T0 },
        });
        for (const type of ['fire', 'escalate', 'repeat', 'resolve'] as const) {
          const m = renderNotice(notice(type, rec), { language });
          expect(() => parseHtml(m.text), `${kind} ${language} ${type}`).not.toThrow();
          expect(parseHtml(m.text).text).toContain(evil);
          expect(() => parseHtml(m.summary)).not.toThrow();
        }
      }
    }
    expect(Object.keys(TITLES).sort()).toEqual([...ALERT_KINDS].sort());
    // and the stand-in takes one of them for real
    const m = renderNotice(notice('fire', record({ subject: { tenant: evil, service: evil } })), {
      language: 'ru',
    });
    expect(await send({ chatId: '5' }, { text: m.text, silent: m.silent })).toMatchObject({ kind: 'sent' });
  });

  it('digest and test message; a digest too long for one message says how many more', () => {
    const lines = Array.from(
      { length: 300 },
      (_, i) => `🔴 web1 · t${i}: <b>${escapeHtml('svc <' + i + '>')}</b> is down`,
    );
    const d = renderDigest('web1', lines, { language: 'en' });
    expect(d.length).toBeLessThanOrEqual(4096);
    expect(d.split('\n')[0]).toBe('📋 <b>web1</b>: 300 alerts in a minute');
    expect(d).toMatch(/… and \d+ more$/);
    expect(() => parseHtml(d)).not.toThrow();
    expect(renderDigest('web1', lines.slice(0, 3), { language: 'ru' }).split('\n')[0]).toBe(
      '📋 <b>web1</b>: 3 оповещения за минуту',
    );
    expect(renderTest('web1', T0, { language: 'ru' })).toBe(
      '🔔 <b>Проверочное сообщение Truffles</b> · web1\nОповещения с этого сервера доходят.\n2025-03-03 12:00 UTC',
    );
  });

  it('times and durations', () => {
    expect(formatTime(T0, 'Asia/Almaty')).toMatch(/^2025-03-03 1[78]:00 Asia\/Almaty$/);
    expect(formatTime(T0, 'Nowhere/Else')).toBe('2025-03-03 12:00 UTC');
    expect([45e3, 120e3, 3900e3, 97200e3].map((ms) => formatDuration(ms, 'en'))).toEqual([
      '45 s',
      '2 min',
      '1 h 5 min',
      '1 d 3 h',
    ]);
    expect(formatDuration(3 * 86400e3, 'ru')).toBe('3 д');
  });
});
