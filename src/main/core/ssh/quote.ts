import { CoreError } from '../errors';

/**
 * The one quoting function. Every remote command is built from an argument array through
 * `shellJoin`; no string a person typed reaches a remote shell any other way.
 *
 * POSIX single quotes keep every byte literally except the single quote itself, which is written
 * as '\'' (close, escaped quote, reopen). NUL cannot be carried by a C string on the remote side,
 * so it is refused rather than silently cut.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) {
    throw new CoreError(
      'quote.nul',
      'An argument contains a NUL byte, which no remote command can receive.',
      'Remove the NUL character from the input.',
    );
  }
  if (arg !== '' && /^[A-Za-z0-9_\-+=/.,:@%]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0)
    throw new CoreError('quote.empty', 'Empty command.', 'This is a bug; please report it.');
  return argv.map(shellQuote).join(' ');
}
