/** A log line's level, guessed from its text (there is no structured field to read). */
export type LogLevel = 'error' | 'warn' | 'debug' | 'info';

// Words as loggers write them: `ERROR`, `level=error`, `[warn]`, `"level":"debug"`, PostgreSQL's
// `FATAL:`/`PANIC:`, Redis's `#` (warning) and `.` (debug) markers are left alone (too ambiguous).
const ERROR = /\b(?:error|err|fatal|panic|crit(?:ical)?|emerg(?:ency)?|alert|exception|traceback)\b/i;
const WARN = /\b(?:warn(?:ing)?)\b/i;
const DEBUG = /\b(?:debug|trace|verbose)\b/i;
/** Only the start of a line is looked at: the level is near the front; the rest is a message. */
const HEAD = 160;

export function guessLevel(text: string): LogLevel {
  const head = text.length > HEAD ? text.slice(0, HEAD) : text;
  if (ERROR.test(head)) return 'error';
  if (WARN.test(head)) return 'warn';
  if (DEBUG.test(head)) return 'debug';
  return 'info';
}
