#!/usr/bin/env node
// `npm test`: sets up the real test host (test/sandbox) when it can, builds the renderer, then
// runs every test: unit, integration against the real host, end-to-end in Chromium. Nothing is
// skipped: when something the tests need is missing, this says exactly what and stops.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const stateDir = process.env.TRUFFLES_SANDBOX_DIR ?? '/var/lib/truffles-sandbox';
const extra = process.argv.slice(2);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/** A unit run started early (see below), ended with the run. */
let earlyChild = null;

function fail(lines) {
  earlyChild?.kill();
  process.stderr.write(lines.join('\n') + '\n');
  process.exit(1);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');

// 1. The real test host.
const allProjects = !extra.some((a) => a.startsWith('--project'));

/** One project's vitest run: its arguments, and where its JSON report goes. */
function vitestArgs(project) {
  const jsonOut = join(root, 'test-results', `vitest${project ? `-${project}` : ''}.json`);
  rmSync(jsonOut, { force: true });
  return {
    jsonOut,
    args: [
      'vitest',
      'run',
      ...(project ? ['--project', project] : []),
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${jsonOut}`,
      ...extra,
    ],
  };
}

/**
 * The unit tests need no test host: with everything to run, they run while the test host is set
 * up and the app is built (their output is held and printed when they end), which takes them off
 * the run's critical path.
 */
let earlyUnit = null;
if (allProjects) {
  mkdirSync(join(root, 'test-results'), { recursive: true });
  const { jsonOut, args } = vitestArgs('unit');
  const logPath = join(root, 'test-results', 'vitest-unit.log');
  const log = createWriteStream(logPath);
  const t0 = Date.now();
  const child = spawn('npx', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  earlyChild = child;
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  earlyUnit = new Promise((resolve) =>
    child.on('close', (status) => {
      const t1 = Date.now();
      log.end(() => resolve({ status: status ?? 1, jsonOut, logPath, t0, t1 }));
    }),
  );
}

if (process.env.TRUFFLES_SKIP_SANDBOX_SETUP !== '1') {
  if (isRoot && hasApt) {
    const t0 = Date.now();
    if (run('bash', [join(root, 'test/sandbox/up.sh')]) !== 0)
      fail(['error: the test host (test/sandbox/up.sh) could not be set up; see its output above.']);
    process.stdout.write(`test host ready in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  } else if (!existsSync(join(stateDir, 'sandbox.json'))) {
    fail([
      'error: the tests need the real test host, and it can only be set up as root on Debian 12 / Ubuntu.',
      'hint: run `sudo npm run sandbox` once (it installs openssh-server, debootstrap, Docker Engine 26 with Compose v2',
      '      from Debian 13, starts an sshd on 127.0.0.1:2222 and dockerd, and builds the test images),',
      `      or point TRUFFLES_SANDBOX_DIR at the state folder of a running one (expected ${stateDir}/sandbox.json).`,
    ]);
  }
}

// 2. Chromium for the end-to-end tests.
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  if (isRoot && hasApt) {
    run('apt-get', ['install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=900', 'chromium'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  if (!existsSync(chromiumPath))
    fail([
      `error: Chromium is needed for the end-to-end tests and is not at ${chromiumPath}.`,
      'hint: apt-get install chromium, or set CHROMIUM_PATH.',
    ]);
}

// 3. The renderer the browser mode serves.
if (run('npx', ['electron-vite', 'build', '--logLevel', 'warn']) !== 0)
  fail(['error: the build failed; see above.']);

// 4. The tests: one project after the other, so the end-to-end tests and the integration tests
//    never share the test host at the same moment (both create and kill things on it).
const projects = allProjects ? ['unit', 'integration', 'e2e'] : [null];
let code = 0;
const totals = { passed: 0, failed: 0, skipped: 0, total: 0 };
/** Where the time went: per suite, and the slowest files (the CI budget is watched from this). */
const timing = [];

function record(project, jsonOut, t0, t1 = Date.now()) {
  if (!existsSync(jsonOut)) return;
  const r = JSON.parse(readFileSync(jsonOut, 'utf8'));
  totals.passed += r.numPassedTests;
  totals.failed += r.numFailedTests;
  totals.skipped += r.numPendingTests + r.numTodoTests;
  totals.total += r.numTotalTests;
  const files = r.testResults
    .map((f) => ({ file: f.name.slice(root.length + 1), s: (f.endTime - f.startTime) / 1000 }))
    .sort((a, b) => b.s - a.s);
  timing.push({ project: project ?? 'selected', s: (t1 - t0) / 1000, files });
}

for (const project of projects) {
  if (project === 'unit' && earlyUnit) {
    const u = await earlyUnit;
    process.stdout.write(readFileSync(u.logPath, 'utf8'));
    process.stdout.write(`(the unit tests ran while the test host was set up and the app built)\n`);
    if (u.status !== 0) code = u.status;
    record('unit', u.jsonOut, u.t0, u.t1);
    continue;
  }
  const t0 = Date.now();
  const { jsonOut, args } = vitestArgs(project);
  const c = run('npx', args);
  if (c !== 0) code = c;
  record(project, jsonOut, t0);
}
for (const { project, s, files } of timing) {
  process.stdout.write(`\n${project}: ${s.toFixed(1)} s, ${files.length} files; slowest:\n`);
  for (const f of files.slice(0, 8)) process.stdout.write(`  ${f.s.toFixed(1).padStart(7)} s  ${f.file}\n`);
}
process.stdout.write(
  `\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`,
);
if (totals.skipped > 0) {
  process.stderr.write('error: some tests were skipped; no test may be skipped.\n');
  process.exit(1);
}
if (totals.total === 0) {
  process.stderr.write('error: no test ran.\n');
  process.exit(1);
}
process.exit(code);
