/**
 * The two command shapes the SSH layer itself sends or carries. Every other host command is built
 * by a feature's own builders (e.g. hosts/commands.ts) as an argument array; the connection quotes
 * it with `shellJoin` (ssh/quote.ts) and nothing else.
 */

/** A command that does nothing: a round trip, or a session that turns TCP_NODELAY on in sshd. */
export function noopCommand(): string[] {
  return ['true'];
}

/** `sh -c SCRIPT`, for a script that was itself built from quoted argument arrays. */
export function scriptCommand(script: string): string[] {
  return ['sh', '-c', script];
}

/**
 * `sh -c SCRIPT sh ARG...`: a constant script that reads its inputs only as "$1".."$n", so what
 * a person typed is an argument, never script text.
 */
export function positionalScript(script: string, args: readonly string[]): string[] {
  return ['sh', '-c', script, 'sh', ...args];
}
