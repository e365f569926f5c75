/** `npm run start:web`: the console in a browser, on 127.0.0.1 only. */
import { join } from 'node:path';
import { Core } from '../core/core';
import { toErrorInfo } from '../core/errors';
import { trufflesHome } from '../core/paths';
import { PassphraseProvider } from '../core/secrets/provider';
import { terminalPassphrase } from '../cli/prompt';
import { startWebServer } from './server';

async function main(): Promise<void> {
  const core = new Core({
    home: trufflesHome(),
    secrets: new PassphraseProvider(
      terminalPassphrase('\nThe console needs the passphrase for stored secrets: '),
    ),
    mode: 'web',
  });
  core.startBackground();
  const port = process.env.TRUFFLES_WEB_PORT ? Number(process.env.TRUFFLES_WEB_PORT) : 7420;
  const server = await startWebServer({ core, staticDir: join(import.meta.dirname, '../renderer'), port });
  process.stdout.write(
    [
      '',
      'Truffles Console (browser mode) is running on 127.0.0.1 only.',
      `Data folder: ${trufflesHome()}`,
      '',
      'Open this URL in a browser (the token is made anew at each start):',
      `    ${server.loginUrl}`,
      '',
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
