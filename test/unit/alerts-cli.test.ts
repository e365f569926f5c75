import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  alertRef,
  alertsQuiet,
  alertsText,
  chatOf,
  configText,
  configureInput,
  historyText,
  parseDuration,
  parseTime,
  span,
} from '../../src/main/cli/alerts';
import { runCli } from '../../src/main/cli/cli';
import type { FleetAlerts } from '../../src/shared/contract';
import { alertState, globMatch } from '../../src/shared/alerts-view';
import { record, T0, view } from '../helpers/alerts-fixtures';
import { tempDir } from '../helpers/tmp';

const io = { out: () => undefined, err: () => undefined };
const TOKEN = '123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0';

function fleet(...hosts: FleetAlerts['hosts']): FleetAlerts {
  return { takenAt: new Date(T0).toISOString(), hosts };
}

describe('truffles alerts: the table', () => {
  const now = T0 + 12 * 60_000;
  const v = view({
    active: [
      record({
        id: 7,
        severity: 'warning',
        ruleId: 'disk',
        key: 'disk@mount=/',
        subjectKey: 'mount=/',
        firingSince: T0 - 3600_000,
      }),
      record({
        id: 8,
        phase: 'pending',
        firingSince: null,
        pendingSince: now - 30_000,
        ruleId: 'load',
        subjectKey: '',
      }),
      record({ id: 9, ack: { by: 'ops@laptop', at: T0 } }),
      record({ id: 10, ruleId: 'backup-stale', subjectKey: 'tenant=acme' }),
      record({ id: 11 }),
    ],
    silences: [
      {
        id: 's1',
        rule: 'backup-*',
        subject: 'tenant=acme*',
        until: now + 3600_000,
        by: 'ops@laptop',
        at: T0,
        reason: 'moving disks',
      },
      { id: 's0', rule: '*', subject: '*', until: now - 1, by: 'ops@laptop', at: T0 - 9e6 },
    ],
    maintenance: [
      { id: 'm1', start: now + 3600_000, end: now + 7200_000, by: 'ops@laptop', reason: 'fleet update' },
    ],
  });

  it('a row per alert, worst first: firing, silenced, acknowledged, pending; critical before warning', () => {
    const text = alertsText(fleet({ host: 'h1', view: v, error: null }), now);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^HOST\s+ID\s+SEVERITY\s+RULE\s+SUBJECT\s+SINCE\s+STATE$/);
    const rows = lines.slice(1, 6).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => [r[1], r[6]])).toEqual([
      ['11', 'firing'],
      ['7', 'firing'],
      ['10', 'silenced'],
      ['9', 'acknowledged'],
      ['8', 'pending'],
    ]);
    expect(rows[0]).toEqual([
      'h1',
      '11',
      'critical',
      'service-down',
      'tenant=acme,service=postgres',
      '2026-12-06 10:00Z (12m)',
      'firing',
    ]);
    expect(rows[4]?.[4]).toBe('(host)');
    // The holds still in force (the expired silence is not), with their ids for `unhold`.
    expect(text).toMatch(
      /^h1\s+s1\s+silence\s+backup-\*\s+tenant=acme\*\s+2026-12-06 11:12Z\s+ops@laptop\s+moving disks$/m,
    );
    expect(text).toMatch(/^h1\s+m1\s+maintenance from 2026-12-06 11:12Z\s+\*\s+\*\s+2026-12-06 12:12Z/m);
    expect(text).not.toMatch(/\bs0\b/);
  });

  it('names a host it cannot read, one with nothing, and what keeps messages from going out', () => {
    const text = alertsText(
      fleet(
        {
          host: 'h1',
          view: view({
            delivery: {
              pending: 3,
              failures: [],
              blocked: 'Telegram refuses the bot token (401).',
              lastSentAt: null,
            },
          }),
          error: null,
        },
        {
          host: 'h2',
          view: view({
            config: null,
            telegramToken: false,
            problems: ['The backup records cannot be read.'],
          }),
          error: null,
        },
        { host: 'far', view: null, error: { code: 'ssh.timeout', message: 'No answer from far.' } },
      ),
      T0,
    );
    expect(text).toMatch(/^h1\s+-\s+no alerts$/m);
    expect(text).toMatch(/^far\s+-\s+-\s+-\s+-\s+-\s+cannot read: No answer from far\.$/m);
    expect(text).toContain('h1: messages are held: Telegram refuses the bot token (401).');
    expect(text).toContain(
      'h2: no Telegram chat configured, nothing is sent (truffles alerts configure h2 --telegram-chat ID)',
    );
    expect(text).toContain('h2: The backup records cannot be read.');
    expect(alertsText(fleet(), T0)).toMatch(/^No hosts yet/);
  });

  it('exits 1 when anything fires (acknowledged or silenced too) or a host cannot be read; pending is quiet', () => {
    expect(alertsQuiet(fleet({ host: 'h1', view: v, error: null }))).toBe(false);
    expect(
      alertsQuiet(
        fleet({
          host: 'h1',
          view: view({ active: [record({ phase: 'pending', firingSince: null })] }),
          error: null,
        }),
      ),
    ).toBe(true);
    expect(
      alertsQuiet(
        fleet({ host: 'h1', view: view({ active: [record({ ack: { by: 'x', at: T0 } })] }), error: null }),
      ),
    ).toBe(false);
    expect(alertsQuiet(fleet({ host: 'far', view: null, error: { code: 'x', message: 'y' } }))).toBe(false);
  });

  it('history: each finished episode, how long it lasted and why it ended', () => {
    const text = historyText(
      fleet({
        host: 'h1',
        view: view({
          history: [
            {
              id: 5,
              key: 'disk@mount=/',
              ruleId: 'disk',
              kind: 'disk',
              subject: { mount: '/' },
              severity: 'warning',
              firedAt: T0,
              resolvedAt: T0 + 3 * 3600_000 + 5 * 60_000,
              reason: 'cleared',
              peak: 91,
              notified: true,
              ack: { by: 'ops@laptop', at: T0 },
            },
          ],
        }),
        error: null,
      }),
    );
    expect(text).toMatch(
      /^h1\s+5\s+warning\s+disk\s+mount=\/\s+2026-12-06 10:00Z\s+3h 5m\s+cleared\s+ops@laptop$/m,
    );
    expect(historyText(fleet({ host: 'h1', view: view(), error: null }))).toBe('No finished alerts.');
  });

  it('the state words follow the agent’s holds (globs: * any run, the rest literal)', () => {
    expect(globMatch('backup-*', 'backup-stale')).toBe(true);
    expect(globMatch('tenant=a.me', 'tenant=acme')).toBe(false);
    expect(globMatch('*', '')).toBe(true);
    const r = record();
    expect(
      alertState(r, { silences: [], maintenance: [{ id: 'm', start: T0 - 1, end: T0 + 1, by: 'x' }] }, T0),
    ).toBe('silenced');
    expect(
      alertState(r, { silences: [], maintenance: [{ id: 'm', start: T0 + 1, end: T0 + 9, by: 'x' }] }, T0),
    ).toBe('firing');
    expect(span(59_000)).toBe('59s');
    expect(span(50 * 3600_000)).toBe('2d 2h');
  });
});

describe('truffles alerts: parsing the flags', () => {
  it('durations, alert numbers, chats and times', () => {
    expect(parseDuration('90m', '--for')).toBe(90);
    expect(parseDuration('2h', '--for')).toBe(120);
    expect(parseDuration('1d', '--for')).toBe(1440);
    expect(parseDuration('1h30m', '--for')).toBe(90);
    expect(parseDuration('45', '--for')).toBe(45);
    for (const bad of ['', '0', '2x', '31d', 'h', '-5m', '1.5h'])
      expect(() => parseDuration(bad, '--for'), bad).toThrow(/--for .*1 minute to 30 days/);
    expect(alertRef('42')).toBe(42);
    expect(alertRef('#a42')).toBe(42);
    expect(alertRef('a7')).toBe(7);
    expect(alertRef('disk@mount=/')).toBe('disk@mount=/');
    expect(chatOf('-1001234567890:42')).toEqual({ chatId: '-1001234567890', threadId: 42 });
    expect(chatOf('@ops_alerts')).toEqual({ chatId: '@ops_alerts' });
    expect(() => chatOf('ops room')).toThrow(/--telegram-chat ops room: a chat is/);
    expect(parseTime('2026-12-06T22:00:00+05:00', '--from')).toBe(Date.parse('2026-12-06T17:00:00Z'));
    expect(() => parseTime('tomorrow', '--from')).toThrow(/--from tomorrow: not a time/);
  });

  it('configure: chats, the token from a file (trimmed), quiet hours in the host’s zone, or off', async () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'token');
      writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
      let asked = 0;
      const zone = async () => {
        asked += 1;
        return 'Asia/Almaty';
      };
      expect(
        await configureInput(
          'h1',
          {
            telegramChat: ['-1001234567890:42', '@ops_alerts'],
            tokenFile: file,
            quiet: '22:00-8:00',
            language: 'ru',
          },
          io,
          zone,
        ),
      ).toEqual({
        host: 'h1',
        telegram: [{ chatId: '-1001234567890', threadId: 42 }, { chatId: '@ops_alerts' }],
        token: TOKEN,
        language: 'ru',
        quietHours: { from: '22:00', to: '08:00', timeZone: 'Asia/Almaty' },
      });
      expect(asked).toBe(1);
      expect(
        await configureInput('h1', { quiet: '23:00-07:00', timeZone: 'Europe/Moscow' }, io, zone),
      ).toEqual({
        host: 'h1',
        timeZone: 'Europe/Moscow',
        quietHours: { from: '23:00', to: '07:00', timeZone: 'Europe/Moscow' },
      });
      expect(asked).toBe(1);
      expect(
        await configureInput('h1', { quiet: 'off', token: false, telegramChat: ['none'] }, io, zone),
      ).toEqual({
        host: 'h1',
        telegram: [],
        token: null,
        quietHours: null,
      });
      expect(await configureInput('h1', { tokenStdin: true }, io, zone, async () => ` ${TOKEN}\n`)).toEqual({
        host: 'h1',
        token: TOKEN,
      });
      // Only `--no-token` removes it: commander's default for the negatable flag (true) keeps it.
      expect(await configureInput('h1', { token: true }, io, zone)).toEqual({ host: 'h1' });
      // A relay for a site without direct internet, and the digest threshold.
      expect(
        await configureInput('h1', { telegramApi: 'http://relay.local:8081', digestAfter: '20' }, io, zone),
      ).toEqual({ host: 'h1', telegramApi: 'http://relay.local:8081', digestAfter: 20 });
      await expect(configureInput('h1', { digestAfter: 'many' }, io, zone)).rejects.toThrow(
        /--digest-after many: give a whole number/,
      );
      await expect(configureInput('h1', { quiet: '10pm-6am' }, io, zone)).rejects.toThrow(
        /--quiet 10pm-6am: give the hours as FROM-TO/,
      );
      const missing = await configureInput('h1', { tokenFile: join(t.dir, 'nope') }, io, zone).catch(
        (e: Error) => e,
      );
      expect((missing as Error).message).toMatch(/--token-file: cannot read .*nope \(ENOENT\)/);
    } finally {
      t.cleanup();
    }
  });

  it('configure’s summary names chats, the token only as set or not, and quiet hours', () => {
    const text = configText(
      'h1',
      view({
        config: {
          host: 'h1',
          telegram: [{ chatId: '-100123', threadId: 4, language: 'en' }],
          language: 'ru',
          timeZone: 'Asia/Almaty',
          quietHours: { from: '22:00', to: '08:00', timeZone: 'Asia/Almaty' },
        },
      }),
    );
    expect(text).toContain('telegram     -100123 (topic 4) [en]');
    expect(text).toContain('bot token    set');
    expect(text).toContain('language     ru, times in Asia/Almaty');
    expect(text).toContain('quiet hours  22:00-08:00 (Asia/Almaty), warnings held');
  });
});

describe('truffles alerts through the door', () => {
  let t: ReturnType<typeof tempDir>;
  const saved = { home: process.env.TRUFFLES_HOME, pass: process.env.TRUFFLES_PASSPHRASE };
  beforeEach(() => {
    t = tempDir();
    process.env.TRUFFLES_HOME = join(t.dir, 'home');
    process.env.TRUFFLES_PASSPHRASE = 'alerts cli passphrase';
  });
  afterEach(() => {
    process.env.TRUFFLES_HOME = saved.home;
    process.env.TRUFFLES_PASSPHRASE = saved.pass;
    if (saved.home === undefined) delete process.env.TRUFFLES_HOME;
    if (saved.pass === undefined) delete process.env.TRUFFLES_PASSPHRASE;
    t.cleanup();
  });

  async function truffles(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runCli(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
    return { code, out, err };
  }

  it('usage mistakes exit 2 before anything is asked of a host', async () => {
    const a = await truffles('alerts', 'silence', 'h1', '--for', '2x');
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/^error: --for 2x: give a duration/);
    const b = await truffles('alerts', 'maintenance', 'h1', '--reason', 'x');
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/needs its end: --to TIME or --for DURATION/);
    const c = await truffles('alerts', 'configure', 'h1', '--token-file', '/x', '--no-token');
    expect(c.code).toBe(2);
    const d = await truffles('alerts', 'ack', 'bad host!', '1');
    expect(d.code).toBe(2);
  });

  it('an unknown host is refused by the core; the token reaches neither the error nor the audit', async () => {
    const file = join(t.dir, 'token');
    writeFileSync(file, TOKEN);
    const r = await truffles('alerts', 'configure', 'ghost', '--token-file', file, '--json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ghost/);
    expect(r.out + r.err).not.toContain(TOKEN.split(':')[1]);
    const audit = readFileSync(join(t.dir, 'home', 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(/"action":"command.start".*"command":"alerts.configure"/);
    expect(audit).toMatch(/"action":"command.failed"/);
    expect(audit).not.toContain(TOKEN.split(':')[1]);
    const list = await truffles('alerts', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toMatchObject({ hosts: [] });
  });
});
