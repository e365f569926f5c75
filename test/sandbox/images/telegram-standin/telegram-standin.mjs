/*
 * Telegram Bot API STAND-IN for the Truffles test world. This is NOT Telegram.
 *
 * The test machines reach no Internet, so the agent's alert delivery is tested against this
 * small plain-Node program (no dependency) that speaks the subset of the Bot API the agent uses —
 * getMe and sendMessage — with Telegram's envelopes, error texts and codes (400 bad requests,
 * 401 for a wrong token, 403 for a blocked chat, 429 with parameters.retry_after, a migrated
 * group's migrate_to_chat_id), and a control API for tests under /__standin/. README.md says
 * what it does and does not reproduce.
 *
 * As a process: `node telegram-standin.mjs` (TELEGRAM_STANDIN_HOST, default 127.0.0.1;
 * TELEGRAM_STANDIN_PORT, default 8081; TELEGRAM_STANDIN_TOKEN, the one valid bot token). From a
 * test: `import { start } from './lib/server.mjs'`, `const s = await start({ port: 0 })`.
 */

import { DEFAULT_TOKEN, start } from './lib/server.mjs';

const env = process.env;
start({
  host: env.TELEGRAM_STANDIN_HOST || '127.0.0.1',
  port: Number(env.TELEGRAM_STANDIN_PORT || 8081),
  token: env.TELEGRAM_STANDIN_TOKEN || DEFAULT_TOKEN,
  quiet: false,
}).then(
  (s) => {
    const stop = () => void s.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  },
  (e) => {
    process.stderr.write(`Telegram Bot API stand-in: cannot start: ${e.stack || e}\n`);
    process.exit(1);
  },
);
