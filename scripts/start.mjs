#!/usr/bin/env node
// `npm start`: the desktop app. Where the Electron binary is missing (it downloads on first
// install and some machines cannot), say so and start the browser mode instead.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let electronPath = null;
try {
  electronPath = require('electron');
} catch (err) {
  process.stderr.write(`Electron cannot start here: ${err.message.split('\n')[0]}\n`);
}
if (electronPath && typeof electronPath === 'string') {
  const build = spawnSync('npx', ['electron-vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const r = spawnSync('npx', ['electron-vite', 'preview'], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
process.stderr.write(
  'The Electron binary is not installed (no display, or it could not be downloaded).\n' +
    'Starting the browser mode instead — the same console on http://127.0.0.1 (`npm run start:web`).\n\n',
);
const r = spawnSync('npm', ['run', 'start:web'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
