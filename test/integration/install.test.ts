import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp';

/**
 * The README's first command, as a new user runs it on a machine that reaches the package
 * registry but not GitHub: a clean clone of this checkout's HEAD, `npm ci` with
 * ELECTRON_SKIP_BINARY_DOWNLOAD unset, then `npm start`, which must reach the browser mode.
 * "No GitHub" is made real by pointing Electron's download at a closed local port (and at an
 * empty download cache); npm itself reaches the registry (through its warm cache, --prefer-offline).
 */
const t = tempDir('truffles-install-');
let started: ReturnType<typeof spawn> | null = null;
afterAll(() => {
  if (started?.pid && started.exitCode === null) {
    try {
      process.kill(-started.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  t.cleanup();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('npm_') || k.startsWith('VITEST') || k === 'NODE_OPTIONS') delete env[k];
  }
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  delete env.ELECTRON_OVERRIDE_DIST_PATH;
  delete env.ELECTRON_EXEC_PATH;
  delete env.ELECTRON_MAJOR_VER;
  env.ELECTRON_MIRROR = 'http://127.0.0.1:9/';
  env.electron_config_cache = join(t.dir, 'electron-cache');
  env.TRUFFLES_HOME = join(t.dir, 'home');
  env.TRUFFLES_PASSPHRASE = 'install test passphrase';
  return env;
}

describe('npm install && npm start on a clean clone without GitHub', () => {
  it(
    'installs without Electron binary download and starts the browser mode',
    async () => {
      const clone = join(t.dir, 'clone');
      const git = spawnSync('git', ['clone', '--quiet', process.cwd(), clone], { encoding: 'utf8' });
      expect(git.status, git.stderr).toBe(0);

      const env = userEnv();
      const ci = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd: clone,
        env,
        encoding: 'utf8',
        timeout: 15 * 60_000,
      });
      expect(ci.status, `npm ci failed:\n${ci.stdout}\n${ci.stderr}`).toBe(0);
      expect(`${ci.stdout}${ci.stderr}`).not.toMatch(/not yet covered by allowScripts/);
      // An npm that knows allowScripts (11.x here) keeps the electron package (types, electron-vite)
      // without its binary; an older one runs the download, which fails, and drops the optional package.
      const electronKept = existsSync(join(clone, 'node_modules/electron/package.json'));
      expect(existsSync(join(clone, 'node_modules/electron/path.txt'))).toBe(false);

      // A display is claimed so that `npm start` tries the download and has to fall back.
      const port = await freePort();
      const child = spawn('npm', ['start'], {
        cwd: clone,
        env: { ...env, DISPLAY: ':99', TRUFFLES_WEB_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      started = child;
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const loginUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no URL from npm start:\n${out}\n${err}`)),
          8 * 60_000,
        );
        const check = (): void => {
          const m = new RegExp(`http://127\\.0\\.0\\.1:${port}/\\?token=[0-9a-f]+`).exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[0]);
          }
        };
        child.stdout.on('data', check);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`npm start exited (${code}) before printing the URL:\n${out}\n${err}`));
        });
      });
      expect(err).toMatch(
        electronKept
          ? /desktop app cannot start here: its binary could not be downloaded/
          : /desktop app cannot start here: the electron package is not installed/,
      );
      expect(err).toMatch(/Starting the browser mode instead/);

      // The browser mode answers: the start address (once) gives the app's page with a session.
      const login = await fetch(loginUrl, { redirect: 'manual' });
      expect(login.status).toBe(200);
      expect(await login.text()).toMatch(/<meta name="truffles-session" content="[0-9a-f]{64}"/);
      expect((await fetch(loginUrl, { redirect: 'manual' })).status).toBe(401);

      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    },
    25 * 60_000,
  );
});
