import type { Command } from 'commander';
import { HostNameSchema, type AuditVerify } from '../../shared/contract';
import { parseArg } from './args';
import { verb, type CliContext } from './context';

/**
 * `truffles audit verify HOST`: the host's hash-chained audit trail read whole and checked —
 * every link, hash and sequence number, and the checkpoints this console kept of it (exit 1 when
 * anything is wrong). Reading the trail is `truffles host audit NAME`.
 */
export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const { getCore, print } = ctx;
  const audit = verb(
    program,
    'audit',
    "a host's audit trail: verify it (reading it: truffles host audit NAME)",
  );
  verb(
    audit,
    'verify <host>',
    'check every record of the host’s trail and the checkpoints kept here; exit 1 when altered, removed, reordered or rebuilt',
  ).action(async (hostArg: string) => {
    const host = parseArg(HostNameSchema, hostArg, 'HOST');
    const r = await getCore().call('audit.verify', { host });
    print(verifyText(r), r);
    if (!r.ok) ctx.setExitCode(1);
  });
}

export function verifyText(r: AuditVerify): string {
  const kept = `${r.checkpointsMatched} of ${r.checkpoints} checkpoint${r.checkpoints === 1 ? '' : 's'} kept here matched`;
  if (r.ok)
    return r.head
      ? `The audit trail of ${r.host} holds: ${r.records} records, head #${r.head.seq} ${r.head.hash.slice(0, 16)}…; ${kept}.`
      : `The audit trail of ${r.host} is empty.`;
  const p = r.problem!;
  return [
    `The audit trail of ${r.host} does NOT hold (${p.kind}, line ${p.line}):`,
    `  ${p.message}`,
    `  ${r.records} records before it hold; ${kept}.`,
  ].join('\n');
}
