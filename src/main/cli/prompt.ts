import { CoreError } from '../core/errors';
import { passphraseFromEnv, type PassphraseContext } from '../core/secrets/provider';
import { createInterface } from 'node:readline';

/** Ask a question on the terminal. `hidden` does not echo what is typed (passphrases). */
export function ask(question: string, hidden = false): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    if (hidden) {
      const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        if (s.startsWith(question)) write.call(rl, question);
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (hidden) process.stderr.write('\n');
      resolve(answer);
    });
  });
}

export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/**
 * Where the passphrase for stored secrets comes from in plain Node: TRUFFLES_PASSPHRASE, else a
 * hidden prompt on the terminal (asked twice when the store has nothing sealed yet, so a typo
 * does not become the passphrase), else an error saying how to give one.
 */
export function terminalPassphrase(
  question: string,
  io: { ask: typeof ask; interactive: typeof interactive; env: NodeJS.ProcessEnv } = {
    ask,
    interactive,
    env: process.env,
  },
): (ctx?: PassphraseContext) => Promise<string> {
  return async (ctx) => {
    if (io.env.TRUFFLES_PASSPHRASE) return io.env.TRUFFLES_PASSPHRASE;
    if (!io.interactive()) return passphraseFromEnv(io.env)();
    const first = await io.ask(question, true);
    if (!ctx?.firstSetup) return first;
    const again = await io.ask('The same passphrase again, to confirm: ', true);
    if (again !== first)
      throw new CoreError(
        'secrets.passphrase-confirm',
        'The two passphrases differ; nothing was stored.',
        'Run the command again and type the same passphrase twice (it protects every stored secret).',
      );
    return first;
  };
}
