/*
 * The OpenAI API STAND-IN (NOT OpenAI) as a process, for a sandbox whose n8n must reach it:
 *   npx tsx test/helpers/llm-standin/main.ts
 * LLM_STANDIN_HOST (default 127.0.0.1; 0.0.0.0 for containers), LLM_STANDIN_PORT (default 8082,
 * 0 for any), LLM_STANDIN_API_KEY (when set, the one key accepted). SIGTERM or SIGINT stop it.
 */

import { start } from './server';

const env = process.env;
start({
  host: env.LLM_STANDIN_HOST || '127.0.0.1',
  port: Number(env.LLM_STANDIN_PORT || 8082),
  ...(env.LLM_STANDIN_API_KEY ? { apiKey: env.LLM_STANDIN_API_KEY } : {}),
  quiet: false,
}).then(
  (s) => {
    const stop = () => void s.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  },
  (e: unknown) => {
    process.stderr.write(`OpenAI API stand-in: cannot start: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
