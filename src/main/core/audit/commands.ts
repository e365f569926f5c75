import { AUDIT_APPEND_SCRIPT } from '../../../shared/audit/writer';
import { positionalScript } from '../ssh/commands';

export { AUDIT_APPEND_SCRIPT };

export function auditAppendCommand(stateDir: string, record: string, vouchedActor?: string): string[] {
  return positionalScript(AUDIT_APPEND_SCRIPT, [stateDir, record, vouchedActor ?? '']);
}

/**
 * The newest "$2" records of the trail; before the first chained write, the earlier plain trail's.
 * Nothing when there is neither.
 */
export const AUDIT_READ_SCRIPT = [
  'if test -f "$1/audit/trail.jsonl"; then tail -n "$2" -- "$1/audit/trail.jsonl"',
  'elif test -f "$1/audit.jsonl"; then tail -n "$2" -- "$1/audit.jsonl"; fi',
].join('\n');

export function auditReadCommand(stateDir: string, limit: number): string[] {
  return positionalScript(AUDIT_READ_SCRIPT, [stateDir, String(limit)]);
}

/** Lines "$2" to "$2"+"$3"-1 of the trail (a page, for verification); nothing past its end. */
export const AUDIT_PAGE_SCRIPT =
  'test -f "$1/audit/trail.jsonl" || exit 0; tail -n "+$2" -- "$1/audit/trail.jsonl" | head -n "$3"';

export function auditPageCommand(stateDir: string, fromLine: number, count: number): string[] {
  return positionalScript(AUDIT_PAGE_SCRIPT, [stateDir, String(fromLine), String(count)]);
}
