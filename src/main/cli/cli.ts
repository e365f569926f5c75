import { readFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import {
  type AuditEntry,
  AddressSchema,
  AuthInputSchema,
  DomainSchema,
  FingerprintSchema,
  HostNameSchema,
  JumpChainSchema,
  LabelsSchema,
  PortSchema,
  RegistryMirrorSchema,
  HostRoleSchema,
  UserSchema,
  type AuthInput,
} from '../../shared/contract';
import { Core } from '../core/core';
import { CoreError, toErrorInfo } from '../core/errors';
import { trufflesHome } from '../core/paths';
import { PassphraseProvider } from '../core/secrets/provider';
import { VERSION } from '../core/version';
import { checkText, factsLines, hostsTable, importTable, table } from './format';
import { parseArg, UsageError } from './args';
import { ask, interactive, terminalPassphrase } from './prompt';
import { verb } from './context';
import { registerAlertsCommands } from './alerts';
import { registerBackupCommands } from './backups';
import { registerEdgeCommands } from './edge';
import { registerHealthCommands, registerLogsCommand } from './health';
import { registerKbCommands } from './kb';
import { registerCostCommands } from './cost';
import { registerAuditCommands } from './audit';
import { registerAccessCommands } from './access';
import { registerInboxCommands } from './inbox';
import { registerPrivacyCommands } from './privacy';
import { registerFleetCommands, registerTenantCommands } from './tenants';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/**
 * Ask on the terminal whether to trust a host key (after the fingerprint was printed); with no
 * terminal, say how to confirm it with a flag instead. Resolves to the confirmed fingerprint.
 */
async function confirmOnTerminal(
  io: CliIo,
  fingerprint: string,
  what: string,
  nothingWas: 'added' | 'changed',
): Promise<string> {
  if (!interactive())
    throw new UsageError(
      'usage.confirm',
      `${what} ${fingerprint} must be confirmed, and there is no terminal to ask on.`,
      `After verifying it on the host, add --accept-fingerprint ${fingerprint}`,
    );
  io.err('Compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the host.');
  const answer = (await ask('Trust this key and pin it? Type "yes" to confirm: ')).trim().toLowerCase();
  if (answer !== 'yes')
    throw new CoreError(
      'hostkey.declined',
      `Host key not confirmed; nothing was ${nothingWas}.`,
      'Run the command again when you have verified the fingerprint.',
    );
  return fingerprint;
}

function makeCore(): Core {
  return new Core({
    home: trufflesHome(),
    secrets: new PassphraseProvider(terminalPassphrase('Passphrase for stored secrets: ')),
    mode: 'cli',
  });
}

/**
 * Run the `truffles` command line. Returns the exit code: 0 success, 1 failure, 2 usage error.
 * On failure the first line on stderr says what went wrong, the second what to do.
 */
export async function runCli(argv: string[], io: CliIo = stdio): Promise<number> {
  let core: Core | null = null;
  const getCore = (): Core => (core ??= makeCore());
  let exitCode = 0;
  const json = argv.includes('--json');
  const print = (human: string, data: unknown): void => io.out(json ? JSON.stringify(data, null, 2) : human);

  const program = new Command('truffles')
    .description('Truffles Console: operate Truffles hosts and tenant stacks over SSH.')
    .version(VERSION)
    .option('--json', 'machine-readable output')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showSuggestionAfterError(true);

  const host = program.command('host').description('hosts the console manages');

  host
    .command('add <name>')
    .description('connect to a host, confirm its key fingerprint, pin it and add the host')
    .requiredOption('--address <address>', 'DNS name or IP address')
    .option('--port <port>', 'SSH port', '22')
    .option('--user <user>', 'SSH user', process.env.USER ?? 'root')
    .addOption(
      new Option('--key <file>', 'private key file (read at each connection)').conflicts([
        'agent',
        'storeKey',
      ]),
    )
    .addOption(
      new Option('--store-key <file>', 'copy this private key into the console, encrypted').conflicts([
        'agent',
      ]),
    )
    .option('--agent', 'authenticate with ssh-agent (SSH_AUTH_SOCK)')
    .option('--passphrase-env <var>', 'environment variable holding the private key passphrase')
    .option(
      '--accept-fingerprint <fp>',
      'pin the host key only if its fingerprint is exactly this (SHA256:...)',
    )
    .option(
      '--jump <names>',
      'reach it through these inventory hosts (ProxyJump; comma-separated, first hop first)',
    )
    .option('--label <k=v>', 'a label, e.g. region=almaty (repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('--base-domain <domain>', 'tenants on this host get <slug>.<domain>')
    .option('--registry-mirror <registry>', 'private registry for images (air-gapped sites)')
    .option(
      '--role <role>',
      'operator, or support: the support account (user truffles-support), read-only through the host agent',
      'operator',
    )
    .option('--json', 'machine-readable output')
    .action(async (nameArg: string, o: Record<string, string | boolean | string[] | undefined>) => {
      const name = parseArg(HostNameSchema, nameArg, 'NAME');
      const address = parseArg(AddressSchema, o.address, '--address');
      const port = parseArg(PortSchema, o.port, '--port');
      const user = parseArg(UserSchema, o.user, '--user');
      const accept =
        o.acceptFingerprint !== undefined
          ? parseArg(FingerprintSchema, o.acceptFingerprint, '--accept-fingerprint')
          : undefined;
      const jump = parseArg(
        JumpChainSchema,
        typeof o.jump === 'string'
          ? o.jump
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean)
          : [],
        '--jump',
      );
      const labels: Record<string, string> = {};
      for (const kv of Array.isArray(o.label) ? o.label : []) {
        const i = kv.indexOf('=');
        if (i <= 0)
          throw new UsageError(
            'usage.invalid',
            `--label: "${kv}" is not key=value.`,
            'Write labels as --label region=almaty.',
          );
        labels[kv.slice(0, i)] = kv.slice(i + 1);
      }
      const checkedLabels = parseArg(LabelsSchema, labels, '--label');
      const baseDomain =
        typeof o.baseDomain === 'string' ? parseArg(DomainSchema, o.baseDomain, '--base-domain') : null;
      const registryMirror =
        typeof o.registryMirror === 'string'
          ? parseArg(RegistryMirrorSchema, o.registryMirror, '--registry-mirror')
          : null;
      const role = parseArg(HostRoleSchema, o.role, '--role');
      let passphrase: string | undefined;
      if (typeof o.passphraseEnv === 'string') {
        passphrase = process.env[o.passphraseEnv];
        if (passphrase === undefined)
          throw new UsageError(
            'usage.invalid',
            `--passphrase-env: the variable ${o.passphraseEnv} is not set.`,
            'Export it first, or leave the option out.',
          );
      }
      let auth: AuthInput;
      if (o.agent) auth = { kind: 'agent' };
      else if (typeof o.storeKey === 'string') {
        let text: string;
        try {
          text = await readFile(o.storeKey, 'utf8');
        } catch (err) {
          throw new UsageError(
            'usage.invalid',
            `--store-key: cannot read ${o.storeKey} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
            'Give the path of a private key file.',
          );
        }
        auth = { kind: 'storedKey', privateKey: text, ...(passphrase ? { passphrase } : {}) };
      } else if (typeof o.key === 'string')
        auth = { kind: 'keyFile', path: o.key, ...(passphrase ? { passphrase } : {}) };
      else
        throw new UsageError(
          'usage.auth',
          'No authentication given.',
          'Add one of --key FILE, --store-key FILE or --agent.',
        );

      // The key file path, the pasted key and its passphrase have limits too (the contract's).
      const authCheck = AuthInputSchema.safeParse(auth);
      if (!authCheck.success) {
        const issue = authCheck.error.issues[0];
        const flag =
          issue?.path[0] === 'passphrase'
            ? '--passphrase-env'
            : auth.kind === 'storedKey'
              ? '--store-key'
              : '--key';
        throw new UsageError(
          'usage.invalid',
          `${flag}: ${issue?.message ?? 'invalid value'}`,
          'Run with --help to see the expected form.',
        );
      }

      const c = getCore();
      const probe = await c.call('hosts.probe', { address, port, jump });
      io.err(
        `Host key of ${address}:${port}${jump.length ? ` (via ${jump.join(' → ')})` : ''}: ${probe.algorithm} ${probe.fingerprint}`,
      );
      if (probe.known === 'changed') {
        throw new CoreError(
          'hostkey.changed',
          `HOST KEY CHANGED for ${address}:${port}: pinned ${probe.pinnedFingerprint}, offered ${probe.fingerprint}.`,
          'Verify the new key with the host administrator; if expected, forget the hosts at this address and add again.',
          { pinned: probe.pinnedFingerprint, offered: probe.fingerprint },
        );
      }
      let confirmed: string;
      if (accept !== undefined) {
        if (accept !== probe.fingerprint) {
          throw new CoreError(
            'hostkey.mismatch',
            `The host offered ${probe.fingerprint}, not the fingerprint you gave (${accept}); nothing was pinned.`,
            'Compare with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the host.',
            { confirmed: accept, offered: probe.fingerprint },
          );
        }
        confirmed = accept;
      } else if (probe.known === 'match') {
        confirmed = probe.fingerprint;
      } else {
        confirmed = await confirmOnTerminal(io, probe.fingerprint, 'The host key', 'added');
      }
      const view = await c.call('hosts.add', {
        name,
        address,
        port,
        user,
        auth,
        acceptFingerprint: confirmed,
        jump,
        labels: checkedLabels,
        baseDomain,
        registryMirror,
        role,
      });
      const check = await c.call('hosts.check', { name });
      print(
        `Added ${name}; pinned ${view.keyAlgorithm ?? ''} ${view.fingerprint ?? ''}\n${checkText(check)}`,
        { host: view, check },
      );
    });

  verb(host, 'list', 'list hosts with their last known status').action(async () => {
    const hosts = await getCore().call('hosts.list', {});
    print(hostsTable(hosts), hosts);
  });

  verb(
    host,
    'check <name>',
    'connect (verifying the pinned key) and show facts: OS, CPU, memory, disk, Docker, Compose',
  ).action(async (nameArg: string) => {
    const name = parseArg(HostNameSchema, nameArg, 'NAME');
    const check = await getCore().call('hosts.check', { name });
    print(checkText(check), check);
    if (['error', 'unreachable', 'key-changed', 'key-unconfirmed'].includes(check.status)) {
      const first =
        check.error ??
        (check.problems[0] ? { message: check.problems[0].message, hint: check.problems[0].fix } : null);
      if (first) io.err(`error: ${first.message.split('\n').join(' ')}\nhint: ${first.hint ?? ''}`);
      exitCode = 1;
    }
  });

  verb(host, 'facts <name>', 'connect and print the host facts only (what check judges)').action(
    async (nameArg: string) => {
      const name = parseArg(HostNameSchema, nameArg, 'NAME');
      const check = await getCore().call('hosts.check', { name });
      if (!check.facts) {
        throw new CoreError(
          check.error?.code ?? 'host.facts',
          check.error?.message ?? `No facts from '${name}'.`,
          check.error?.hint ?? 'Run `truffles host check` for details.',
        );
      }
      print(factsLines(check.facts).join('\n'), check.facts);
    },
  );

  verb(
    host,
    'repin <name>',
    "pin a host's key after you verified it on the host: a changed key, or the first key of an imported host",
  )
    .option(
      '--accept-fingerprint <fp>',
      'the key fingerprint, as `ssh-keygen -lf` prints it on the host (asked for on a terminal when left out)',
    )
    .action(async (nameArg: string, o: { acceptFingerprint?: string }) => {
      const name = parseArg(HostNameSchema, nameArg, 'NAME');
      const c = getCore();
      let fp: string;
      if (o.acceptFingerprint !== undefined) {
        fp = parseArg(FingerprintSchema, o.acceptFingerprint, '--accept-fingerprint');
      } else {
        const h = await c.call('hosts.get', { name });
        const probe = await c.call('hosts.probe', { address: h.address, port: h.port, jump: h.jump });
        io.err(
          `${name} (${h.address}:${h.port}) offers ${probe.algorithm} ${probe.fingerprint}` +
            (probe.pinnedFingerprint ? `\n  pinned now: ${probe.pinnedFingerprint}` : '') +
            `\n  known_hosts: ${probe.knownHosts.status}${probe.knownHosts.source ? ` (${probe.knownHosts.source})` : ''}`,
        );
        if (probe.known === 'match') {
          print(`${name}: the pinned key is the one the host offers; nothing to do.`, { unchanged: true });
          return;
        }
        fp = await confirmOnTerminal(io, probe.fingerprint, 'The key', 'changed');
      }
      const view = await c.call('hosts.repin', { name, acceptFingerprint: fp });
      if (view.auditError)
        io.err(
          `warning: ${view.auditError.message}${view.auditError.hint ? `\nhint: ${view.auditError.hint}` : ''}`,
        );
      print(`Pinned ${name}: ${view.keyAlgorithm ?? ''} ${view.fingerprint ?? ''}`, view);
    });

  verb(
    host,
    'import-ssh-config',
    'add hosts from an OpenSSH client config (Host, HostName, User, Port, IdentityFile, ProxyJump, Include), pinning keys found in known_hosts; nothing is connected to',
  )
    .option('--config <file>', 'the config to read', '~/.ssh/config')
    .option(
      '--known-hosts <file>',
      'known_hosts to take keys from (default ~/.ssh/known_hosts and known_hosts2)',
    )
    .option('--only <aliases>', 'import only these aliases, comma separated (their jump hosts come along)')
    .option('--dry-run', 'show what would be imported and change nothing')
    .action(async (o: { config: string; knownHosts?: string; only?: string; dryRun?: boolean }) => {
      const c = getCore();
      const src = { configPath: o.config, ...(o.knownHosts ? { knownHostsPath: o.knownHosts } : {}) };
      const preview = await c.call('hosts.importPreview', src);
      const only = o.only
        ?.split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      const unknown = (only ?? []).filter((a) => !preview.candidates.some((x) => x.alias === a));
      if (unknown.length)
        throw new UsageError(
          'usage.invalid',
          `--only: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a Host in ${preview.configPath}.`,
          `Hosts there: ${preview.candidates.map((x) => x.alias).join(', ') || '(none)'}`,
        );
      const shown = only
        ? preview.candidates.filter((x) => only.includes(x.alias) || x.action === 'add')
        : preview.candidates;
      if (!json) {
        for (const w of preview.warnings) io.err(`warning: ${w}`);
        io.out(importTable(shown));
      }
      if (o.dryRun) {
        if (json) io.out(JSON.stringify(preview, null, 2));
        else io.out('Dry run: nothing was changed.');
        return;
      }
      const aliases = only ?? preview.candidates.filter((x) => x.action === 'add').map((x) => x.alias);
      if (aliases.length === 0) {
        print('Nothing to import.', { added: [], skipped: [] });
        return;
      }
      const r = await c.call('hosts.import', { ...src, aliases });
      const unconfirmed = r.added.filter((h) => h.fingerprint === null);
      const lines = [
        `Imported ${r.added.length} host${r.added.length === 1 ? '' : 's'}${r.added.length ? `: ${r.added.map((h) => h.name).join(', ')}` : ''}.`,
        ...r.skipped.map((x) => `  skipped ${x.alias}: ${x.reason}`),
        ...(unconfirmed.length
          ? [
              `${unconfirmed.length} host key${unconfirmed.length === 1 ? ' is' : 's are'} not confirmed yet; the console will not connect until you confirm:`,
              ...unconfirmed.map((h) => `  truffles host repin ${h.name}`),
            ]
          : []),
        'Check them with: truffles host check NAME',
      ];
      print(lines.join('\n'), r);
    });

  /** Who, as the host established it; what the console claimed when it differs; an unproven one marked. */
  const actorText = (e: AuditEntry): string =>
    `${e.actor}${e.proof === 'none' ? ' (account only)' : ''}${e.legacy ? ' (earlier, unproven)' : ''}${
      e.claimed && e.claimed !== e.actor ? ` [said ${e.claimed}]` : ''
    }`;

  verb(host, 'audit <name>', "show the host's audit trail (kept on the host), newest first")
    .option('--limit <n>', 'how many lines', '50')
    .action(async (nameArg: string, o: { limit: string }) => {
      const name = parseArg(HostNameSchema, nameArg, 'NAME');
      const limit = parseArg(
        PortSchema.pipe(z.number().max(1000, '--limit is at most 1000.')),
        o.limit,
        '--limit',
      );
      const entries = await getCore().call('hosts.audit', { name, limit });
      print(
        entries.length
          ? table([
              ['#', 'TIME', 'ACTOR', 'ACTION', 'SUBJECT', 'DETAILS'],
              ...entries.map((e) => [
                e.seq !== undefined ? String(e.seq) : '-',
                e.at,
                actorText(e),
                e.action,
                e.subject,
                JSON.stringify(e.details),
              ]),
            ])
          : `No audit lines on ${name} yet.`,
        entries,
      );
    });

  verb(
    host,
    'forget <name>',
    'remove a host, its stored secrets and (when no other host uses it) its pinned key',
  ).action(async (nameArg: string) => {
    const name = parseArg(HostNameSchema, nameArg, 'NAME');
    const r = await getCore().call('hosts.forget', { name });
    print(`Forgot ${name}.`, r);
  });

  const ctx = { getCore, print, io, json, setExitCode: (c: number) => (exitCode = c) };
  registerTenantCommands(program, ctx);
  registerBackupCommands(program, ctx);
  registerFleetCommands(program, ctx);
  registerKbCommands(program, ctx);
  registerCostCommands(program, ctx);
  registerAuditCommands(program, ctx);
  registerAccessCommands(program, ctx);
  registerInboxCommands(program, ctx);
  registerPrivacyCommands(program, ctx);
  registerEdgeCommands(program, ctx);
  registerHealthCommands(program, ctx);
  registerLogsCommand(program, ctx);
  registerAlertsCommands(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return 0;
      return 2;
    }
    const info = toErrorInfo(err);
    // First line: what went wrong (one line); then the details and what to do.
    const [first, ...rest] = info.message.split('\n');
    io.err(`error: ${first}`);
    if (rest.length) io.err(rest.join('\n'));
    if (info.hint) io.err(`hint: ${info.hint}`);
    if (json) io.out(JSON.stringify({ ok: false, error: info }, null, 2));
    // A contract refusal of the input is a usage error too: the command was called wrongly.
    return err instanceof UsageError || info.code.startsWith('contract.') ? 2 : 1;
  } finally {
    await (core as Core | null)?.close();
  }
}
