import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseHtml } from '../sandbox/images/telegram-standin/lib/html.mjs';
import { start } from '../sandbox/images/telegram-standin/lib/server.mjs';
import type { Standin } from '../sandbox/images/telegram-standin/lib/server.mjs';

/** The Telegram Bot API STAND-IN itself (not Telegram): its wire protocol, its checks, its control API. */

let s: Standin;
beforeAll(async () => {
  s = await start({ port: 0 });
});
afterAll(async () => {
  await s.close();
});
beforeEach(() => s.reset());

async function call(
  method: string,
  init: { body?: string; type?: string; query?: string; token?: string } = {},
) {
  const res = await fetch(`${s.url}/bot${init.token ?? s.token}/${method}${init.query ?? ''}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    ...(init.body !== undefined
      ? { body: init.body, headers: { 'content-type': init.type ?? 'application/json' } }
      : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Telegram Bot API stand-in', () => {
  it('takes sendMessage as JSON, as a form and in the query string', async () => {
    const json = await call('sendMessage', { body: JSON.stringify({ chat_id: 42, text: 'one' }) });
    const form = await call('sendMessage', {
      body: 'chat_id=42&text=two&disable_notification=true',
      type: 'application/x-www-form-urlencoded',
    });
    const query = await call('SENDMESSAGE', { query: '?chat_id=42&text=three' });
    expect(
      [json, form, query].map((r) => [r.status, (r.body['result'] as { message_id: number }).message_id]),
    ).toEqual([
      [200, 1],
      [200, 2],
      [200, 3],
    ]);
    expect(s.messages().map((m) => [m.text, m.disable_notification])).toEqual([
      ['one', false],
      ['two', true],
      ['three', false],
    ]);
  });

  it('refuses like Telegram', async () => {
    const bad = async (body: object) => (await call('sendMessage', { body: JSON.stringify(body) })).body;
    expect(await bad({ text: 'x' })).toEqual({
      ok: false,
      error_code: 400,
      description: 'Bad Request: chat_id is empty',
    });
    expect(await bad({ chat_id: 1, text: '  ' })).toEqual({
      ok: false,
      error_code: 400,
      description: 'Bad Request: message text is empty',
    });
    expect(await bad({ chat_id: 1, text: '<b></b>', parse_mode: 'HTML' })).toMatchObject({
      description: 'Bad Request: message text is empty',
    });
    expect(await bad({ chat_id: 1, text: 'x'.repeat(4097) })).toMatchObject({
      description: 'Bad Request: message is too long',
    });
    expect(await bad({ chat_id: 1, text: 'a <x>', parse_mode: 'HTML' })).toMatchObject({
      description: 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 2',
    });
    expect(await bad({ chat_id: 1, text: 'x', message_thread_id: 3 })).toMatchObject({
      description: 'Bad Request: message thread not found',
    });
    expect(await bad({ chat_id: 'nobody', text: 'x' })).toMatchObject({
      description: 'Bad Request: chat not found',
    });
    expect(await call('getMe', { token: '1:nope' })).toEqual({
      status: 401,
      body: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
    expect((await call('getUpdatez')).status).toBe(404);
  });

  it('the control API over HTTP: modes (429 with retry_after, blocked), messages, reset', async () => {
    const post = (path: string, body: object) =>
      fetch(`${s.url}/__standin/${path}`, { method: 'POST', body: JSON.stringify(body) }).then(
        (r) => r.status,
      );
    expect(await post('mode', { tooManyRequests: { forMs: 2500 } })).toBe(200);
    const r = await call('sendMessage', { body: JSON.stringify({ chat_id: 1, text: 'x' }) });
    expect(r).toEqual({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 3',
        parameters: { retry_after: 3 },
      },
    });
    expect(await post('mode', { nonsense: true })).toBe(400);
    expect(await post('reset', {})).toBe(200);
    expect(await post('mode', { blockedChats: [-77] })).toBe(200);
    expect(
      (await call('sendMessage', { body: JSON.stringify({ chat_id: -77, text: 'x' }) })).body,
    ).toMatchObject({
      error_code: 403,
      description: 'Forbidden: bot was kicked from the group chat',
    });
    await call('sendMessage', { body: JSON.stringify({ chat_id: 5, text: 'kept' }) });
    const listed = (await (await fetch(`${s.url}/__standin/messages?chat_id=5`)).json()) as {
      messages: unknown[];
    };
    expect(listed.messages).toMatchObject([{ chat_id: '5', text: 'kept' }]);
    const requests = (await (await fetch(`${s.url}/__standin/requests`)).json()) as {
      requests: Array<{ status: number }>;
    };
    expect(requests.requests.map((q) => q.status)).toEqual([403, 200]);
  });

  it('Telegram’s HTML: entities in UTF-16 offsets, the four named entities and numeric ones', () => {
    expect(
      parseHtml(
        '🔴 <b>жирный</b> &lt;&#x41;&#66;&gt; &nbsp; <a href="https://x.example/?a=1&amp;b=2">link</a>',
      ),
    ).toEqual({
      text: '🔴 жирный <AB> &nbsp; link',
      entities: [
        { type: 'bold', offset: 3, length: 6 },
        { type: 'text_link', offset: 22, length: 4, url: 'https://x.example/?a=1&b=2' },
      ],
    });
    expect(() => parseHtml('<b><i>x</b></i>')).toThrow(
      'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
    );
    expect(() => parseHtml('<pre>x')).toThrow('Can\'t find end tag corresponding to start tag "pre"');
  });

  it('runs as a process too, and says it is a stand-in', async () => {
    const entry = fileURLToPath(
      new URL('../sandbox/images/telegram-standin/telegram-standin.mjs', import.meta.url),
    );
    const child = spawn(process.execPath, [entry], {
      env: { ...process.env, TELEGRAM_STANDIN_PORT: '0', TELEGRAM_STANDIN_TOKEN: '5:proc' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    expect(line).toMatch(
      /^Telegram Bot API STAND-IN \(NOT Telegram\) listening on http:\/\/127\.0\.0\.1:\d+/,
    );
    const url = /(http:\/\/[^ ]+)/.exec(line)![1]!;
    const me = (await (await fetch(`${url}/bot5:proc/getMe`)).json()) as { result: { id: number } };
    expect(me.result.id).toBe(5);
    expect(await (await fetch(url)).text()).toContain('NOT Telegram');
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });
});
