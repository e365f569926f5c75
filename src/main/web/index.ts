/** `npm run start:web`: the console in a browser, on 127.0.0.1 only. */
import { join } from 'node:path';
import { Core } from '../core/core';
import { CoreError, toErrorInfo } from '../core/errors';
import { trufflesHome } from '../core/paths';
import { PassphraseProvider } from '../core/secrets/provider';
import { terminalPassphrase } from '../cli/prompt';
import { startWebServer } from './server';

/** A whole number from the environment, or the default; anything else stops the start with what to set. */
function wholeNumber(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d{1,7}$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max)
    throw new CoreError(
      'web.invalid-setting',
      `${name} must be a whole number from ${min} to ${max} (got "${raw.slice(0, 40)}").`,
      `Set ${name} to such a number, or unset it for the default (${fallback}).`,
    );
  return Number(raw);
}

async function main(): Promise<void> {
  const port = wholeNumber('TRUFFLES_WEB_PORT', 7420, 0, 65535);
  const idleMinutes = wholeNumber('TRUFFLES_WEB_IDLE_MINUTES', 720, 1, 7 * 24 * 60);
  const core = new Core({
    home: trufflesHome(),
    secrets: new PassphraseProvider(
      terminalPassphrase('\nThe console needs the passphrase for stored secrets: '),
    ),
    mode: 'web',
  });
  core.startBackground();
  const server = await startWebServer({
    core,
    staticDir: join(import.meta.dirname, '../renderer'),
    port,
    idleMs: idleMinutes * 60_000,
  });
  process.stdout.write(
    [
      '',
      'Truffles Console (browser mode) is running on 127.0.0.1 only.',
      `Data folder: ${trufflesHome()}`,
      '',
      'Open this URL in a browser (it works once; a new one is made at each start):',
      `    ${server.loginUrl}`,
      '',
      `A session unused for ${idleMinutes} minutes ends (TRUFFLES_WEB_IDLE_MINUTES).`,
      `From another machine, forward the port first: ssh -L ${server.port}:127.0.0.1:${server.port} <this host>`,
      'Stop with Ctrl+C.',
      '',
    ].join('\n'),
  );
  const stop = (): void => {
    void server
      .close()
      .then(() => core.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  const info = toErrorInfo(err);
  process.stderr.write(`error: ${info.message}\n${info.hint ? `hint: ${info.hint}\n` : ''}`);
  process.exit(1);
});
