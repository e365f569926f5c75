import { readFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import type { z } from 'zod';
import {
  AddressSchema,
  DomainSchema,
  FingerprintSchema,
  HostNameSchema,
  JumpChainSchema,
  LabelsSchema,
  PortSchema,
  RegistryMirrorSchema,
  UserSchema,
  type AuthInput,
} from '../../shared/contract';
import { Core } from '../core/core';
import { CoreError, toErrorInfo } from '../core/errors';
import { trufflesHome } from '../core/paths';
import { PassphraseProvider } from '../core/secrets/provider';
import { VERSION } from '../core/version';
import { checkText, factsLines, hostsTable } from './format';
import { ask, interactive, terminalPassphrase } from './prompt';

/** A mistake in how the command was called: exit code 2. */
class UsageError extends CoreError {}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

function parseArg<S extends z.ZodType>(schema: S, value: unknown, flag: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new UsageError(
      'usage.invalid',
      `${flag}: ${r.error.issues[0]?.message ?? 'invalid value'}`,
      `Run with --help to see the expected form.`,
    );
  return r.data;
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

      const c = getCore();
      const probe = await c.hosts.probe(address, port, jump);
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
      } else if (interactive()) {
        io.err('Compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the host.');
        const answer = (await ask('Trust this key and pin it? Type "yes" to confirm: ')).trim().toLowerCase();
        if (answer !== 'yes')
          throw new CoreError(
            'hostkey.declined',
            'Host key not confirmed; nothing was added.',
            'Run the command again when you have verified the fingerprint.',
          );
        confirmed = probe.fingerprint;
      } else {
        throw new UsageError(
          'usage.confirm',
          `The host key ${probe.fingerprint} must be confirmed, and there is no terminal to ask on.`,
          `After verifying it on the host, add --accept-fingerprint ${probe.fingerprint}`,
        );
      }
      const view = await c.hosts.add({
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
      });
      const check = await c.hosts.check(name);
      print(
        `Added ${name}; pinned ${view.keyAlgorithm ?? ''} ${view.fingerprint ?? ''}\n${checkText(check)}`,
        { host: view, check },
      );
    });

  host
    .command('list')
    .description('list hosts with their last known status')
    .option('--json', 'machine-readable output')
    .action(async () => {
      const hosts = await getCore().hosts.list();
      print(hostsTable(hosts), hosts);
    });

  host
    .command('check <name>')
    .description('connect (verifying the pinned key) and show facts: OS, CPU, memory, disk, Docker, Compose')
    .option('--json', 'machine-readable output')
    .action(async (nameArg: string) => {
      const name = parseArg(HostNameSchema, nameArg, 'NAME');
      const check = await getCore().hosts.check(name);
      print(checkText(check), check);
      if (check.status === 'error' || check.status === 'unreachable' || check.status === 'key-changed') {
        const first =
          check.error ??
          (check.problems[0] ? { message: check.problems[0].message, hint: check.problems[0].fix } : null);
        if (first) io.err(`error: ${first.message.split('\n').join(' ')}\nhint: ${first.hint ?? ''}`);
        exitCode = 1;
      }
    });

  host
    .command('facts <name>')
    .description('connect and print the host facts only (what check judges)')
    .option('--json', 'machine-readable output')
    .action(async (nameArg: string) => {
      const name = parseArg(HostNameSchema, nameArg, 'NAME');
      const check = await getCore().hosts.check(name);
      if (!check.facts) {
        throw new CoreError(
          check.error?.code ?? 'host.facts',
          check.error?.message ?? `No facts from '${name}'.`,
          check.error?.hint ?? 'Run `truffles host check` for details.',
        );
      }
      print(factsLines(check.facts).join('\n'), check.facts);
    });

  host
    .command('repin <name>')
    .description("pin a host's new key after you verified it on the host (the old pin is replaced)")
    .requiredOption(
      '--accept-fingerprint <fp>',
      'the new key fingerprint, as `ssh-keygen -lf` prints it on the host',
    )
    .option('--json', 'machine-readable output')
    .action(async (nameArg: string, o: { acceptFingerprint: string }) => {
      const name = parseArg(HostNameSchema, nameArg, 'NAME');
      const fp = parseArg(FingerprintSchema, o.acceptFingerprint, '--accept-fingerprint');
      const view = await getCore().hosts.repin(name, fp);
      print(`Re-pinned ${name}: ${view.keyAlgorithm ?? ''} ${view.fingerprint ?? ''}`, view);
    });

  host
    .command('forget <name>')
    .description('remove a host, its stored secrets and (when no other host uses it) its pinned key')
    .option('--json', 'machine-readable output')
    .action(async (nameArg: string) => {
      const name = parseArg(HostNameSchema, nameArg, 'NAME');
      const r = await getCore().hosts.forget(name);
      print(`Forgot ${name}.`, r);
    });

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
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await (core as Core | null)?.close();
  }
}
