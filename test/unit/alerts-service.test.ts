import { readFileSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RequestError, serveDoor, type MethodHandler } from '../../src/agent/server';
import { mergeConfig, redactError, tokenSecretId } from '../../src/main/core/alerts/config';
import { AlertsService } from '../../src/main/core/alerts/service';
import { outcomeRecord, startRecord } from '../../src/main/core/audit/journal';
import { CoreError, toErrorInfo } from '../../src/main/core/errors';
import { AgentClient } from '../../src/main/core/health/client';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { Store } from '../../src/main/core/store/store';
import type { AlertsConfig, AlertsView } from '../../src/shared/agent/alerts';
import { AGENT_PROTOCOL, AGENT_VERSION } from '../../src/shared/agent/protocol';
import { record, T0, view } from '../helpers/alerts-fixtures';
import { tempDir } from '../helpers/tmp';

/**
 * AlertsService end to end over the agent's real door code (src/agent/server.ts) on a real Unix
 * socket, with a **door stand-in**: canned answers for the alert methods, not the agent's engine
 * (that is being wired on the agent side). It records what the console sent.
 */

const TOKEN = '123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0';
const OTHER = '987654321:BBHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T1';

interface Sent {
  method: string;
  params: Record<string, unknown>;
}

let t: ReturnType<typeof tempDir>;
let cleanups: Array<() => Promise<void> | void>;
beforeEach(() => {
  t = tempDir();
  cleanups = [];
});
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  t.cleanup();
});

/** The door stand-in: `current` is what `alerts` answers; each method's answer may be replaced. */
async function standIn(
  over: Record<string, MethodHandler> = {},
  state: { current: AlertsView } = { current: view() },
) {
  const sent: Sent[] = [];
  const note =
    (method: string, answer: MethodHandler): MethodHandler =>
    (params, caller) => {
      sent.push({ method, params });
      return answer(params, caller);
    };
  const methods: Record<string, MethodHandler> = {
    alerts: () => state.current,
    'alerts.ack': (p) =>
      record({ ack: { by: String(p.by), at: T0, ...(p.note ? { note: String(p.note) } : {}) } }),
    'alerts.silence': (p) => ({
      id: 's1',
      rule: p.rule,
      subject: p.subject,
      until: p.until,
      by: p.by,
      at: T0,
      reason: p.reason,
    }),
    'alerts.maintenance': (p) => ({ id: 'm1', ...p }),
    'alerts.unhold': (p) => ({ removed: p.id === 's1' }),
    'alerts.configure': (p) => {
      state.current = {
        ...state.current,
        config: p.config as AlertsConfig,
        telegramToken: p.token === undefined ? state.current.telegramToken : p.token !== null,
      };
      return state.current;
    },
    'alerts.test': () => ({ queued: 2 }),
    ...over,
  };
  const socket = join(t.dir, `door-${Math.random().toString(36).slice(2)}`, 'agent.sock');
  const server: Server = await serveDoor(
    socket,
    {
      hello: () => ({
        agent: 'truffles-agent',
        version: AGENT_VERSION,
        protocol: AGENT_PROTOCOL,
        startedAt: 'x',
        methods: Object.keys(methods),
      }),
      methods: Object.fromEntries(Object.entries(methods).map(([m, h]) => [m, note(m, h)])),
      streams: {},
    },
    null,
  );
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { socket, sent, state };
}

async function clientOf(socket: string, host: string): Promise<AgentClient> {
  const s = connect(socket);
  await new Promise((r) => s.once('connect', r));
  const c = await AgentClient.open(s, host);
  cleanups.push(() => c.close());
  return c;
}

async function service(sockets: Record<string, string | Error>, now = T0) {
  const store = new Store(join(t.dir, 'home'));
  await store.update((d) => {
    for (const name of Object.keys(sockets))
      d.hosts.push({
        name,
        kind: 'ssh',
        address: `${name}.example.kz`,
        port: 22,
        user: 'ops',
        auth: { kind: 'agent' },
        dockerSocket: '/var/run/docker.sock',
        jump: [],
        labels: {},
        baseDomain: null,
        registryMirror: null,
        stateDir: '/opt/truffles',
        addedAt: new Date(T0).toISOString(),
        lastCheck: null,
      });
  });
  const secrets = new PassphraseProvider(async () => 'a passphrase for alerts');
  const alerts = new AlertsService({
    client: async (host) => {
      const s = sockets[host];
      if (s === undefined || s instanceof Error) throw s ?? new Error('no such host');
      return clientOf(s, host);
    },
    hostNames: async () => Object.keys(sockets),
    store,
    secrets,
    actor: () => 'ops@laptop',
    now: () => now,
  });
  return { alerts, store, secrets };
}

describe('AlertsService against a door stand-in', () => {
  it('list asks every host at once and reports one that cannot be read', async () => {
    const door = await standIn({}, { current: view({ active: [record()] }) });
    const { alerts } = await service({
      h1: door.socket,
      far: new CoreError('ssh.timeout', 'No answer from far.', 'Check the network.'),
    });
    const fleet = await alerts.list();
    expect(fleet.takenAt).toBe(new Date(T0).toISOString());
    expect(fleet.hosts).toEqual([
      { host: 'h1', view: expect.objectContaining({ active: [record()] }), error: null },
      {
        host: 'far',
        view: null,
        error: { code: 'ssh.timeout', message: 'No answer from far.', hint: 'Check the network.' },
      },
    ]);
    const one = await alerts.list('h1', 5);
    expect(one.hosts.map((h) => h.host)).toEqual(['h1']);
    expect(door.sent.at(-1)).toEqual({ method: 'alerts', params: { limit: 5 } });
  });

  it('ack, silence, maintenance, unhold and test name who did it; minutes and ISO times become milliseconds', async () => {
    const door = await standIn();
    const { alerts } = await service({ h1: door.socket });
    const acked = await alerts.ack('h1', 42, 'restarting it');
    expect(acked.ack).toEqual({ by: 'ops@laptop', at: T0, note: 'restarting it' });
    const s = await alerts.silence({ host: 'h1', rule: 'backup-*', subject: '*', minutes: 120 });
    expect(s.until).toBe(T0 + 120 * 60_000);
    const w = await alerts.maintenance({
      host: 'h1',
      start: '2026-12-06T15:00:00+05:00',
      end: '2026-12-06T12:00:00Z',
      reason: 'fleet update',
    });
    expect(w).toMatchObject({ start: T0, end: T0 + 2 * 3600_000 });
    expect(await alerts.unhold('h1', 's1')).toEqual({ removed: true });
    expect(await alerts.test('h1')).toEqual({ queued: 2 });
    expect(door.sent).toEqual([
      { method: 'alerts.ack', params: { ref: 42, by: 'ops@laptop', note: 'restarting it' } },
      {
        method: 'alerts.silence',
        params: { rule: 'backup-*', subject: '*', until: T0 + 7_200_000, by: 'ops@laptop' },
      },
      {
        method: 'alerts.maintenance',
        params: { start: T0, end: T0 + 7_200_000, by: 'ops@laptop', reason: 'fleet update' },
      },
      { method: 'alerts.unhold', params: { id: 's1', by: 'ops@laptop' } },
      { method: 'alerts.test', params: { by: 'ops@laptop' } },
    ]);
    const past = await alerts
      .maintenance({ host: 'h1', start: '2026-12-06T08:00:00Z', end: '2026-12-06T09:00:00Z' })
      .catch((e: unknown) => e);
    expect((past as CoreError).code).toBe('alerts.window-past');
    expect(door.sent).toHaveLength(5);
  });

  it('configure merges into the agent’s config, seals the token per host and pushes it', async () => {
    const door = await standIn(
      {},
      {
        current: view({
          config: {
            host: 'old-name',
            telegram: [{ chatId: '-100111' }],
            language: 'ru',
            overrides: [{ rule: 'disk', set: { fire: 90 } }],
          },
          telegramToken: false,
        }),
      },
    );
    const { alerts, store, secrets } = await service({ h1: door.socket });
    const v = await alerts.configure({
      host: 'h1',
      token: TOKEN,
      timeZone: 'Asia/Almaty',
      quietHours: { from: '22:00', to: '08:00', timeZone: 'Asia/Almaty' },
    });
    const pushed = door.sent.find((s) => s.method === 'alerts.configure');
    expect(pushed?.params).toEqual({
      config: {
        host: 'h1',
        telegram: [{ chatId: '-100111' }],
        language: 'ru',
        overrides: [{ rule: 'disk', set: { fire: 90 } }],
        timeZone: 'Asia/Almaty',
        quietHours: { from: '22:00', to: '08:00', timeZone: 'Asia/Almaty' },
      },
      token: TOKEN,
    });
    expect(v.telegramToken).toBe(true);
    expect(JSON.stringify(v)).not.toContain(TOKEN);
    // Kept sealed in the store, never in clear.
    const sealed = (await store.read()).secrets[tokenSecretId('h1')];
    expect(sealed?.provider).toBe('passphrase');
    expect(await secrets.decrypt(sealed!)).toBe(TOKEN);
    expect(readFileSync(store.file, 'utf8')).not.toContain(TOKEN.split(':')[1]);

    // Absent keeps it (nothing sent); null removes it there and here.
    await alerts.configure({ host: 'h1', language: 'en' });
    expect(door.sent.filter((s) => s.method === 'alerts.configure').at(-1)?.params).not.toHaveProperty(
      'token',
    );
    await alerts.configure({ host: 'h1', token: null, telegram: [] });
    expect(door.sent.filter((s) => s.method === 'alerts.configure').at(-1)?.params).toMatchObject({
      token: null,
      config: { telegram: [], language: 'en' },
    });
    expect((await store.read()).secrets[tokenSecretId('h1')]).toBeUndefined();
  });

  it('an agent installed afresh (no config, no token) gets the token the console keeps; one whose token was removed does not', async () => {
    const door = await standIn({}, { current: view({ config: null, telegramToken: false }) });
    const { alerts, store, secrets } = await service({ h1: door.socket });
    const sealed = await secrets.encrypt(TOKEN);
    await store.update((d) => {
      d.secrets[tokenSecretId('h1')] = sealed;
    });
    await alerts.configure({ host: 'h1', telegram: [{ chatId: '@ops_alerts' }] });
    expect(door.sent.at(-1)?.params).toEqual({
      config: { host: 'h1', telegram: [{ chatId: '@ops_alerts' }] },
      token: TOKEN,
    });
    door.state.current = view({ telegramToken: false });
    await alerts.configure({ host: 'h1', language: 'en' });
    expect(door.sent.at(-1)?.params).not.toHaveProperty('token');
  });

  it('a refusal quoting the token reaches the caller (and so the audit) redacted', async () => {
    const door = await standIn({
      'alerts.configure': (p) => {
        throw new RequestError(
          'bad-request',
          `Telegram refused https://api.telegram.org/bot${String(p.token)}/getMe (401); old ${OTHER}`,
        );
      },
    });
    const { alerts, store } = await service({ h1: door.socket });
    const err = await alerts.configure({ host: 'h1', token: TOKEN }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoreError);
    const info = toErrorInfo(err);
    expect(info.code).toBe('agent.bad-request');
    expect(info.message).toContain('/bot‹redacted›/getMe');
    expect(JSON.stringify(info)).not.toContain(TOKEN.split(':')[1]);
    expect(JSON.stringify(info)).not.toContain(OTHER.split(':')[1]);
    // Nothing kept when the agent did not take it.
    expect((await store.read()).secrets[tokenSecretId('h1')]).toBeUndefined();
    // The audit's records: the input's token never copied, the error's message redacted again.
    const start = startRecord(
      { name: 'alerts.configure', effect: 'write' },
      { host: 'h1', token: TOKEN },
      { role: 'owner', via: 'cli' },
      'id',
    );
    expect(JSON.stringify(start)).not.toContain(TOKEN.split(':')[1]);
    const failed = outcomeRecord(start, { ok: false, error: { code: 'x', message: `raw ${TOKEN}` } }, 1);
    expect(JSON.stringify(failed)).not.toContain(TOKEN.split(':')[1]);
    expect(failed.details.message).toBe('raw ‹redacted›');
    expect(
      startRecord(
        { name: 'alerts.ack', effect: 'write' },
        { host: 'h1', ref: 42 },
        { role: 'owner', via: 'cli' },
        'id',
      ).details,
    ).toMatchObject({ host: 'h1', ref: '42' });
  });

  it('an answer the console cannot read, and an agent without alerts, are told apart', async () => {
    const door = await standIn({ alerts: () => ({ active: 'nonsense' }) });
    const { alerts } = await service({ h1: door.socket });
    const bad = await alerts.view('h1').catch((e: unknown) => e);
    expect((bad as CoreError).code).toBe('agent.protocol');
    // An agent of issue 13 knows none of the alert methods: its door answers "unknown-method".
    const socket = join(t.dir, 'old', 'agent.sock');
    const server = await serveDoor(
      socket,
      {
        hello: () => ({
          agent: 'truffles-agent',
          version: AGENT_VERSION,
          protocol: AGENT_PROTOCOL,
          startedAt: 'x',
          methods: ['ping'],
        }),
        methods: { ping: () => ({ pong: true, at: 'now' }) },
        streams: {},
      },
      null,
    );
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const { alerts: a3 } = await service({ h3: socket });
    const e = await a3.test('h3').catch((x: unknown) => x);
    expect(toErrorInfo(e)).toMatchObject({
      code: 'alerts.agent-outdated',
      hint: 'Update it with `truffles agent update h3`.',
    });
  });
});

describe('configure’s pieces', () => {
  it('mergeConfig: given fields replace, the rest stay, host is the console’s name', () => {
    const current: AlertsConfig = {
      host: 'x',
      telegram: [{ chatId: '-1' }],
      quietHours: { from: '22:00', to: '08:00', timeZone: 'UTC' },
      rules: [],
    };
    expect(mergeConfig(current, 'h1', { quietHours: null, language: 'en' })).toEqual({
      host: 'h1',
      telegram: [{ chatId: '-1' }],
      quietHours: null,
      rules: [],
      language: 'en',
    });
    expect(mergeConfig(null, 'h1', {})).toEqual({ host: 'h1' });
    expect(current.host).toBe('x');
  });

  it('redactError keeps the code and hint, and redacts message, hint and details', () => {
    const e = redactError(
      new CoreError('agent.internal', `token ${TOKEN} bad`, `retry without ${TOKEN}`, {
        sent: { token: TOKEN },
      }),
      TOKEN,
    );
    expect(toErrorInfo(e)).toEqual({
      code: 'agent.internal',
      message: 'token ‹redacted› bad',
      hint: 'retry without ‹redacted›',
      details: { sent: { token: '‹redacted›' } },
    });
    expect(toErrorInfo(redactError(new Error(`x ${TOKEN}`), null)).message).toBe(
      'Unexpected error: x ‹redacted›',
    );
  });
});
