#!/usr/bin/env node
// The `truffles` command. Runs the built CLI (out/main/cli.js) when present; otherwise, or with
// TRUFFLES_FROM_SOURCE=1, runs the TypeScript source through tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'out', 'main', 'cli.js');
if (process.env.TRUFFLES_FROM_SOURCE !== '1' && existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'main', 'cli', 'index.ts')).href);
}
