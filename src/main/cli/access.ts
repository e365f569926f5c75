import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  AccessRoleSchema,
  HostNameSchema,
  PersonNameSchema,
  type AccessKey,
  type AccessList,
} from '../../shared/contract';
import { parseArg, UsageError } from './args';
import { verb, type CliContext } from './context';
import { table } from './format';

/**
 * `truffles access list|grant|revoke`: names bound to SSH keys on each host (every SSH host of the
 * inventory, or `--host H`). The audit trail names the key that logged in by this list.
 */
export function registerAccessCommands(program: Command, ctx: CliContext): void {
  const { getCore, print } = ctx;
  const access = verb(program, 'access', 'who may use the hosts: names bound to SSH keys, kept on each host');

  /** The hosts a verb applies to: `--host`, else every SSH host. */
  const targets = async (host: string | undefined): Promise<string[]> => {
    if (host !== undefined) return [parseArg(HostNameSchema, host, '--host')];
    const all = (await getCore().call('hosts.list', {})).filter((h) => h.kind === 'ssh').map((h) => h.name);
    if (all.length === 0)
      throw new UsageError(
        'usage.invalid',
        'There are no SSH hosts in the inventory.',
        'Add one: truffles host add',
      );
    return all;
  };

  verb(access, 'list', 'the names and keys of each host; which one is yours')
    .option('--host <name>', 'only this host')
    .action(async (o: { host?: string }) => {
      const lists: AccessList[] = [];
      for (const host of await targets(o.host)) lists.push(await getCore().call('access.list', { host }));
      print(lists.map(listText).join('\n\n'), lists);
    });

  verb(access, 'grant <name>', "bind a person's name to their SSH public key (an operator's key is let in)")
    .requiredOption('--key <file>', 'their public key, e.g. alice.pub')
    .option(
      '--role <role>',
      'operator (the operator account) or support (only the read-only support door)',
      'operator',
    )
    .option('--expires <day>', 'the last day the key is accepted (YYYY-MM-DD)')
    .option('--host <name>', 'only this host (default: every SSH host)')
    .action(async (nameArg: string, o: { key: string; role: string; expires?: string; host?: string }) => {
      const name = parseArg(PersonNameSchema, nameArg, 'NAME');
      const role = parseArg(AccessRoleSchema, o.role, '--role');
      const publicKey = await readFile(o.key, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(
          'usage.invalid',
          `--key ${o.key}: ${err.code === 'ENOENT' ? 'no such file' : err.message}.`,
          'Give the path of the person’s .pub file.',
        );
      });
      const done: Array<AccessKey & { host: string }> = [];
      for (const host of await targets(o.host)) {
        const k = await getCore().call('access.grant', {
          host,
          name,
          role,
          publicKey,
          expires: o.expires ?? null,
        });
        done.push({ ...k, host });
      }
      print(
        done
          .map(
            (k) =>
              `Granted ${k.name} (${k.role}, ${k.fingerprint}) on ${k.host}${k.expires ? ` until ${k.expires}` : ''}.`,
          )
          .join('\n'),
        done,
      );
    });

  verb(access, 'revoke <name>', "remove a person's key (never the one this console logs in with)")
    .option('--host <name>', 'only this host (default: every SSH host)')
    .option('--yes', 'do it (without it, nothing is removed)')
    .action(async (nameArg: string, o: { host?: string; yes?: boolean }) => {
      const name = parseArg(PersonNameSchema, nameArg, 'NAME');
      if (!o.yes)
        throw new UsageError(
          'usage.invalid',
          `Revoking ${name} lets their key in nowhere any more.`,
          'Add --yes to do it.',
        );
      const done = [];
      for (const host of await targets(o.host))
        done.push(await getCore().call('access.revoke', { host, name }));
      print(
        done
          .map((r) => (r.removed ? `Revoked ${r.name} on ${r.host}.` : `${r.name} had no key on ${r.host}.`))
          .join('\n'),
        done,
      );
    });
}

export function listText(l: AccessList): string {
  const head = `${l.host}: ${l.identityFromKeys ? 'names come from the key that logged in' : 'sshd does not say which key logged in (set ExposeAuthInfo yes): records name only the account'}`;
  if (l.keys.length === 0)
    return `${head}\n  No names bound to keys yet: truffles access grant NAME --key FILE`;
  return `${head}\n${table([
    ['NAME', 'ROLE', 'KEY', 'EXPIRES', 'ADDED', ''],
    ...l.keys.map((k) => [k.name, k.role, k.fingerprint, k.expires ?? '-', k.addedAt, k.you ? '(you)' : '']),
  ])}`;
}
