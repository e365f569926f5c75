import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

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

/** Screenshots into test-results/, each checked to hold a picture (more than 10 kB). */
export function screenshots(page: () => Page): {
  /** The page, or one part of it (the main pane scrolls on its own). */
  shot: (name: string, testId?: string) => Promise<string>;
  /** A long screen whole. */
  shotLong: (name: string) => Promise<string>;
} {
  const shot = async (name: string, testId?: string): Promise<string> => {
    const file = join(RESULTS, `${name}.png`);
    if (testId) await page().getByTestId(testId).screenshot({ path: file });
    else await page().screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(10_000);
    return file;
  };
  // The main pane scrolls, not the page: for a full-page shot of a long screen the pane is unclipped
  // for a moment (through the CSSOM: the page's CSP refuses injected style sheets).
  const shotLong = async (name: string): Promise<string> => {
    const unclip = (on: boolean): Promise<unknown> =>
      page().evaluate(
        `document.querySelector('.shell').style.height = '${on ? 'auto' : ''}';` +
          `document.querySelector('.shell').style.minHeight = '${on ? '100vh' : ''}';` +
          `document.querySelector('.main').style.overflow = '${on ? 'visible' : ''}';`,
      );
    // Toasts sit at the bottom of the window: on a page taller than the window they would land mid-page.
    await page().evaluate(
      `document.querySelectorAll('[data-testid="toast"] button').forEach((b) => b.click())`,
    );
    await unclip(true);
    try {
      return await shot(name);
    } finally {
      await unclip(false);
    }
  };
  return { shot, shotLong };
}
