#!/usr/bin/env node
// `npm start`: the desktop app. `npm install` never downloads Electron's binary (package.json's
// allowScripts denies electron's download step, and electron is an optional dependency, so an npm
// that runs the step anyway does not fail the install where GitHub is out of reach). Here, where a
// display is there to show it, the first start fetches the binary; when that is impossible (no
// display, no route to GitHub, or the electron package itself is missing) this says why and
// starts the browser mode instead.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const require = createRequire(join(root, 'package.json'));
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

function electronBinary() {
  try {
    const p = require('electron');
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

function electronPackageDir() {
  try {
    return dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
}

function hasDisplay() {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

/** Why the desktop app cannot start here, or null when it can (fetching the binary if needed). */
function desktopUnavailable() {
  if (electronBinary()) return null;
  const dir = electronPackageDir();
  if (!dir) return 'the electron package is not installed (its optional install did not complete)';
  if (!hasDisplay()) return 'there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set)';
  process.stderr.write('Fetching the Electron binary (once, on the first start)…\n');
  const r = spawnSync(process.execPath, [join(dir, 'install.js')], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'pipe'],
    timeout: DOWNLOAD_TIMEOUT_MS,
    encoding: 'utf8',
  });
  if (r.status === 0 && electronBinary()) return null;
  const why = (r.error?.message ?? r.stderr ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  return `its binary could not be downloaded${why ? ` (${why.trim()})` : ''}`;
}

const why = desktopUnavailable();
if (!why) {
  const build = spawnSync('npx', ['electron-vite', 'build', '--logLevel', 'warn'], {
    stdio: 'inherit',
    cwd: root,
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const r = spawnSync('npx', ['electron-vite', 'preview'], { stdio: 'inherit', cwd: root });
  process.exit(r.status ?? 1);
}

process.stderr.write(
  `The desktop app cannot start here: ${why}.\n` +
    'Starting the browser mode instead — the same console on http://127.0.0.1 (`npm run start:web`).\n\n',
);
// electron-vite reads Electron's major version from the electron package; without that package,
// take it from package.json so the browser mode still builds.
const env = { ...process.env };
if (!electronPackageDir() && !env.ELECTRON_MAJOR_VER) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const range = pkg.optionalDependencies?.electron ?? pkg.devDependencies?.electron ?? '';
  const major = /(\d+)/.exec(range)?.[1];
  if (major) env.ELECTRON_MAJOR_VER = major;
}
const r = spawnSync('npm', ['run', 'start:web'], { stdio: 'inherit', cwd: root, env });
process.exit(r.status ?? 1);
