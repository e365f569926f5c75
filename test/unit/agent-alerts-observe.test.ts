import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerHealth } from '../../src/shared/agent/protocol';
import type { AlertState, AlertsConfig } from '../../src/shared/agent/alerts';
import { noteExit, noteStopRequested, trackContainers } from '../../src/agent/alerts/observe';
import type { ContainerTracks } from '../../src/agent/alerts/observe';
import { digestRenderer, messagesFor, testMessages } from '../../src/agent/alerts/outbox';
import { DeliveryQueue } from '../../src/agent/alerts/queue';
import { emptyState, evaluate } from '../../src/agent/alerts/rules';
import { TelegramClient, telegramSender } from '../../src/agent/alerts/telegram';
import { start } from '../sandbox/images/telegram-standin/lib/server.mjs';
import type { Standin } from '../sandbox/images/telegram-standin/lib/server.mjs';

/**
 * From the agent's container records to observations (restarts, exits, requested stops), and the
 * whole path once: records → engine → messages → queue → the Telegram Bot API STAND-IN (not
 * Telegram), with the engine's time simulated and the queue's real.
 */

const T0 = Date.UTC(2025, 2, 3, 12, 0, 0);
const iso = (t: number) => new Date(t).toISOString();
const c = (over: Partial<ContainerHealth> = {}): ContainerHealth => ({
  id: 'c1',
  name: 'acme-n8n-1',
  tenant: 'acme',
  service: 'n8n',
  image: 'n8n:1.123',
  state: 'running',
  health: 'healthy',
  healthOutput: null,
  failingStreak: 0,
  exitCode: null,
  oomKilled: false,
  restarts: 0,
  startedAt: iso(T0 - 3600_000),
  finishedAt: null,
  changedAt: iso(T0),
  stats: null,
  ...over,
});

describe('container tracks', () => {
  it('counts restarts nobody asked for, by name, with their times; a coalesced look counts what RestartCount says', () => {
    let tracks: ContainerTracks = {};
    const step = (t: number, rec: ContainerHealth) => {
      const r = trackContainers(tracks, [rec], T0 + t);
      tracks = r.tracks;
      return r.observations[0]!;
    };
    expect(step(0, c()).restartTimes).toEqual([]); // the first sight is not a restart
    expect(step(10_000, c({ startedAt: iso(T0 + 9_000), restarts: 1 })).restartTimes).toEqual([T0 + 9_000]);
    // two more restarts between two looks
    expect(step(60_000, c({ startedAt: iso(T0 + 55_000), restarts: 3 })).restartTimes).toHaveLength(3);
    // an operator's restart: a stop asked for, then a start
    tracks = noteStopRequested(tracks, 'acme-n8n-1', T0 + 70_000);
    const stopped = step(
      71_000,
      c({
        state: 'exited',
        exitCode: 143,
        startedAt: iso(T0 + 55_000),
        finishedAt: iso(T0 + 70_500),
        restarts: 3,
      }),
    );
    expect(stopped.stopRequested).toBe(true);
    expect(stopped.lastExit).toEqual({ at: T0 + 70_500, code: 143, oomKilled: false, stopRequested: true });
    expect(step(80_000, c({ startedAt: iso(T0 + 79_000), restarts: 3 })).restartTimes).toHaveLength(3);
    // a recreate (new id, same name) that crashes goes on counting
    const after = step(90_000, c({ id: 'c2', startedAt: iso(T0 + 89_000), restarts: 0 }));
    expect(after.restartTimes).toHaveLength(4);
    expect(after.stopRequested).toBe(false);
  });

  it('an exit hidden by a fast restart is known from the die event; the agent itself is left out', () => {
    let tracks = trackContainers({}, [c()], T0).tracks;
    tracks = noteExit(tracks, 'acme-n8n-1', { at: T0 + 1000, code: 1 });
    const r = trackContainers(
      tracks,
      [
        c({ startedAt: iso(T0 + 1200), restarts: 1 }),
        c({ id: 'a', name: 'truffles-agent', tenant: null, service: 'agent' }),
      ],
      T0 + 2000,
    );
    expect(r.observations).toHaveLength(1);
    expect(r.observations[0]!.lastExit).toEqual({
      at: T0 + 1000,
      code: 1,
      oomKilled: false,
      stopRequested: false,
    });
    const fired = evaluate({ host: 'web1' }, emptyState(), { containers: r.observations }, T0 + 2000);
    expect(fired.notices.map((n) => n.alert.key)).toEqual(['container-exited@tenant=acme,service=n8n']);
  });

  it('a vanished container’s track is kept an hour (a recreate keeps its count), then dropped', () => {
    const tracks = trackContainers({}, [c()], T0).tracks;
    expect(Object.keys(trackContainers(tracks, [], T0 + 1000).tracks)).toEqual(['acme-n8n-1']);
    expect(Object.keys(trackContainers(tracks, [], T0 + 3601_000).tracks)).toEqual([]);
  });
});

describe('the whole path: container records → engine → queue → Telegram stand-in', () => {
  let standin: Standin;
  beforeAll(async () => {
    standin = await start({ port: 0 });
  });
  afterAll(async () => {
    await standin.close();
  });

  it('PostgreSQL unhealthy for 2 minutes: one message to each chat, each in its language; one resolve; a crash of the agent between queue and state saves sends nothing twice', async () => {
    const config: AlertsConfig = {
      host: 'web1',
      language: 'en',
      telegram: [{ chatId: '100' }, { chatId: '-1002000000000', threadId: 9, language: 'ru' }],
    };
    const file = join(mkdtempSync(join(tmpdir(), 'alerts-path-')), 'queue.jsonl');
    const client = new TelegramClient({ token: standin.token, baseUrl: standin.url });
    const q = await DeliveryQueue.open({
      file,
      send: telegramSender(client),
      renderDigest: digestRenderer(config),
      limits: { perChatMs: 10 },
    });
    q.start();
    let state: AlertState = emptyState();
    let tracks: ContainerTracks = {};
    const pg = (health: ContainerHealth['health']) =>
      c({
        id: 'p',
        name: 'acme-postgres-1',
        service: 'postgres',
        health,
        healthOutput: health === 'unhealthy' ? 'no response' : null,
      });
    for (let t = 0; t <= 6 * 60_000; t += 10_000) {
      const seen = trackContainers(
        tracks,
        [pg(t >= 10_000 && t < 4 * 60_000 ? 'unhealthy' : 'healthy')],
        T0 + t,
      );
      tracks = seen.tracks;
      const r = evaluate(config, state, { containers: seen.observations }, T0 + t);
      const inputs = r.notices.flatMap((n) => messagesFor(n, config));
      await q.enqueue(inputs);
      if (t === 130_000) {
        // killed after the queue's journal, before the state was saved: the next evaluation
        // starts from the old state and gives the same notices again
        const again = evaluate(config, state, { containers: seen.observations }, T0 + t);
        expect(await q.enqueue(again.notices.flatMap((n) => messagesFor(n, config)))).toEqual([]);
      }
      state = r.state;
    }
    await q.enqueue(testMessages(config, T0 + 7 * 60_000));
    await q.idle();
    await q.stop();
    const got = standin.messages().map((m) => [m.chat_id, m.message_thread_id, m.text.split('\n')[0]]);
    expect(got.filter((m) => m[0] === '100')).toEqual([
      ['100', null, '🔴 CRITICAL · web1 · acme · postgres'],
      ['100', null, '✅ RESOLVED · web1 · acme · postgres'],
      ['100', null, '🔔 Truffles test message · web1'],
    ]);
    expect(got.filter((m) => m[0] !== '100')).toEqual([
      ['-1002000000000', 9, '🔴 КРИТИЧНО · web1 · acme · postgres'],
      ['-1002000000000', 9, '✅ ИСПРАВЛЕНО · web1 · acme · postgres'],
      ['-1002000000000', 9, '🔔 Проверочное сообщение Truffles · web1'],
    ]);
    expect(standin.messages()[0]!.text).toContain('Since: 2025-03-03 12:00 UTC (2 min)');
  });
});
