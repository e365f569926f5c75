import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { checkBrowserPrerequisites, openBrowser, screenshots, STATIC } from '../helpers/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { startWebServer, type WebServer } from '../../src/main/web/server';
import { sandbox, type SandboxInfo } from '../helpers/sandbox';
import { tempDir } from '../helpers/tmp';

/**
 * End to end, as a person would: Debian's Chromium, the built renderer, the browser-mode bridge,
 * the real core, a real SSH connection to the real test host and its real Docker Engine.
 */

let sb: SandboxInfo;
let t: ReturnType<typeof tempDir>;
let core: Core;
let server: WebServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  sb = sandbox();
  checkBrowserPrerequisites();
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'e2e passphrase'),
    mode: 'web',
  });
  server = await startWebServer({ core, staticDir: STATIC, port: 0 });
  ({ browser, page } = await openBrowser());
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await core?.close();
  t?.cleanup();
});

const { shot } = screenshots(() => page);

describe('browser mode', () => {
  it('without the start address the page has no session and says what to open', async () => {
    await page.goto(server.url);
    const banner = page.locator('[data-testid="error-banner"][data-code="bridge.no-session"]');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('npm run start:web');
  });

  it('a person adds the test host, confirms its fingerprint, and sees its Docker version', async () => {
    await page.goto(server.loginUrl);
    // No hosts yet: the console offers to add one.
    await page.getByTestId('welcome-add-host').waitFor();
    // The one-time token leaves the address bar; the session (kept in the tab) survives a reload.
    expect(page.url()).not.toContain('token=');
    await page.reload();
    await page.getByTestId('welcome-add-host').waitFor();
    await shot('e2e-01-welcome');
    await page.getByTestId('nav-hosts').click();
    await page.getByTestId('screen-hosts').waitFor();
    await page.getByTestId('add-host').click();
    await page.getByTestId('host-name').fill('sandbox');
    await page.getByTestId('host-address').fill(sb.address);
    await page.getByTestId('host-port').fill(String(sb.port));
    await page.getByTestId('host-user').fill(sb.user);
    await page.getByTestId('host-auth-kind').selectOption('keyFile');
    await page.getByTestId('host-key-path').fill(sb.keyPath);
    await page.getByTestId('host-add-submit').click();

    const dialog = page.getByTestId('fingerprint-dialog');
    await dialog.waitFor();
    expect((await page.getByTestId('fingerprint-value').textContent())?.trim()).toBe(sb.fingerprint);
    await shot('e2e-02-fingerprint');
    await page.getByTestId('fingerprint-confirm').click();

    const docker = page.getByTestId('fact-docker-version');
    await docker.waitFor({ timeout: 60_000 });
    expect((await docker.textContent())?.trim()).toBe(sb.dockerVersion);
    expect((await page.getByTestId('fact-compose-version').textContent())?.trim()).toBe(sb.composeVersion);
    await expect
      .poll(async () => page.getByTestId('host-status-sandbox').getAttribute('data-status'), {
        timeout: 30_000,
      })
      .toBe('ok');
    await shot('e2e-03-host-facts');

    // The core really pinned what the person confirmed.
    const [host] = await core.hosts.list();
    expect(host?.fingerprint).toBe(sb.fingerprint);
  });

  it('the interface switches to Russian from Settings', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-language').selectOption('ru');
    await expect.poll(async () => page.getByTestId('nav-hosts').textContent()).toMatch(/Хосты/);
    await page.getByTestId('nav-hosts').click();
    await page.getByTestId('host-row-sandbox').click();
    await page.getByTestId('fact-docker-version').waitFor();
    await shot('e2e-04-hosts-ru');
    expect((await core.store.read()).settings.language).toBe('ru');
  });
});
