import { passphraseFromEnv } from '../core/secrets/provider';
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
 * hidden prompt on the terminal, else an error saying how to give one.
 */
export function terminalPassphrase(question: string): () => Promise<string> {
  return async () => {
    if (process.env.TRUFFLES_PASSPHRASE) return process.env.TRUFFLES_PASSPHRASE;
    if (interactive()) return ask(question, true);
    return passphraseFromEnv()();
  };
}
