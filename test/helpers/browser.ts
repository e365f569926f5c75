import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where screenshots go, which Chromium drives the tests, and the built renderer the browser mode serves. */
export const RESULTS = join(process.cwd(), 'test-results');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const STATIC = join(process.cwd(), 'out', 'renderer');

/** Fails with what to do when the renderer is not built or Chromium is missing; makes the results folder. */
export function checkBrowserPrerequisites(): void {
  if (!existsSync(join(STATIC, 'index.html')))
    throw new Error('The renderer is not built: run `npm run build` (npm test does it).');
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
  mkdirSync(RESULTS, { recursive: true });
}

/** Debian's Chromium, headless, with one 1280×800 page. */
export async function openBrowser(): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  return { browser, page };
}
