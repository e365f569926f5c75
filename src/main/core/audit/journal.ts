import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditEntry, CommandName, Effect, ErrorInfo } from '../../../shared/contract';
import { redactText } from '../../../shared/redact';
import type { Caller } from '../dispatch';
import { appendAudit, auditActor, type AuditHead, type Exec } from './trail';

/**
 * The dispatch-level audit: the one writer every non-read command goes through, whichever door it
 * came in by (window, browser bridge, CLI, scheduler). Each such command leaves two records, its
 * start and its outcome (`command.start`, then `command.ok` or `command.failed` with the error's
 * code), under one id, in the audit trail of the host it names — where every operator's console
 * reads it — or, for a command that names no host (settings, the backup key, an import) or whose
 * host cannot be reached, in the console's own journal `<home>/audit.jsonl`.
 *
 * The records name the command and what it was done to, never its input: only the fields listed
 * in SUBJECT_FIELDS are copied (no passphrase, key, token, env value or path reaches a record), and
 * an error's message is copied with anything shaped like a bot token redacted.
 *
 * The start is written while the command runs (an unreachable host must not double the wait),
 * and the outcome after both have ended, to the same place as the start.
 */

export interface CommandAudit {
  /** Records the start; returns what records the outcome. Never throws. */
  begin(
    command: { name: CommandName; effect: Effect },
    input: unknown,
    caller: Caller,
  ): (outcome: { ok: true } | { ok: false; error: ErrorInfo }) => Promise<void>;
}

/**
 * Input fields that say what a command was done to; nothing else of the input is recorded.
 * (`ref`: the alert an `alerts.ack` acknowledged, its episode id or key.)
 */
const SUBJECT_FIELDS = ['host', 'name', 'slug', 'tenant', 'backupId', 'opId', 'plan', 'ref'] as const;

export type AuditRecord = Pick<AuditEntry, 'action' | 'subject' | 'details'>;

/** The host a command names (its `host`, or a host command's `name`), if any. */
export function commandHost(name: CommandName, input: unknown): string | null {
  const i = (input ?? {}) as Record<string, unknown>;
  if (typeof i.host === 'string') return i.host;
  if (name.startsWith('hosts.') && typeof i.name === 'string') return i.name;
  return null;
}

/** The start record of a command: pure, so what is (and is not) recorded has a fast test. */
export function startRecord(
  command: { name: CommandName; effect: Effect },
  input: unknown,
  caller: Caller,
  id: string,
): AuditRecord {
  const i = (input ?? {}) as Record<string, unknown>;
  const about: Record<string, string> = {};
  for (const k of SUBJECT_FIELDS) {
    const v = i[k];
    if (typeof v === 'string') about[k] = v.slice(0, 200);
    else if (typeof v === 'number' && Number.isFinite(v)) about[k] = String(v);
  }
  const host = commandHost(command.name, input);
  const subject =
    (about.slug ?? about.tenant) !== undefined
      ? `tenant:${about.slug ?? about.tenant}`
      : host !== null
        ? `host:${host}`
        : `command:${command.name}`;
  return {
    action: 'command.start',
    subject,
    details: {
      id,
      command: command.name,
      effect: command.effect,
      via: caller.via,
      role: caller.role,
      ...about,
    },
  };
}

export function outcomeRecord(
  start: AuditRecord,
  outcome: { ok: true } | { ok: false; error: ErrorInfo },
  ms: number,
): AuditRecord {
  const { id, command } = start.details as { id: string; command: string };
  return {
    action: outcome.ok ? 'command.ok' : 'command.failed',
    subject: start.subject,
    details: {
      id,
      command,
      ms,
      ...(outcome.ok
        ? {}
        : { code: outcome.error.code, message: redactText(outcome.error.message).slice(0, 500) }),
    },
  };
}

export interface JournalTargets {
  /** The host's transport and where its trail is, or null when it is not in the inventory. */
  host(name: string): Promise<{ transport: Exec; target: { stateDir: string; user: string } } | null>;
  /** The console's own journal file. */
  localFile: string;
  /** Keep the head of a host's chain after an append (a checkpoint off the host). */
  checkpoint?(host: string, head: AuditHead): Promise<void>;
}

export class CommandJournal implements CommandAudit {
  constructor(private readonly targets: JournalTargets) {}

  begin(
    command: { name: CommandName; effect: Effect },
    input: unknown,
    caller: Caller,
  ): (outcome: { ok: true } | { ok: false; error: ErrorInfo }) => Promise<void> {
    const started = Date.now();
    const start = startRecord(command, input, caller, randomUUID());
    const host = commandHost(command.name, input);
    // Where the start went decides where the outcome goes: one place holds both.
    const written = this.write(host, start);
    return async (outcome) => {
      const reached = await written;
      await this.write(host, outcomeRecord(start, outcome, Date.now() - started), reached);
    };
  }

  /** Append to the host's trail (when `tryHost`), else to the local journal; true when the host took it. */
  private async write(host: string | null, record: AuditRecord, tryHost = true): Promise<boolean> {
    if (host !== null && tryHost) {
      try {
        const h = await this.targets.host(host);
        if (h) {
          const written = await appendAudit(h.transport, h.target, record);
          await this.targets.checkpoint?.(host, written.head);
          return true;
        }
      } catch {
        // Unreachable or unwritable: the local journal keeps it (with the host it was meant for).
      }
    }
    try {
      await mkdir(dirname(this.targets.localFile), { recursive: true, mode: 0o700 });
      const line = { at: new Date().toISOString(), actor: auditActor(), ...record };
      if (host !== null) line.details = { ...line.details, host };
      await appendFile(this.targets.localFile, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    } catch {
      // The console's own folder is unwritable: nothing more can be done here, and the command stands.
    }
    return false;
  }
}
