import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { HostNameSchema, PhoneSchema, SlugSchema, type PrivacyFinding } from '../../shared/contract';
import { parseArg, UsageError } from './args';
import { verb, type CliContext } from './context';
import { table } from './format';

/**
 * `truffles privacy …`: a customer's personal-data request (the Kazakh personal-data law), by
 * phone number: what the tenant holds about them in every store, an export of all of it as one
 * JSON file, and the erasure (after the same preview).
 */
export function registerPrivacyCommands(program: Command, ctx: CliContext): void {
  const { getCore, print } = ctx;
  const privacy = verb(program, 'privacy', "a customer's personal data: find, export, erase");
  const request = (tenantArg: string, o: { phone: string; host?: string }) => ({
    tenant: parseArg(SlugSchema, tenantArg, 'TENANT'),
    phone: parseArg(PhoneSchema, o.phone, '--phone'),
    ...(o.host ? { host: parseArg(HostNameSchema, o.host, '--host') } : {}),
  });

  verb(privacy, 'find <tenant>', 'what the tenant holds about the customer, store by store (counts)')
    .requiredOption('--phone <number>', 'the customer’s phone number, e.g. +77771234567')
    .option('--host <name>', 'the tenant’s host (default: the one that has it)')
    .action(async (tenantArg: string, o: { phone: string; host?: string }) => {
      const f = await getCore().call('privacy.find', request(tenantArg, o));
      print(findingText(f), f);
    });

  verb(privacy, 'export <tenant>', 'everything the tenant holds about the customer, as one JSON file')
    .requiredOption('--phone <number>', 'the customer’s phone number')
    .requiredOption('--out <file>', 'where to write the export (a new file; it holds personal data)')
    .option('--host <name>', 'the tenant’s host')
    .action(async (tenantArg: string, o: { phone: string; out: string; host?: string }) => {
      const r = await getCore().call('privacy.export', request(tenantArg, o));
      try {
        await writeFile(o.out, r.json, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        throw new UsageError(
          'usage.invalid',
          `The export could not be written to ${o.out}: ${(err as Error).message}`,
          'Give a new file name in a folder you can write to (an existing file is never overwritten).',
        );
      }
      print(`${findingText(r.finding)}\nWritten to ${o.out} (${r.json.length} bytes).`, {
        finding: r.finding,
        file: o.out,
      });
    });

  verb(privacy, 'erase <tenant>', 'erase the customer everywhere (run find first to see what goes)')
    .requiredOption('--phone <number>', 'the customer’s phone number')
    .requiredOption('--confirm <number>', 'the same phone number again')
    .option('--host <name>', 'the tenant’s host')
    .action(async (tenantArg: string, o: { phone: string; confirm: string; host?: string }) => {
      const base = request(tenantArg, o);
      const host = base.host ?? (await getCore().call('health.tenant', { slug: base.tenant })).host;
      const r = await getCore().call('privacy.erase', { ...base, host, confirm: o.confirm });
      print(
        `Erased:\n${findingText(r.erased)}\n\nSearched again: ${
          r.after.total === 0 ? 'nothing names the customer any more.' : `${r.after.total} items still do.`
        }`,
        r,
      );
    });
}

function findingText(f: PrivacyFinding): string {
  const rows = f.stores.flatMap((s) => s.places.map((p) => [s.store, p.place, String(p.count), p.action]));
  return [
    `${f.tenant} on ${f.host}: ${f.customers.length ? `customer ${f.customers.join(', ')}` : 'no customer row has this number'}; ${f.total} items.`,
    rows.length
      ? table([['STORE', 'WHERE', 'COUNT', 'ON ERASE'], ...rows])
      : 'Nothing in any store names them.',
    `Matched by ${f.matchedBy.join(', ')}.`,
    `Backups: ${f.backups.statement}`,
  ].join('\n');
}
