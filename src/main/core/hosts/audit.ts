import { hostname, userInfo } from 'node:os';
import { AuditEntrySchema, type AuditEntry } from '../../../shared/contract';
import { CoreError } from '../errors';
import type { ExecOptions, ExecResult } from '../ssh/connection';
import { auditAppendCommand, auditReadCommand } from './commands';

/** Anything that runs an argument array on the host: a HostTransport or an SshConnection. */
export interface Exec {
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
}

/**
 * A host's audit trail: one JSON line per operator action in `<stateDir>/audit.jsonl` on the host
 * itself, so every operator's console reads the same history. Lines are appended with a single
 * `write` of less than PIPE_BUF bytes to a file opened with O_APPEND, so lines from two consoles
 * never interleave.
 */

/** Where the platform keeps its state on a host (tenants, locks, audit), unless the host says otherwise. */
export const DEFAULT_STATE_DIR = '/opt/truffles';
export const AUDIT_FILE = 'audit.jsonl';
/** Atomic O_APPEND writes on Linux pipes/files are guaranteed below PIPE_BUF (4096). */
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

export async function appendAudit(
  transport: Exec,
  target: { stateDir: string; user: string },
  entry: Pick<AuditEntry, 'action' | 'subject' | 'details'>,
): Promise<AuditEntry> {
  const full: AuditEntry = { at: new Date().toISOString(), actor: auditActor(), ...entry };
  const line = JSON.stringify(full);
  if (Buffer.byteLength(line) > MAX_LINE_BYTES)
    throw new CoreError(
      'audit.too-long',
      'An audit line is longer than 4000 bytes.',
      'Record fewer details.',
    );
  const r = await transport.exec(auditAppendCommand(target.stateDir, line), { timeoutMs: 15_000 });
  if (r.code !== 0)
    throw unwritable(target.stateDir, target.user, r.stderr.trim() || `exit ${String(r.code)}`);
  return full;
}

/** The newest `limit` lines, newest first; lines that are not valid entries are skipped. */
export async function readAudit(transport: Exec, stateDir: string, limit: number): Promise<AuditEntry[]> {
  const r = await transport.exec(auditReadCommand(stateDir, limit), { timeoutMs: 15_000 });
  if (r.code !== 0)
    throw new CoreError(
      'audit.unreadable',
      `The audit trail on the host cannot be read (${r.stderr.trim() || `exit ${String(r.code)}`}).`,
      `Check that ${stateDir}/${AUDIT_FILE} is readable by the SSH user.`,
    );
  const entries: AuditEntry[] = [];
  for (const text of r.stdout.split('\n')) {
    if (!text.trim()) continue;
    try {
      const parsed = AuditEntrySchema.safeParse(JSON.parse(text));
      if (parsed.success) entries.push(parsed.data);
    } catch {
      // A torn or foreign line: skip it, keep the rest readable.
    }
  }
  return entries.reverse();
}
