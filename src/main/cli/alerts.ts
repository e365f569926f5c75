import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import type { AlertRecord, AlertsView, TelegramDestination } from '../../shared/agent/alerts';
import { alertState } from '../../shared/alerts-view';
import { HostNameSchema, type CommandInput, type FleetAlerts } from '../../shared/contract';
import { collect, hostOption, parseArg, UsageError } from './args';
import { verb, type CliContext } from './context';
import { table } from './format';

/**
 * `truffles alerts [--host H]` and its verbs: ack, silence, maintenance, unhold, configure, test.
 * Each goes through the one door (validated, audited); the agent of each host does the rest.
 */
export function registerAlertsCommands(program: Command, ctx: CliContext): void {
  const { getCore, print } = ctx;
  const alerts = verb(
    program,
    'alerts',
    "every host's alerts: firing, pending, acknowledged, silenced (exit 1 when anything fires)",
  )
    .option('--host <name>', 'only this host')
    .option('--history', 'also the finished episodes (the last 20 of each host)')
    .action(async (o: { host?: string; history?: boolean }) => {
      const host = hostOption(o.host);
      const fleet = await getCore().call('alerts.list', {
        ...(host ? { host } : {}),
        ...(o.history ? { limit: 20 } : {}),
      });
      const now = Date.now();
      print([alertsText(fleet, now), ...(o.history ? ['', historyText(fleet)] : [])].join('\n'), fleet);
      if (!alertsQuiet(fleet)) ctx.setExitCode(1);
    });

  verb(
    alerts,
    'ack <host> <id>',
    'acknowledge an alert (its number: 42 or #a42, or its key): no more repeats; recorded with who',
  )
    .option('--note <text>', 'what is being done about it')
    .action(async (hostArg: string, idArg: string, o: { note?: string }) => {
      const host = parseArg(HostNameSchema, hostArg, 'HOST');
      const rec = await getCore().call('alerts.ack', {
        host,
        ref: alertRef(idArg),
        ...(o.note !== undefined ? { note: o.note } : {}),
      });
      print(
        `Acknowledged #a${rec.id} on ${host}: ${rec.ruleId} ${subjectText(rec)} (by ${rec.ack?.by ?? '?'})`,
        rec,
      );
    });

  verb(alerts, 'silence <host>', 'send nothing for the matching alerts for a time (they still fire and show)')
    .option('--rule <glob>', 'the rules (their ids; * is any run of characters)', '*')
    .option('--subject <glob>', 'the subjects, e.g. "tenant=acme*" or "mount=/"', '*')
    .requiredOption('--for <duration>', 'how long: 30m, 2h, 1d, 1h30m (at most 30 days)')
    .option('--reason <text>', 'why')
    .action(async (hostArg: string, o: { rule: string; subject: string; for: string; reason?: string }) => {
      const host = parseArg(HostNameSchema, hostArg, 'HOST');
      const s = await getCore().call('alerts.silence', {
        host,
        rule: o.rule,
        subject: o.subject,
        minutes: parseDuration(o.for, '--for'),
        ...(o.reason !== undefined ? { reason: o.reason } : {}),
      });
      print(
        `Silenced ${s.rule} @ ${s.subject} on ${host} until ${stamp(s.until)} (id ${s.id}; end it early: truffles alerts unhold ${host} ${s.id})`,
        s,
      );
    });

  verb(alerts, 'maintenance <host>', 'a maintenance window: like a silence, from a start to an end')
    .option('--from <time>', 'when it starts (ISO 8601; local time when no offset is given)', 'now')
    .addOption(new Option('--to <time>', 'when it ends').conflicts('for'))
    .option('--for <duration>', 'or how long from its start: 30m, 2h, 1d')
    .option('--rule <glob>', 'only these rules (default: all)')
    .option('--subject <glob>', 'only these subjects (default: all)')
    .option('--reason <text>', 'why, e.g. "fleet update"')
    .action(
      async (
        hostArg: string,
        o: { from: string; to?: string; for?: string; rule?: string; subject?: string; reason?: string },
      ) => {
        const host = parseArg(HostNameSchema, hostArg, 'HOST');
        const start = o.from === 'now' ? Date.now() : parseTime(o.from, '--from');
        let end: number;
        if (o.to !== undefined) end = parseTime(o.to, '--to');
        else if (o.for !== undefined) end = start + parseDuration(o.for, '--for') * 60_000;
        else
          throw new UsageError(
            'usage.invalid',
            'A maintenance window needs its end: --to TIME or --for DURATION.',
            `Example: truffles alerts maintenance ${host} --for 2h --reason "fleet update"`,
          );
        const w = await getCore().call('alerts.maintenance', {
          host,
          start: new Date(start).toISOString(),
          end: new Date(end).toISOString(),
          ...(o.rule !== undefined ? { rule: o.rule } : {}),
          ...(o.subject !== undefined ? { subject: o.subject } : {}),
          ...(o.reason !== undefined ? { reason: o.reason } : {}),
        });
        print(
          `Maintenance on ${host} from ${stamp(w.start)} to ${stamp(w.end)} (id ${w.id}; end it early: truffles alerts unhold ${host} ${w.id})`,
          w,
        );
      },
    );

  verb(alerts, 'unhold <host> <id>', 'end a silence or a maintenance window early').action(
    async (hostArg: string, id: string) => {
      const host = parseArg(HostNameSchema, hostArg, 'HOST');
      const r = await getCore().call('alerts.unhold', { host, id });
      print(
        r.removed
          ? `Ended ${id} on ${host}.`
          : `No silence or maintenance window ${id} on ${host} (\`truffles alerts --host ${host}\` lists them).`,
        r,
      );
      if (!r.removed) ctx.setExitCode(1);
    },
  );

  verb(
    alerts,
    'configure <host>',
    "a host's alert settings: Telegram chats and bot token, language, time zone, quiet hours",
  )
    .option(
      '--telegram-chat <id[:thread]>',
      'a chat to send to (its id, -100… for a group, or @channel; :N a forum topic), repeatable; "none" sends nowhere',
      collect,
    )
    .addOption(
      new Option('--token-file <file>', 'the bot token (from @BotFather), read from this file').conflicts([
        'tokenStdin',
        'token',
      ]),
    )
    .addOption(new Option('--token-stdin', 'the bot token, read from standard input').conflicts(['token']))
    .option('--no-token', 'remove the bot token (here and on the host)')
    .addOption(new Option('--language <lang>', 'the messages’ language').choices(['en', 'ru']))
    .option('--time-zone <zone>', 'the time zone messages show times in (IANA, e.g. Asia/Almaty)')
    .option('--quiet <from-to>', 'hold non-critical alerts in these hours, e.g. 22:00-08:00; "off" ends them')
    .option(
      '--telegram-api <url>',
      'the Bot API address, or a relay for a site that reaches the internet only through one (default https://api.telegram.org)',
    )
    .option(
      '--digest-after <n>',
      'more messages than this from the host in a minute go as one digest (default 5)',
    )
    .action(async (hostArg: string, o: ConfigureFlags) => {
      const host = parseArg(HostNameSchema, hostArg, 'HOST');
      const core = getCore();
      const input = await configureInput(host, o, ctx.io, async () => {
        // Quiet hours need a time zone: the one given, else the host's, else UTC.
        const fleet = await core.call('alerts.list', { host, limit: 1 });
        const row = fleet.hosts[0];
        if (row?.error) throw new UsageError(row.error.code, row.error.message, row.error.hint);
        return row?.view?.config?.timeZone ?? 'UTC';
      });
      const view = await core.call('alerts.configure', input);
      print(configText(host, view), view);
    });

  verb(alerts, 'test <host>', 'send a test message through the host’s configured chats').action(
    async (hostArg: string) => {
      const host = parseArg(HostNameSchema, hostArg, 'HOST');
      const r = await getCore().call('alerts.test', { host });
      print(
        r.queued
          ? `Queued ${r.queued} test message${r.queued === 1 ? '' : 's'} on ${host}; the agent sends ${r.queued === 1 ? 'it' : 'them'} now.`
          : `Nothing to send to: ${host} has no Telegram chat configured (truffles alerts configure ${host} --telegram-chat ID --token-file FILE).`,
        r,
      );
      if (!r.queued) ctx.setExitCode(1);
    },
  );
}

export interface ConfigureFlags {
  telegramChat?: string[];
  tokenFile?: string;
  tokenStdin?: boolean;
  /** false with --no-token. */
  token?: boolean;
  language?: 'en' | 'ru';
  timeZone?: string;
  quiet?: string;
  telegramApi?: string;
  digestAfter?: string;
}

/** The `alerts.configure` input the flags ask for (the token read from its file or stdin). */
export async function configureInput(
  host: string,
  o: ConfigureFlags,
  io: CliContext['io'],
  hostTimeZone: () => Promise<string>,
  stdin: () => Promise<string> = readStdin,
): Promise<CommandInput<'alerts.configure'>> {
  const input: CommandInput<'alerts.configure'> = { host };
  if (o.telegramChat) input.telegram = o.telegramChat.flatMap((c) => (c === 'none' ? [] : [chatOf(c)]));
  if (o.tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(o.tokenFile, 'utf8');
    } catch (err) {
      throw new UsageError(
        'usage.invalid',
        `--token-file: cannot read ${o.tokenFile} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
        'Give a file holding the bot token alone.',
      );
    }
    input.token = text.trim();
  } else if (o.tokenStdin) {
    if (process.stdin.isTTY) io.err('Bot token (from @BotFather), then Ctrl-D:');
    input.token = (await stdin()).trim();
  } else if (o.token === false) input.token = null;
  if (o.language) input.language = o.language;
  if (o.timeZone !== undefined) input.timeZone = o.timeZone;
  if (o.telegramApi !== undefined) input.telegramApi = o.telegramApi;
  if (o.digestAfter !== undefined) {
    const n = Number(o.digestAfter);
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      throw new UsageError(
        'usage.invalid',
        `--digest-after ${o.digestAfter}: give a whole number from 1 to 1000.`,
      );
    input.digestAfter = n;
  }
  if (o.quiet !== undefined) {
    if (['off', 'none'].includes(o.quiet)) input.quietHours = null;
    else {
      const m = /^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/.exec(o.quiet.trim());
      if (!m)
        throw new UsageError(
          'usage.invalid',
          `--quiet ${o.quiet}: give the hours as FROM-TO, e.g. 22:00-08:00, or "off".`,
          'Example: --quiet 22:00-08:00 --time-zone Asia/Almaty',
        );
      input.quietHours = {
        from: m[1]!.padStart(5, '0'),
        to: m[2]!.padStart(5, '0'),
        timeZone: o.timeZone ?? (await hostTimeZone()),
      };
    }
  }
  return input;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

/** `-1001234567890`, `-1001234567890:42` (a forum topic) or `@channel`. */
export function chatOf(text: string): TelegramDestination {
  const m = /^(.+?)(?::(\d+))?$/.exec(text.trim());
  const chatId = m?.[1] ?? '';
  if (!/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/.test(chatId))
    throw new UsageError(
      'usage.invalid',
      `--telegram-chat ${text}: a chat is its numeric id (-100… for a group) or @channelname, with :TOPIC for a forum topic.`,
      'Example: --telegram-chat -1001234567890:42',
    );
  return { chatId, ...(m?.[2] ? { threadId: Number(m[2]) } : {}) };
}

/** An alert's number (`42`, `#42`, `a42`, `#a42`) or its key (`disk@mount=/`). */
export function alertRef(text: string): number | string {
  const m = /^#?a?(\d+)$/i.exec(text.trim());
  if (m) {
    const n = Number(m[1]);
    if (Number.isSafeInteger(n) && n > 0) return n;
  }
  if (!text.trim())
    throw new UsageError(
      'usage.invalid',
      'ID: give the alert’s number or key.',
      'Example: truffles alerts ack h1 42',
    );
  return text.trim();
}

/** `90m`, `2h`, `1d`, `1h30m`, or plain minutes → whole minutes. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim().toLowerCase();
  const units: Record<string, number> = { m: 1, h: 60, d: 1440 };
  let minutes = 0;
  if (/^\d+$/.test(t)) minutes = Number(t);
  else if (/^(\d+[dhm])+$/.test(t))
    for (const [, n, u] of t.matchAll(/(\d+)([dhm])/g)) minutes += Number(n) * (units[u as string] ?? 0);
  else minutes = NaN;
  if (!Number.isSafeInteger(minutes) || minutes < 1 || minutes > 43_200)
    throw new UsageError(
      'usage.invalid',
      `${flag} ${text}: give a duration from 1 minute to 30 days, e.g. 30m, 2h, 1d or 1h30m.`,
      `Example: ${flag} 2h`,
    );
  return minutes;
}

/** A moment as people type it (ISO 8601; without an offset, this machine's local time). */
export function parseTime(text: string, flag: string): number {
  const ms = Date.parse(text.trim());
  if (!Number.isFinite(ms))
    throw new UsageError(
      'usage.invalid',
      `${flag} ${text}: not a time; give ISO 8601, e.g. 2026-12-06T22:00 or 2026-12-06T22:00+05:00.`,
      `Example: ${flag} 2026-12-06T22:00`,
    );
  return ms;
}

// ---------- output ----------

/** `2026-12-06 10:00Z`. */
export function stamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** `45s`, `12m`, `3h 5m`, `2d 4h`. */
export function span(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function subjectText(r: Pick<AlertRecord, 'subjectKey'>): string {
  return r.subjectKey || '(host)';
}

const STATE_ORDER = { firing: 0, silenced: 1, acknowledged: 2, pending: 3 } as const;

/** Every host's active alerts, worst first; then the holds, and what keeps messages from going out. */
export function alertsText(fleet: FleetAlerts, now: number): string {
  if (!fleet.hosts.length)
    return 'No hosts yet. Add one with: truffles host add NAME --address A --user U --key FILE';
  const rows: string[][] = [['HOST', 'ID', 'SEVERITY', 'RULE', 'SUBJECT', 'SINCE', 'STATE']];
  const holds: string[][] = [['HOST', 'HOLD', 'KIND', 'RULE', 'SUBJECT', 'UNTIL', 'BY', 'REASON']];
  const notes: string[] = [];
  for (const h of fleet.hosts) {
    if (!h.view) {
      rows.push([h.host, '-', '-', '-', '-', '-', `cannot read: ${h.error?.message ?? '?'}`]);
      continue;
    }
    const view = h.view;
    const active = view.active
      .map((r) => ({ r, state: alertState(r, view, now) }))
      .sort(
        (a, b) =>
          STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
          (a.r.severity === b.r.severity ? 0 : a.r.severity === 'critical' ? -1 : 1) ||
          since(a.r) - since(b.r),
      );
    if (!active.length) rows.push([h.host, '-', '', '', '', '', 'no alerts']);
    for (const { r, state } of active)
      rows.push([
        h.host,
        String(r.id),
        r.severity,
        r.ruleId,
        subjectText(r),
        `${stamp(since(r))} (${span(now - since(r))})`,
        state,
      ]);
    for (const s of view.silences)
      if (s.until > now)
        holds.push([h.host, s.id, 'silence', s.rule, s.subject, stamp(s.until), s.by, s.reason ?? '']);
    for (const w of view.maintenance)
      if (w.end > now)
        holds.push([
          h.host,
          w.id,
          w.start > now ? `maintenance from ${stamp(w.start)}` : 'maintenance',
          w.rule ?? '*',
          w.subject ?? '*',
          stamp(w.end),
          w.by,
          w.reason ?? '',
        ]);
    notes.push(...hostNotes(h.host, view));
  }
  const out = [table(rows)];
  if (holds.length > 1) out.push('', table(holds));
  if (notes.length) out.push('', ...notes);
  return out.join('\n');
}

function since(r: AlertRecord): number {
  return r.firingSince ?? r.pendingSince;
}

function hostNotes(host: string, view: AlertsView): string[] {
  const notes: string[] = [];
  if (!view.config?.telegram?.length)
    notes.push(
      `${host}: no Telegram chat configured, nothing is sent (truffles alerts configure ${host} --telegram-chat ID)`,
    );
  else if (view.delivery.blocked) notes.push(`${host}: messages are held: ${view.delivery.blocked}`);
  if (view.delivery.failures.length)
    notes.push(
      `${host}: ${view.delivery.failures.length} message${view.delivery.failures.length === 1 ? '' : 's'} Telegram refused; the last: ${view.delivery.failures[0]?.error ?? '?'}`,
    );
  for (const p of view.problems) notes.push(`${host}: ${p}`);
  return notes;
}

/** Finished episodes, newest first. */
export function historyText(fleet: FleetAlerts): string {
  const rows: string[][] = [['HOST', 'ID', 'SEVERITY', 'RULE', 'SUBJECT', 'FIRED', 'LASTED', 'ENDED', 'ACK']];
  for (const h of fleet.hosts)
    for (const e of h.view?.history ?? [])
      rows.push([
        h.host,
        String(e.id),
        e.severity,
        e.ruleId,
        e.key.slice(e.ruleId.length + 1) || '(host)',
        stamp(e.firedAt),
        span(e.resolvedAt - e.firedAt),
        e.reason,
        e.ack?.by ?? '',
      ]);
  return rows.length > 1 ? table(rows) : 'No finished alerts.';
}

/** Nothing fires and every host could be read. */
export function alertsQuiet(fleet: FleetAlerts): boolean {
  return fleet.hosts.every((h) => h.view !== null && h.view.active.every((r) => r.phase !== 'firing'));
}

/** A host's alert settings as `configure` left them. */
export function configText(host: string, view: AlertsView): string {
  const c = view.config;
  const chats = c?.telegram?.length
    ? c.telegram
        .map(
          (t) =>
            `${t.chatId}${t.threadId ? ` (topic ${t.threadId})` : ''}${t.language ? ` [${t.language}]` : ''}`,
        )
        .join(', ')
    : 'none: nothing is sent';
  const q = c?.quietHours;
  return [
    `Alerts on ${host}:`,
    `  telegram     ${chats}`,
    `  bot token    ${view.telegramToken ? 'set' : 'not set'}`,
    `  language     ${c?.language ?? 'en'}, times in ${c?.timeZone ?? 'UTC'}`,
    `  quiet hours  ${q ? `${q.from}-${q.to} (${q.timeZone}), warnings held` : 'none'}`,
    `  delivery     ${view.delivery.blocked ? `held: ${view.delivery.blocked}` : `${view.delivery.pending} waiting`}${view.delivery.lastSentAt ? `, last sent ${stamp(view.delivery.lastSentAt)}` : ''}`,
  ].join('\n');
}
