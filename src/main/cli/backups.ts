import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  AgeRecipientSchema,
  BackupIdSchema,
  commands,
  HostNameSchema,
  SlugSchema,
  type CommandOutput,
  type RestoreReport,
} from '../../shared/contract';
import type { Core } from '../core/core';
import { CoreError } from '../core/errors';
import { hostOption, parseArg, UsageError } from './args';
import { bytes, table } from './format';
import { ask, interactive } from './prompt';
import { tenantVerb, verb, type CliContext } from './context';

/** `truffles backup …`: the fleet's backup key, backups, restores, drills and the schedule. */
export function registerBackupCommands(program: Command, ctx: CliContext): void {
  const { getCore, print, io, json } = ctx;
  const backup = program
    .command('backup')
    .description('backups of tenants (encrypted on the hosts to the fleet key)');
  const key = backup.command('key').description("the fleet's backup key: hosts hold the public half only");
  verb(key, 'init', 'make the fleet backup key (or take another operator’s identity with --identity-file)')
    .option('--identity-file <file>', 'an age identity (AGE-SECRET-KEY-1…) to use instead of a new one')
    .option('--replace', 'replace an existing key (backups made for it can then not be read here)')
    .action(async (o: { identityFile?: string; replace?: boolean }) => {
      let identity: string | undefined;
      if (o.identityFile) {
        try {
          identity = (await readFile(o.identityFile, 'utf8'))
            .split('\n')
            .map((l) => l.trim())
            .find((l) => l.startsWith('AGE-SECRET-KEY-'));
        } catch (err) {
          throw new UsageError(
            'usage.invalid',
            `--identity-file: cannot read ${o.identityFile} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
            'Give the path of an age identity file.',
          );
        }
        if (!identity)
          throw new UsageError(
            'usage.invalid',
            `--identity-file: no AGE-SECRET-KEY-1… line in ${o.identityFile}.`,
            'Give an age identity file.',
          );
      }
      const info = await getCore().call('backups.keyInit', {
        ...(identity ? { identity } : {}),
        replace: o.replace === true,
      });
      print(`Backup key ready. Hosts encrypt to:\n${info.recipient}`, info);
    });
  verb(key, 'export-public', 'print the public key hosts encrypt backups to').action(async () => {
    const key = await getCore().call('backups.keyInfo', {});
    if (!key)
      throw new CoreError(
        'backup.no-key',
        'There is no backup key yet.',
        'Make one: truffles backup key init',
      );
    const recipient = key.recipient;
    print(recipient, { recipient });
  });
  verb(
    key,
    'export',
    'write the PRIVATE backup key to a file, for a recovery copy kept offline (age identity format)',
  )
    .requiredOption('--out <file>', 'the file to create (mode 0600; never overwritten)')
    .action(async (o: { out: string }) => {
      if (!o.out || o.out.length > 4096 || o.out.includes('\0'))
        throw new UsageError(
          'usage.invalid',
          '--out: give a file path.',
          'Example: --out ./truffles-backup-key.txt',
        );
      const r = await getCore().call('backups.keyExport', { out: o.out });
      io.err(
        'WARNING: the file holds the private backup key in clear. Whoever has it can read every backup of the fleet. ' +
          'Keep it offline (a USB stick in a safe, a password manager), never on a host, and never in a repository.',
      );
      print(`Wrote the backup key to ${r.file} (mode 0600). Its public key: ${r.recipient}`, {
        file: r.file,
        recipient: r.recipient,
        createdAt: r.createdAt,
      });
    });
  const keyStatusText = (s: CommandOutput<'backups.keyStatus'>): string =>
    [
      `${s.host}: ${!s.configured ? 'no backup agent yet' : s.matches ? "encrypts to this console's key" : "does NOT encrypt to this console's key"}`,
      ...s.recipients.map(
        (r) =>
          `  ${r.recipient}${r.ours ? '  (this console)' : ''}${r.label ? `  ${r.label}` : ''}${r.addedBy ? `  added ${r.addedAt.slice(0, 16)} by ${r.addedBy}` : ''}`,
      ),
    ].join('\n');
  verb(
    key,
    'status <host>',
    "the public keys a host's backups are encrypted to, and whether this console's is one",
  ).action(async (hostArg: string) => {
    const s = await getCore().call('backups.keyStatus', {
      host: parseArg(HostNameSchema, hostArg, 'HOST'),
    });
    print(keyStatusText(s), s);
    if (s.configured && !s.matches) ctx.setExitCode(1);
  });
  verb(
    key,
    'add-recipient <host>',
    "let one more key read the host's backups: this console's (default) or --recipient age1… (audited)",
  )
    .option('--recipient <age1…>', 'another public key, e.g. an offline recovery key')
    .option('--label <text>', 'who or what the key is (default: this console for its own key)')
    .action(async (hostArg: string, o: { recipient?: string; label?: string }) => {
      const input = parseArg(
        commands['backups.addRecipient'].input,
        {
          host: hostArg,
          ...(o.recipient !== undefined ? { recipient: o.recipient } : {}),
          ...(o.label !== undefined ? { label: o.label } : {}),
        },
        'options',
      );
      const s = await getCore().call('backups.addRecipient', input);
      print(keyStatusText(s), s);
    });
  verb(
    key,
    'remove-recipient <host>',
    "stop encrypting the host's backups to a key (never the last one; audited)",
  )
    .requiredOption('--recipient <age1…>', 'the public key to remove')
    .action(async (hostArg: string, o: { recipient: string }) => {
      const s = await getCore().call('backups.removeRecipient', {
        host: parseArg(HostNameSchema, hostArg, 'HOST'),
        recipient: parseArg(AgeRecipientSchema, o.recipient, '--recipient'),
      });
      print(keyStatusText(s), s);
    });
  verb(
    key,
    'rekey <host>',
    "replace every key the host's backups are encrypted to with this console's (audited)",
  )
    .requiredOption('--confirm <host>', "the host's name again")
    .action(async (hostArg: string, o: { confirm: string }) => {
      const s = await getCore().call('backups.rekey', {
        host: parseArg(HostNameSchema, hostArg, 'HOST'),
        confirm: o.confirm,
      });
      print(
        `${keyStatusText(s)}\nArchives made before stay encrypted to the old keys: keep those keys to read them.`,
        s,
      );
    });

  const logPrinter = (core: Core): (() => void) =>
    json
      ? () => undefined
      : core.onEvent((e) => {
          if (e.type === 'log' && e.source.startsWith('backup:')) io.err(`  ${e.message}`);
        });
  /** Run with the host's backup log lines printed as they come (on stderr), and stop printing after. */
  const withBackupLog = async <T>(f: (core: Core) => Promise<T>): Promise<T> => {
    const core = getCore();
    const off = logPrinter(core);
    try {
      return await f(core);
    } finally {
      off();
    }
  };
  /** Print a restore or drill report; a failed one exits 1. */
  const printReport = (r: RestoreReport): void => {
    print(reportText(r), r);
    if (!r.ok) ctx.setExitCode(1);
  };
  const reportText = (r: RestoreReport): string =>
    [
      `${r.kind === 'drill' ? 'Drill' : 'Restore'} of ${r.tenant} from ${r.backupId}: ${r.ok ? 'OK' : 'FAILED'} (${r.seconds.toFixed(1)} s)`,
      `  ${r.detail}`,
      ...(r.safetyBackupId ? [`  safety backup: ${r.safetyBackupId}`] : []),
      ...r.mismatches.map((m) => `  ✗ ${m.what}: expected ${m.expected}, found ${m.actual ?? 'nothing'}`),
    ].join('\n');

  verb(
    backup,
    'offsite-key-line <host>',
    "the authorized_keys line for the reserve server: the host's offsite key, restricted to the append-only receiver",
  )
    .option(
      '--receiver <path>',
      'where truffles-offsite-receive is on the reserve (default /usr/local/bin/…)',
    )
    .action(async (hostArg: string, o: { receiver?: string }) => {
      const input = parseArg(
        commands['backups.offsiteKeyLine'].input,
        { host: hostArg, ...(o.receiver !== undefined ? { receiver: o.receiver } : {}) },
        'options',
      );
      const r = await getCore().call('backups.offsiteKeyLine', input);
      print(
        [
          `# On the reserve server: install templates/backup/truffles-offsite-receive as ${r.receiver},`,
          `# create ${r.folder} (owned by the reserve user), and add this line to that user's ~/.ssh/authorized_keys:`,
          r.line,
        ].join('\n'),
        r,
      );
    });

  tenantVerb(
    backup,
    'create <slug>',
    "back a tenant up now (the host's agent does it; encrypted to the fleet key)",
  ).action(async (slugArg: string, o: { host?: string }) => {
    const slug = parseArg(SlugSchema, slugArg, 'SLUG');
    const b = await withBackupLog((core) => core.call('backups.create', { slug, host: hostOption(o.host) }));
    print(`Backup ${b.id} of ${slug} on ${b.host}: ${bytes(b.size)}`, b);
  });

  verb(backup, 'list <slug>', "a tenant's backups on its host, newest first, with runs and restores")
    .option('--host <name>', 'the host (needed for a deleted tenant’s final backups)')
    .action(async (slugArg: string, o: { host?: string }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      const l = await getCore().call('backups.list', { slug, host: hostOption(o.host) });
      const rows = l.backups.map((b) => [
        b.id,
        b.kind,
        bytes(b.size),
        `${Object.values(b.counts.tables).reduce((n, x) => n + x, 0)} rows, ${Object.values(b.counts.points).reduce((n, x) => n + x, 0)} points, ${b.counts.workflows} workflows`,
        b.offsite ? 'offsite' : '',
        b.provenAt ? `proven ${b.provenAt.slice(0, 16)}` : 'never restored',
      ]);
      const lastRun = l.runs[0];
      print(
        [
          rows.length ? table([['ID', 'KIND', 'SIZE', 'COUNTS', '', 'RESTORED'], ...rows]) : 'No backups.',
          ...(lastRun
            ? [
                `Last run ${lastRun.at}: ${lastRun.skipped ? (lastRun.error ?? 'skipped: tenant busy') : lastRun.ok ? 'ok' : `FAILED: ${lastRun.error ?? ''}`}${
                  lastRun.offsite
                    ? lastRun.offsite.ok
                      ? '; offsite ok'
                      : `; offsite FAILED: ${lastRun.offsite.error ?? ''}`
                    : ''
                }`,
              ]
            : []),
        ].join('\n'),
        l,
      );
    });

  verb(
    backup,
    'schedule <host>',
    'install the backup agent on a host and its daily run (systemd timer or cron)',
  )
    .option('--at <HH:MM>', 'host time of the daily run (default 03:00)')
    .option('--daily <n>', 'daily backups kept (default 7)')
    .option('--weekly <n>', 'weekly backups kept (default 4)')
    .option('--dir <path>', 'where archives go on the host (default <state>/backups)')
    .option('--offsite <user@host:/path>', 'also copy each archive to a reserve server over SSH')
    .option('--offsite-key <path>', "the host's SSH key for the reserve server (a path on the host)")
    .option('--offsite-port <port>', "the reserve server's SSH port", '22')
    .option('--offsite-keep <days>', 'days the reserve server keeps archives (its receiver prunes)', '14')
    .option(
      '--offsite-fingerprint <SHA256:…>',
      "the reserve server's host key fingerprint, as verified (asked for on a terminal otherwise)",
    )
    .option('--no-offsite', 'stop copying to a reserve server')
    .action(
      async (
        hostArg: string,
        o: {
          at?: string;
          daily?: string;
          weekly?: string;
          dir?: string;
          offsite?: string | false;
          offsiteKey?: string;
          offsitePort: string;
          offsiteKeep: string;
          offsiteFingerprint?: string;
          drillWeekday?: string;
        },
      ) => {
        let offsite: unknown;
        if (o.offsite === false) offsite = null;
        else if (typeof o.offsite === 'string') {
          const m = /^([^:]+):(\/.*)$/.exec(o.offsite);
          if (!m || !o.offsiteKey)
            throw new UsageError(
              'usage.invalid',
              '--offsite takes user@host:/path, and needs --offsite-key PATH (the key file on the host).',
              'Example: --offsite backup@reserve.example.kz:/srv/truffles --offsite-key /opt/truffles/agent/offsite_ed25519',
            );
          offsite = {
            target: m[1],
            path: m[2],
            port: Number(o.offsitePort),
            identityFile: o.offsiteKey,
            keep: Number(o.offsiteKeep),
            ...(o.offsiteFingerprint !== undefined ? { acceptFingerprint: o.offsiteFingerprint } : {}),
          };
        }
        const input = parseArg(
          commands['backups.schedule'].input,
          {
            host: hostArg,
            ...(o.at !== undefined ? { at: o.at } : {}),
            ...(o.daily !== undefined ? { daily: Number(o.daily) } : {}),
            ...(o.weekly !== undefined ? { weekly: Number(o.weekly) } : {}),
            ...(o.dir !== undefined ? { backupDir: o.dir } : {}),
            ...(offsite !== undefined ? { offsite } : {}),
            ...(o.drillWeekday !== undefined
              ? { drillWeekday: o.drillWeekday === 'none' ? null : Number(o.drillWeekday) }
              : {}),
          },
          'options',
        );
        let s;
        try {
          s = await getCore().call('backups.schedule', input);
        } catch (err) {
          // The reserve's host key, shown and confirmed like a host's on first connect.
          const fp = (err as CoreError).details as { fingerprint?: string } | undefined;
          if (
            !(err instanceof CoreError) ||
            err.code !== 'backup.offsite-fingerprint' ||
            o.offsiteFingerprint !== undefined ||
            !interactive() ||
            !fp?.fingerprint ||
            !input.offsite
          )
            throw err;
          io.err(err.message);
          const answer = (await ask('Trust this key for the offsite copies? Type "yes" to confirm: '))
            .trim()
            .toLowerCase();
          if (answer !== 'yes')
            throw new UsageError('usage.declined', 'Not trusted: nothing was changed.', err.hint);
          s = await getCore().call('backups.schedule', {
            ...input,
            offsite: { ...input.offsite, acceptFingerprint: fp.fingerprint },
          });
        }
        print(
          [
            `${s.host}: daily at ${s.at} (host time) via ${s.via}; agent ${s.agentVersion ?? '?'}`,
            `  archives in ${s.backupDir}; keep ${s.retention.daily} daily, ${s.retention.weekly} weekly`,
            ...(s.offsite
              ? [
                  `  offsite to ${s.offsite.target}, kept ${s.offsite.keep} days there; reserve key ${s.offsite.fingerprint ?? 'NOT pinned'}`,
                  `  on the reserve, authorize the host's key with: truffles backup offsite-key-line ${s.host}`,
                ]
              : []),
            ...(s.recipients ?? []).map(
              (r) => `  encrypted to ${r.recipient}${r.label ? ` (${r.label})` : ''}`,
            ),
            ...(s.missing.length ? [`  missing on the host: ${s.missing.join(', ')}`] : []),
          ].join('\n'),
          s,
        );
      },
    );

  tenantVerb(
    backup,
    'restore <slug>',
    'restore a tenant to a backup: verified first, safety backup, stop, restore, health, counts',
  )
    .requiredOption('--backup <id>', 'the backup (see backup list)')
    .requiredOption('--confirm <slug>', 'the slug again: its current data is replaced')
    .option('--no-safety-backup', 'skip the safety backup of the current state')
    .action(
      async (
        slugArg: string,
        o: { backup: string; confirm: string; safetyBackup: boolean; host?: string },
      ) => {
        const slug = parseArg(SlugSchema, slugArg, 'SLUG');
        const backupId = parseArg(BackupIdSchema, o.backup, '--backup');
        if (o.confirm !== slug)
          throw new UsageError(
            'usage.confirm',
            `--confirm must repeat the slug '${slug}' (got '${o.confirm}').`,
            `Add --confirm ${slug}`,
          );
        printReport(
          await withBackupLog((core) =>
            core.call('backups.restore', {
              slug,
              host: hostOption(o.host),
              backupId,
              confirm: o.confirm,
              skipSafetyBackup: !o.safetyBackup,
            }),
          ),
        );
      },
    );

  tenantVerb(backup, 'drill <slug>', 'restore a backup into a throw-away tenant, compare counts, remove it')
    .option('--backup <id>', 'the backup (default: the newest)')
    .option('--into <host>', 'drill on another host')
    .action(async (slugArg: string, o: { backup?: string; into?: string; host?: string }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      const backupId = o.backup === undefined ? undefined : parseArg(BackupIdSchema, o.backup, '--backup');
      const into = o.into === undefined ? undefined : parseArg(HostNameSchema, o.into, '--into');
      printReport(
        await withBackupLog((core) =>
          core.call('backups.drill', { slug, host: hostOption(o.host), backupId, into }),
        ),
      );
    });

  verb(
    backup,
    'drill-due',
    "run the weekly drills that are due (what an open console does hourly; for an operator's cron)",
  ).action(async () => {
    const reports = await withBackupLog((core) => core.call('backups.runDueDrills', {}));
    print(reports.length ? reports.map(reportText).join('\n') : 'No drill is due.', reports);
    if (reports.some((r) => !r.ok)) ctx.setExitCode(1);
  });
}
