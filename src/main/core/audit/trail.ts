import { hostname, userInfo } from 'node:os';
import { AuditEntrySchema, type AuditEntry } from '../../../shared/contract';
import { CoreError } from '../errors';
import type { ExecOptions, ExecResult } from '../ssh/connection';
import { parseChainLine } from './chain';
import { auditAppendCommand, auditReadCommand } from './commands';

/** Anything that runs an argument array on the host: a HostTransport or an SshConnection. */
export interface Exec {
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
}

/**
 * A host's audit trail: a hash chain of records in `<stateDir>/audit/trail.jsonl` on the host
 * itself, so every operator's console reads the same history. The one writer is the host-side
 * script of ./commands.ts (under a lock; it adds who did it, from the SSH key that logged in);
 * ./chain.ts verifies it. The console sends what was done and who it claims to be, nothing more.
 */

/** Where the platform keeps its state on a host (tenants, locks, audit), unless the host says otherwise. */
export const DEFAULT_STATE_DIR = '/opt/truffles';
/** The plain trail of earlier consoles; its lines open the chain on the first chained write. */
export const LEGACY_AUDIT_FILE = 'audit.jsonl';
export const AUDIT_TRAIL = 'audit/trail.jsonl';
/** A record stays well below what one write appends whole. */
const MAX_LINE_BYTES = 4000;

/** `user@machine` of this console: who did it, as other operators will read it. */
export function auditActor(): string {
  let user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (containers): keep the environment's name.
  }
  return `${user}@${hostname()}`;
}

function unwritable(dir: string, user: string, detail: string): CoreError {
  return new CoreError(
    'audit.unwritable',
    `The audit trail on the host cannot be written (${detail}).`,
    `On the host, run: sudo install -d -o ${user} -m 0750 ${dir}`,
    { stateDir: dir },
  );
}

/** The head of the chain after an append: its record's place and hash (a checkpoint). */
export interface AuditHead {
  seq: number;
  hash: string;
}

/**
 * Appends a record to the host's chain. The record names no actor: the host writes who logged in
 * (and keeps this console's `user@machine` as `claimed`). Returns the entry and the chain's new head.
 */
export async function appendAudit(
  transport: Exec,
  target: { stateDir: string; user: string },
  entry: Pick<AuditEntry, 'action' | 'subject' | 'details'>,
): Promise<AuditEntry & { head: AuditHead }> {
  const claimed = auditActor();
  const record = { at: new Date().toISOString(), claimed, ...entry };
  const line = JSON.stringify(record);
  if (Buffer.byteLength(line) > MAX_LINE_BYTES)
    throw new CoreError(
      'audit.too-long',
      'An audit line is longer than 4000 bytes.',
      'Record fewer details.',
    );
  const r = await transport.exec(auditAppendCommand(target.stateDir, line), { timeoutMs: 45_000 });
  if (r.code === 5)
    throw new CoreError(
      'audit.locked',
      'The audit trail on the host stayed locked for 30 s.',
      'Another writer holds it; try again. If it stays locked, look for a stuck process holding <stateDir>/audit/trail.lock.',
    );
  if (r.code === 6)
    throw new CoreError(
      'audit.damaged',
      `The audit trail on the host ends with a line that is not a record; nothing more is written to it.`,
      `Run \`truffles audit verify\` for the host to see where it was damaged.`,
    );
  if (r.code !== 0)
    throw unwritable(target.stateDir, target.user, r.stderr.trim() || `exit ${String(r.code)}`);
  const m = /^(\d+) ([0-9a-f]{64}) (\S+) (key|host|none)$/m.exec(r.stdout.trim());
  if (!m)
    throw new CoreError(
      'audit.unexpected',
      `The host's audit writer answered something unexpected: ${r.stdout.trim().slice(0, 200) || '(nothing)'}.`,
      'Run `truffles audit verify` for the host.',
    );
  const head = { seq: Number(m[1]), hash: m[2]! };
  return { ...record, actor: m[3]!, proof: m[4] as 'key' | 'host' | 'none', seq: head.seq, head };
}

/** A line of the trail (a chained record, or a line of the plain trail before it) as an entry. */
export function auditEntryOf(text: string): AuditEntry | null {
  const chained = parseChainLine(text);
  if (chained) {
    const parsed = AuditEntrySchema.safeParse({ ...chained.body, seq: chained.seq });
    return parsed.success ? parsed.data : null;
  }
  try {
    const parsed = AuditEntrySchema.safeParse(JSON.parse(text));
    return parsed.success ? { ...parsed.data, legacy: true } : null;
  } catch {
    return null;
  }
}

/** The newest `limit` records, newest first; lines that are not valid entries are skipped. */
export async function readAudit(transport: Exec, stateDir: string, limit: number): Promise<AuditEntry[]> {
  const r = await transport.exec(auditReadCommand(stateDir, limit), { timeoutMs: 15_000 });
  if (r.code !== 0)
    throw new CoreError(
      'audit.unreadable',
      `The audit trail on the host cannot be read (${r.stderr.trim() || `exit ${String(r.code)}`}).`,
      `Check that ${stateDir}/${AUDIT_TRAIL} is readable by the SSH user.`,
    );
  const entries: AuditEntry[] = [];
  for (const text of r.stdout.split('\n')) {
    if (!text.trim()) continue;
    const e = auditEntryOf(text);
    if (e) entries.push(e);
  }
  return entries.reverse();
}
