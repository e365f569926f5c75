/**
 * `npm run bench:logpane`: the tenant page's log pane in Debian's Chromium while 5,000 lines a
 * second come in (from a STAND-IN for the core: what is measured is the renderer). Prints the
 * frame times (p50, p95, worst) following the end, then scrolled up (paused), the rows kept and
 * the rows in the page. Goal: frame time ≤ 50 ms p95. Asserts nothing.
 */
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { build } from 'vite';
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../test/helpers/browser';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 5000);
const root = join(import.meta.dirname, 'logpane');
const out = mkdtempSync(join(tmpdir(), 'truffles-bench-logpane-'));
await build({
  root,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  build: { outDir: out, emptyOutDir: true },
});
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html' };
const server = createServer((req, res) => {
  const p = (req.url ?? '/').split('?')[0] ?? '/';
  try {
    const body = readFileSync(join(out, p === '/' ? 'index.html' : p));
    res.writeHead(200, { 'content-type': TYPES[extname(p) || '.html'] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
}).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const address = server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await page.evaluate(`window.rate = ${RATE}`);
  const list = page.getByTestId('logs-list');
  await list.waitFor();
  await page.waitForTimeout(1000);
  const frames = (): Promise<number[]> =>
    page.evaluate(`new Promise((resolve) => {
      const deltas = []; let last = performance.now(); const end = last + ${SECONDS * 1000};
      const tick = (now) => { deltas.push(now - last); last = now; if (now < end) requestAnimationFrame(tick); else resolve(deltas); };
      requestAnimationFrame(tick);
    })`);
  const pct = (xs: number[], p: number): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
  };
  const dropped = async (): Promise<number> =>
    Number(
      (await page
        .getByTestId('logs-dropped')
        .getAttribute('data-count')
        .catch(() => '0')) ?? 0,
    );
  const report = async (what: string): Promise<void> => {
    const before = await dropped();
    const d = await frames();
    const taken = (await dropped()) - before;
    const rows = await page.locator('[data-testid="log-row"]').count();
    console.log(
      `${what}: ${d.length} frames in ${SECONDS} s, frame time p50 ${pct(d, 50).toFixed(1)} ms, p95 ${pct(d, 95).toFixed(1)} ms, worst ${Math.max(...d).toFixed(1)} ms (goal p95 ≤ 50 ms); ` +
        `${await list.getAttribute('data-count')} lines kept (${Math.round(taken / SECONDS)} lines/s went through the buffer), ${rows} rows in the page`,
    );
  };
  console.log(`Log pane at ${RATE} lines/s (core STAND-IN), Chromium ${browser.version()}:`);
  await report('following the end');
  await list.hover();
  await page.mouse.wheel(0, -800);
  await page.waitForTimeout(500);
  await report(`scrolled up (following: ${await list.getAttribute('data-following')})`);
} finally {
  await browser.close();
  server.close();
  rmSync(out, { recursive: true, force: true });
}
