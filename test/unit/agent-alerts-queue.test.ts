import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryQueue } from '../../src/agent/alerts/queue';
import type { QueueEvent, QueueInput, QueueOptions } from '../../src/agent/alerts/queue';
import { TelegramClient, telegramSender } from '../../src/agent/alerts/telegram';
import { renderDigest } from '../../src/agent/alerts/templates';
import { start } from '../sandbox/images/telegram-standin/lib/server.mjs';
import type { Standin } from '../sandbox/images/telegram-standin/lib/server.mjs';

/**
 * The delivery queue against the Telegram Bot API STAND-IN (test/sandbox/images/telegram-standin,
 * not Telegram), started in this process on 127.0.0.1:0. Rate limits are shortened (20 ms per
 * chat instead of Telegram's 1 s) so a test takes a second, not a minute; everything else —
 * journal, 429 with retry_after, errors — is as in the agent.
 */

let standin: Standin;
beforeAll(async () => {
  standin = await start({ port: 0 });
});
afterAll(async () => {
  await standin.close();
});
beforeEach(() => standin.reset());

const CHAT = '4242';
const GROUP = '-1001234567890';

function options(file: string, over: Partial<QueueOptions> = {}): QueueOptions & { events: QueueEvent[] } {
  const events: QueueEvent[] = [];
  const client = new TelegramClient({ token: standin.token, baseUrl: standin.url, timeoutMs: 5000 });
  return {
    file,
    send: telegramSender(client),
    renderDigest: (host, lines) => renderDigest(host, lines, { language: 'en' }),
    limits: { perChatMs: 20, groupPerMinute: 10_000, globalPerSecond: 10_000 },
    backoff: { initialMs: 20, maxMs: 200 },
    onEvent: (e) => events.push(e),
    events,
    ...over,
  };
}

const journal = () => join(mkdtempSync(join(tmpdir(), 'alerts-queue-')), 'queue.jsonl');
const msg = (i: number, chatId = CHAT, extra: Partial<QueueInput> = {}): QueueInput => ({
  id: `web1/${i}/fire`,
  dest: { chatId },
  host: 'web1',
  text: `alert <b>${i}</b>`,
  silent: false,
  ...extra,
});
const texts = (chat: string) =>
  standin
    .messages()
    .filter((m) => m.chat_id === chat)
    .map((m) => m.text);
const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('delivery queue against the Telegram stand-in', () => {
  it('sends each destination’s messages in order, with its topic and silence', async () => {
    const q = await DeliveryQueue.open(options(journal()));
    await q.enqueue([
      ...[1, 2, 3].map((i) => msg(i)),
      ...[4, 5].map((i) => msg(i, GROUP, { dest: { chatId: GROUP, threadId: 7 }, silent: true })),
    ]);
    q.start();
    await q.idle();
    expect(texts(CHAT)).toEqual(['alert 1', 'alert 2', 'alert 3']);
    const group = standin.messages().filter((m) => m.chat_id === GROUP);
    expect(group.map((m) => [m.text, m.message_thread_id, m.disable_notification, m.html])).toEqual([
      ['alert 4', 7, true, 'alert <b>4</b>'],
      ['alert 5', 7, true, 'alert <b>5</b>'],
    ]);
    expect(q.pending()).toEqual([]);
    await q.stop();
  });

  it('429 for a period: waits retry_after and sends the same message again; all delivered afterwards, in order', async () => {
    const o = options(journal());
    const q = await DeliveryQueue.open(o);
    standin.setMode({ tooManyRequests: { forMs: 1500, retryAfter: 1 } });
    const t0 = Date.now();
    await q.enqueue(Array.from({ length: 10 }, (_, i) => msg(i)));
    q.start();
    await q.idle();
    expect(texts(CHAT)).toEqual(Array.from({ length: 10 }, (_, i) => `alert ${i}`));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    const calls = standin.requests().filter((r) => r.method === 'sendMessage');
    const refused = calls.filter((r) => r.status === 429);
    // retry_after 1 s honoured: two or three refusals over 1.5 s, not a storm of retries
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeLessThanOrEqual(3);
    for (let i = 1; i < refused.length; i++)
      expect(refused[i]!.at - refused[i - 1]!.at).toBeGreaterThanOrEqual(990);
    expect(
      o.events
        .filter((e) => e.type === 'retry')
        .every((e) => e.type === 'retry' && e.ids[0] === 'web1/0/fire'),
    ).toBe(true);
    await q.stop();
  });

  it('a queue thrown away during the 429s and built again from its journal delivers everything, in order, once', async () => {
    const file = journal();
    standin.setMode({ tooManyRequests: { forMs: 1200, retryAfter: 1 } });
    const q1 = await DeliveryQueue.open(options(file));
    await q1.enqueue(Array.from({ length: 8 }, (_, i) => msg(i)));
    q1.start();
    await until(() => standin.requests().some((r) => r.status === 429));
    q1.abandon(); // as a killed agent: nothing more from this one
    const q2 = await DeliveryQueue.open(options(file));
    expect(q2.pending().map((m) => m.id)).toEqual(Array.from({ length: 8 }, (_, i) => `web1/${i}/fire`));
    await q2.enqueue(msg(8));
    q2.start();
    await q2.idle();
    expect(texts(CHAT)).toEqual(Array.from({ length: 9 }, (_, i) => `alert ${i}`));
    await q2.stop();
  });

  it('killed while sending: nothing lost, order kept, at most the one message in flight twice', async () => {
    const file = journal();
    const q1 = await DeliveryQueue.open(options(file, { limits: { perChatMs: 60 } }));
    await q1.enqueue(Array.from({ length: 12 }, (_, i) => msg(i)));
    q1.start();
    await until(() => texts(CHAT).length >= 4);
    q1.abandon();
    const q2 = await DeliveryQueue.open(options(file));
    q2.start();
    await q2.idle();
    const got = texts(CHAT);
    const collapsed = got.filter((t, i) => t !== got[i - 1]);
    expect(collapsed).toEqual(Array.from({ length: 12 }, (_, i) => `alert ${i}`));
    expect(got.length - collapsed.length).toBeLessThanOrEqual(1);
    await q2.stop();
  });

  it('the same message offered twice — also after a restart — is sent once', async () => {
    const file = journal();
    const q1 = await DeliveryQueue.open(options(file));
    expect(await q1.enqueue([msg(1), msg(1)])).toEqual(['web1/1/fire']);
    q1.start();
    await q1.idle();
    await q1.stop();
    const q2 = await DeliveryQueue.open(options(file));
    expect(await q2.enqueue([msg(1), msg(2)])).toEqual(['web1/2/fire']);
    q2.start();
    await q2.idle();
    expect(texts(CHAT)).toEqual(['alert 1', 'alert 2']);
    await q2.stop();
  });

  it('a host raising more than 5 in a minute: the first 5 alone, the rest of that minute as one digest', async () => {
    const q = await DeliveryQueue.open(options(journal(), { digest: { threshold: 5, windowMs: 400 } }));
    q.start();
    const withSummary = (i: number) =>
      msg(i, CHAT, { summary: `🔴 web1: <b>alert ${i}</b>`, silent: i % 2 === 0 });
    await q.enqueue(Array.from({ length: 12 }, (_, i) => withSummary(i)));
    await q.idle();
    const got = standin.messages().filter((m) => m.chat_id === CHAT);
    expect(got.map((m) => m.text.split('\n')[0])).toEqual([
      'alert 0',
      'alert 1',
      'alert 2',
      'alert 3',
      'alert 4',
      '📋 web1: 7 alerts in a minute',
    ]);
    expect(got[5]!.text.split('\n').slice(1)).toEqual(
      Array.from({ length: 7 }, (_, i) => `🔴 web1: alert ${i + 5}`),
    );
    expect(got[5]!.disable_notification).toBe(false); // not every one was silent
    // the storm is over: the next one goes alone
    await new Promise((r) => setTimeout(r, 450));
    await q.enqueue(withSummary(99));
    await q.idle();
    expect(texts(CHAT).at(-1)).toBe('alert 99');
    await q.stop();
  });

  it('a digest held when the agent dies is sent by the next one', async () => {
    const file = journal();
    const q1 = await DeliveryQueue.open(options(file, { digest: { threshold: 2, windowMs: 300 } }));
    await q1.enqueue(Array.from({ length: 5 }, (_, i) => msg(i, CHAT, { summary: `line ${i}` })));
    q1.abandon();
    const q2 = await DeliveryQueue.open(options(file, { digest: { threshold: 2, windowMs: 300 } }));
    q2.start();
    await q2.idle();
    expect(standin.messages().map((m) => m.text)).toEqual([
      'alert 0',
      'alert 1',
      '📋 web1: 3 alerts in a minute\nline 2\nline 3\nline 4',
    ]);
    await q2.stop();
  });

  it('400 and 403 are recorded as failures and the queue moves on; 5xx and dropped connections are retried', async () => {
    const o = options(journal());
    const q = await DeliveryQueue.open(o);
    standin.setMode({ blockedChats: ['777'], failNext: 3, failWith: 502 });
    await q.enqueue([msg(1), msg(2, CHAT, { text: '   ' }), msg(3), msg(4, '777'), msg(5, '777'), msg(6)]);
    q.start();
    await q.idle();
    expect(texts(CHAT)).toEqual(['alert 1', 'alert 3', 'alert 6']);
    expect(q.failures().map((f) => [f.ids, f.error])).toEqual(
      expect.arrayContaining([
        [['web1/2/fire'], '400 Bad Request: message text is empty'],
        [['web1/4/fire'], '403 Forbidden: bot was blocked by the user'],
        [['web1/5/fire'], '403 Forbidden: bot was blocked by the user'],
      ]),
    );
    expect(standin.requests().filter((r) => r.status === 502)).toHaveLength(3);
    standin.setMode({ failNext: 2, failWith: 'reset' });
    await q.enqueue(msg(7));
    await q.idle();
    expect(texts(CHAT).at(-1)).toBe('alert 7');
    const retries = o.events.filter((e) => e.type === 'retry');
    expect(retries.length).toBeGreaterThanOrEqual(5);
    await q.stop();
    // the journal says which failed and why
    const lines = readFileSync(o.file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { op: string; ok?: boolean });
    expect(lines.filter((l) => l.op === 'done' && l.ok === false)).toHaveLength(3);
  });

  it('a group upgraded to a supergroup: the same message goes to the new id, and so do later ones', async () => {
    const o = options(journal());
    const q = await DeliveryQueue.open(o);
    standin.setMode({ migratedChats: { '-555': -1000000000555 } });
    await q.enqueue([msg(1, '-555'), msg(2, '-555')]);
    q.start();
    await q.idle();
    expect(texts('-1000000000555')).toEqual(['alert 1', 'alert 2']);
    expect(o.events).toContainEqual({ type: 'migrated', from: '-555', to: '-1000000000555' });
    await q.stop();
    const q2 = await DeliveryQueue.open(options(o.file));
    await q2.enqueue(msg(3, '-555'));
    expect(q2.pending()[0]!.dest.chatId).toBe('-1000000000555');
  });

  it('a wrong token holds every message (nothing is dropped as failed)', async () => {
    const o = options(journal(), { unauthorizedRetryMs: 50 });
    o.send = telegramSender(new TelegramClient({ token: '1:wrong', baseUrl: standin.url }));
    const q = await DeliveryQueue.open(o);
    await q.enqueue([msg(1), msg(2)]);
    q.start();
    await until(() => o.events.filter((e) => e.type === 'unauthorized').length >= 2);
    await q.stop();
    expect(q.pending().map((m) => m.id)).toEqual(['web1/1/fire', 'web1/2/fire']);
    expect(q.failures()).toEqual([]);
  });

  it('a torn last journal line is skipped and reported; compaction keeps what is queued and what was done', async () => {
    const file = journal();
    const q1 = await DeliveryQueue.open(options(file, { compactAfter: 10 }));
    await q1.enqueue(Array.from({ length: 20 }, (_, i) => msg(i)));
    q1.start();
    await q1.idle();
    await q1.stop();
    expect(readFileSync(file, 'utf8').trim().split('\n').length).toBeLessThanOrEqual(12);
    appendFileSync(file, '{"op":"add","m":{"id":"torn');
    const q2 = await DeliveryQueue.open(options(file));
    expect(q2.loadProblem).toMatch(/1 unreadable line/);
    expect(await q2.enqueue([msg(3), msg(20)])).toEqual(['web1/20/fire']);
    q2.start();
    await q2.idle();
    expect(texts(CHAT)).toEqual(Array.from({ length: 21 }, (_, i) => `alert ${i}`));
    // the append after the torn line started a line of its own
    const q3 = await DeliveryQueue.open(options(file));
    expect(q3.loadProblem).toMatch(/1 unreadable line/);
    expect(q3.pending()).toEqual([]);
    await q2.stop();
  });

  it('keeps Telegram’s pace: one message a second per chat by default', async () => {
    standin.setMode({ minIntervalMs: 950 });
    const o = options(journal(), { limits: {} });
    const q = await DeliveryQueue.open(o);
    await q.enqueue([msg(1), msg(2), msg(3)]);
    const t0 = Date.now();
    q.start();
    await q.idle();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(standin.requests().filter((r) => r.status === 429)).toEqual([]);
    expect(texts(CHAT)).toEqual(['alert 1', 'alert 2', 'alert 3']);
    await q.stop();
  });
});
