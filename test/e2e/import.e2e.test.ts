import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { checkBrowserPrerequisites, openBrowser, screenshots, STATIC } from '../helpers/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { startWebServer, type WebServer } from '../../src/main/web/server';
import { addSandboxHost } from '../helpers/hosts';
import { sandbox, startExtraSshd, type SandboxInfo } from '../helpers/sandbox';
import { tempDir } from '../helpers/tmp';

/**
 * End to end, as a person would: import two hosts from an OpenSSH config (one whose key the
 * operator's known_hosts already trusts, one without), watch their live status, confirm the
 * unconfirmed key through the fingerprint dialog, find the re-pin in the host's audit trail, and
 * add a third host through a jump host with labels and a base domain. Real Chromium, the built
 * renderer, the browser-mode bridge, the real core and the real test host.
 */
/** Upper bound for something to show up (a check over SSH); not a timing assertion. */
const WAIT = { timeout: 60_000 };

let sb: SandboxInfo;
let t: ReturnType<typeof tempDir>;
let core: Core;
let server: WebServer;
let browser: Browser;
let page: Page;
let configPath: string;
let knownHostsPath: string;

beforeAll(async () => {
  sb = sandbox();
  checkBrowserPrerequisites();
  t = tempDir();

  // The operator's OpenSSH files, in a folder of their own: a config with two Host blocks for the
  // test host, and a known_hosts (hashed, as Debian's ssh writes it) that trusts its key only
  // under [127.0.0.1]:2222 — so "localhost" has no trusted key.
  const sshDir = join(t.dir, 'ssh');
  mkdirSync(sshDir, { mode: 0o700 });
  configPath = join(sshDir, 'config');
  knownHostsPath = join(sshDir, 'known_hosts');
  writeFileSync(
    configPath,
    [
      '# Truffles e2e: two names for the sandbox sshd',
      'Host sb-known',
      `    HostName ${sb.address}`,
      `    Port ${sb.port}`,
      `    User ${sb.user}`,
      `    IdentityFile ${sb.keyPath}`,
      '',
      'Host sb-unknown',
      '    HostName localhost',
      `    Port ${sb.port}`,
      `    User ${sb.user}`,
      `    IdentityFile ${sb.keyPath}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const [type, blob] = readFileSync(sb.hostPublicKeyPath, 'utf8').trim().split(/\s+/);
  writeFileSync(knownHostsPath, `[${sb.address}]:${sb.port} ${type} ${blob}\n`, { mode: 0o600 });
  execFileSync('ssh-keygen', ['-H', '-f', knownHostsPath], { stdio: 'ignore' });
  expect(readFileSync(knownHostsPath, 'utf8')).toMatch(/^\|1\|/);

  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'e2e passphrase'),
    mode: 'web',
    // Not this machine's ~/.ssh: only what the test gives through the UI.
    hostOptions: { sshHome: join(t.dir, 'operator') },
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

const focused = (): Promise<string | null> => page.locator(':focus').getAttribute('data-testid');

const attr = (testId: string, name: string) => () => page.getByTestId(testId).getAttribute(name);

describe('import from an SSH config, live status, key confirmation, audit', () => {
  it('previews the config with the keyboard: the trusted key and the one to confirm', async () => {
    await page.goto(server.loginUrl);
    await page.getByTestId('welcome-add-host').waitFor();
    await page.getByTestId('nav-hosts').click();
    await page.getByTestId('hosts-import').click();
    await page.getByTestId('import-dialog').waitFor();

    // Keyboard only: the config path has the focus, Tab goes to known_hosts, Enter previews.
    expect(await focused()).toBe('import-config-path');
    await page.keyboard.type(configPath);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('import-known-hosts-path');
    await page.keyboard.type(knownHostsPath);
    await page.keyboard.press('Enter');
    await page.getByTestId('import-table').waitFor(WAIT);

    const known = page.getByTestId('import-key-sb-known');
    expect(await known.getAttribute('data-known')).toBe('yes');
    expect(await known.textContent()).toContain(sb.fingerprint);
    expect(await known.textContent()).toContain(knownHostsPath);
    const unknown = page.getByTestId('import-key-sb-unknown');
    expect(await unknown.getAttribute('data-known')).toBe('no');
    expect((await unknown.textContent())?.trim()).toBe('to confirm');
    expect(await page.getByTestId('import-row-sb-known').textContent()).toContain(`${sb.address}:${sb.port}`);
    expect(await page.getByTestId('import-row-sb-unknown').textContent()).toContain(`localhost:${sb.port}`);
    expect(await page.getByTestId('import-row-sb-known').textContent()).toContain(sb.keyPath);
    expect(await page.getByTestId('import-check-sb-known').isChecked()).toBe(true);
    expect(await page.getByTestId('import-check-sb-unknown').isChecked()).toBe(true);
    expect(await page.getByTestId('import-read').textContent()).toContain(configPath);
    await shot('e2e-import-01-preview');

    // Space unticks and ticks a host; the Import button follows the choice.
    await page.getByTestId('import-check-sb-unknown').focus();
    await page.keyboard.press('Space');
    expect(await page.getByTestId('import-check-sb-unknown').isChecked()).toBe(false);
    expect(await page.getByTestId('import-chosen').textContent()).toMatch(/^1 of 2/);
    await page.getByTestId('import-check-sb-known').focus();
    await page.keyboard.press('Space');
    expect(await page.getByTestId('import-run').isDisabled()).toBe(true);
    await page.keyboard.press('Space');
    await page.getByTestId('import-check-sb-unknown').focus();
    await page.keyboard.press('Space');
    expect(await page.getByTestId('import-chosen').textContent()).toMatch(/^2 of 2/);
    expect(await page.getByTestId('import-run').isDisabled()).toBe(false);
  });

  it('imports both; Escape closes the dialog; the list shows them', async () => {
    // Tab from the last checkbox: Cancel, then Import; Enter imports.
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('import-close');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('import-run');
    await page.keyboard.press('Enter');
    await page.getByTestId('import-result').waitFor(WAIT);
    expect(await page.getByTestId('import-added-sb-known').textContent()).toContain('sb-known');
    expect(await page.getByTestId('import-added-sb-unknown').textContent()).toContain('localhost');
    await shot('e2e-import-02-result');
    await page.keyboard.press('Escape');
    await page.getByTestId('import-dialog').waitFor({ state: 'detached' });

    const hosts = await core.hosts.list();
    expect(hosts.map((h) => h.name).sort()).toEqual(['sb-known', 'sb-unknown']);
    expect(hosts.find((h) => h.name === 'sb-known')?.fingerprint).toBe(sb.fingerprint);
    expect(hosts.find((h) => h.name === 'sb-unknown')?.fingerprint).toBeNull();
  });

  it('sb-known reaches ok with Docker and a latency; sb-unknown waits amber for its key', async () => {
    await expect.poll(attr('host-status-sb-known', 'data-status'), WAIT).toBe('ok');
    expect(await page.getByTestId('host-reachable-sb-known').getAttribute('data-state')).toBe('ok');
    expect(await page.getByTestId('host-key-sb-known').getAttribute('data-state')).toBe('ok');
    expect(await page.getByTestId('host-docker-sb-known').getAttribute('data-state')).toBe('ok');
    expect(await page.getByTestId('host-latency-sb-known').textContent()).toMatch(/^\d+ ms$/);

    await expect.poll(attr('host-status-sb-unknown', 'data-status'), WAIT).toBe('key-unconfirmed');
    expect(await page.getByTestId('host-key-sb-unknown').getAttribute('data-state')).toBe('warning');
    expect(await page.getByTestId('host-key-action-sb-unknown').getAttribute('data-action')).toBe('confirm');
    // Amber, as the badge says in words.
    const colour = await page.evaluate(
      `getComputedStyle(document.querySelector('[data-testid="host-status-sb-unknown"]')).color`,
    );
    expect(colour).toBe('rgb(138, 90, 0)');
    await shot('e2e-import-03-hosts-live');
  });

  it('confirming sb-unknown’s key shows the real fingerprint, pins it, and the host becomes ok', async () => {
    await page.getByTestId('host-key-action-sb-unknown').click();
    const dialog = page.getByTestId('fingerprint-dialog');
    await dialog.waitFor(WAIT);
    expect(await page.getByTestId('fingerprint-title').getAttribute('data-mode')).toBe('unconfirmed');
    expect((await page.getByTestId('fingerprint-value').textContent())?.trim()).toBe(sb.fingerprint);
    expect(await page.getByTestId('fingerprint-target').textContent()).toBe(`localhost:${sb.port}`);
    expect(await page.getByTestId('fingerprint-known-hosts').getAttribute('data-status')).toBe('absent');
    await shot('e2e-import-04-confirm-key');
    await page.getByTestId('fingerprint-confirm').click();
    await dialog.waitFor({ state: 'detached', ...WAIT });

    await expect.poll(attr('host-status-sb-unknown', 'data-status'), WAIT).toBe('ok');
    expect(await page.getByTestId('host-docker-sb-unknown').getAttribute('data-state')).toBe('ok');
    const toastKeys = await Promise.all(
      (await page.getByTestId('toast').all()).map((el) => el.getAttribute('data-key')),
    );
    expect(toastKeys).toContain('toast.keyPinned');
    // The audit line was written on the host: no warning about it.
    expect(toastKeys).not.toContain('toast.auditFailed');
    await shot('e2e-import-05-confirmed');
    const unknown = (await core.hosts.list()).find((h) => h.name === 'sb-unknown');
    expect(unknown?.fingerprint).toBe(sb.fingerprint);
  });

  it('the Audit screen shows the re-pin of sb-unknown', async () => {
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('screen-audit').waitFor();
    await page.getByTestId('audit-host').selectOption('sb-unknown');
    await page.getByTestId('audit-table').waitFor(WAIT);
    // The first pin of an imported host: the core records it as host.pin (host.repin replaces a pin).
    const rows = page.locator(
      '[data-testid="audit-row"][data-subject="host:sb-unknown"]:is([data-action="host.pin"], [data-action="host.repin"])',
    );
    await rows.first().waitFor(WAIT);
    const text = await rows.first().textContent();
    expect(text).toMatch(/Host key (pinned|re-pinned)/);
    expect(text).toContain(sb.fingerprint);
    // Who: named by the key that logged in (the test host's sshd says which), with its sequence number.
    const actor = rows.first().getByTestId('audit-actor');
    expect(await actor.getAttribute('data-proof')).toBe('key');
    await shot('e2e-import-06-audit');

    // Verify the host's chain: every record holds, and this console's checkpoints match.
    await page.getByTestId('audit-verify-button').click();
    const verdict = page.getByTestId('audit-verify');
    await verdict.waitFor(WAIT);
    expect(await verdict.getAttribute('data-ok')).toBe('true');
    expect(await verdict.textContent()).toMatch(/The trail holds: \d+ records/);
    await shot('e2e-import-06b-audit-verified');
  });

  it('adds a host through the jump host sb-known, with a label, base domain and registry mirror', async () => {
    await page.getByTestId('nav-hosts').click();
    await page.getByTestId('add-host').click();
    await page.getByTestId('host-name').fill('sb-inner');
    await page.getByTestId('host-address').fill(sb.address);
    await page.getByTestId('host-port').fill(String(sb.port));
    await page.getByTestId('host-user').fill(sb.user);
    await page.getByTestId('host-auth-kind').selectOption('keyFile');
    await page.getByTestId('host-key-path').fill(sb.keyPath);
    await page.getByTestId('host-jump-add').selectOption('sb-known');
    expect(await page.getByTestId('host-jump-chain').textContent()).toContain('sb-known');
    await page.getByTestId('host-label-add').click();
    await page.getByTestId('host-label-key-0').fill('Region');
    await page.getByTestId('host-base-domain').fill('bots.example.kz');
    await page.getByTestId('host-registry-mirror').fill('registry.example.kz:5000');
    // The contract's rule for label names, before anything is sent.
    await page.getByTestId('host-add-submit').click();
    expect(await page.getByTestId('field-error-labels').textContent()).toMatch(/lower-case/);
    await page.getByTestId('host-label-key-0').fill('region');
    await page.getByTestId('host-label-value-0').fill('almaty');
    await shot('e2e-import-07-add-form', 'add-host-form');
    await page.getByTestId('host-add-submit').click();

    await page.getByTestId('fingerprint-dialog').waitFor(WAIT);
    expect((await page.getByTestId('fingerprint-value').textContent())?.trim()).toBe(sb.fingerprint);
    await page.getByTestId('fingerprint-confirm').click();
    await expect.poll(attr('host-status-sb-inner', 'data-status'), WAIT).toBe('ok');
    expect(await page.getByTestId('host-via-sb-inner').textContent()).toBe('via sb-known');
    expect(await page.getByTestId('host-label-sb-inner').textContent()).toBe('region=almaty');
    expect(await page.getByTestId('host-domain-sb-inner').textContent()).toContain('bots.example.kz');
    const inner = (await core.hosts.list()).find((h) => h.name === 'sb-inner');
    expect(inner).toMatchObject({
      jump: ['sb-known'],
      labels: { region: 'almaty' },
      baseDomain: 'bots.example.kz',
      registryMirror: 'registry.example.kz:5000',
    });
    await page.getByTestId('host-row-sb-inner').click();
    expect(await page.getByTestId('fact-jump').textContent()).toContain('sb-known → sb-inner');
    await shot('e2e-import-08-jump-host');
  });

  it('a changed key turns the host red; reviewing shows both fingerprints; pinning the new one makes it ok', async () => {
    // A second real sshd whose key the console pins, then replaces (as a reinstall would).
    const extra = await startExtraSshd();
    try {
      await addSandboxHost(core, 'sb-rotating', { port: extra.port, acceptFingerprint: extra.fingerprint });
      await page.getByTestId('host-row-sb-rotating').waitFor(WAIT);
      // As a person would have it: checked and green under the pinned key before the reinstall (and
      // no check of the old system still on its way when the new one answers).
      await page.getByTestId('host-check-sb-rotating').click();
      await expect.poll(attr('host-status-sb-rotating', 'data-status'), WAIT).toBe('ok');
      await expect.poll(() => page.getByTestId('host-check-sb-rotating').isEnabled(), WAIT).toBe(true);
      const newFp = await extra.rotateHostKey();
      // A reinstall also ends the sessions of the old system: the console's one connection to the
      // host (authenticated under the old key) goes with them, and the next one meets the new key.
      await extra.kill();
      await extra.restart();
      await page.getByTestId('host-check-sb-rotating').click();
      await expect.poll(attr('host-status-sb-rotating', 'data-status'), WAIT).toBe('key-changed');
      expect(await page.getByTestId('host-key-sb-rotating').getAttribute('data-state')).toBe('error');
      expect(await page.getByTestId('host-key-action-sb-rotating').getAttribute('data-action')).toBe(
        'review',
      );
      await shot('e2e-import-09-key-changed');

      await page.getByTestId('host-key-action-sb-rotating').click();
      const dialog = page.getByTestId('fingerprint-dialog');
      await dialog.waitFor(WAIT);
      expect(await page.getByTestId('fingerprint-title').getAttribute('data-mode')).toBe('changed');
      expect(await dialog.getAttribute('class')).toContain('modal-danger');
      expect((await page.getByTestId('fingerprint-pinned').textContent())?.trim()).toBe(extra.fingerprint);
      expect((await page.getByTestId('fingerprint-value').textContent())?.trim()).toBe(newFp);
      await shot('e2e-import-10-review-changed-key');
      await page.getByTestId('fingerprint-confirm').click();
      await dialog.waitFor({ state: 'detached', ...WAIT });
      await expect.poll(attr('host-status-sb-rotating', 'data-status'), WAIT).toBe('ok');
      expect((await core.hosts.list()).find((h) => h.name === 'sb-rotating')?.fingerprint).toBe(newFp);

      // Forgotten again (the core tells the page): the list is back to the three imported hosts.
      await core.hosts.forget('sb-rotating');
      await page.getByTestId('host-row-sb-rotating').waitFor({ state: 'detached', ...WAIT });
    } finally {
      await extra.stop();
    }
  });

  it('in Russian, the hosts and the audit read well too', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-language').selectOption('ru');
    await expect.poll(async () => page.getByTestId('nav-hosts').textContent()).toMatch(/Хосты/);
    await page.getByTestId('nav-hosts').click();
    await expect.poll(attr('host-status-sb-inner', 'data-status'), WAIT).toBe('ok');
    await shot('e2e-import-11-hosts-ru');
    await page.getByTestId('hosts-import').click();
    await page.getByTestId('import-config-path').fill(configPath);
    await page.getByTestId('import-known-hosts-path').fill(knownHostsPath);
    await page.getByTestId('import-preview').click();
    await page.getByTestId('import-table').waitFor(WAIT);
    // Both are in the inventory now: nothing can be ticked.
    expect(await page.getByTestId('import-row-sb-known').getAttribute('data-action')).toBe('exists');
    expect(await page.getByTestId('import-check-sb-known').isDisabled()).toBe(true);
    expect(await page.getByTestId('import-run').isDisabled()).toBe(true);
    await shot('e2e-import-12-preview-ru');
    await page.keyboard.press('Escape');
    await page.getByTestId('import-dialog').waitFor({ state: 'detached' });
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-table').waitFor(WAIT);
    await page.getByTestId('audit-verify-button').click();
    await page.getByTestId('audit-verify').waitFor(WAIT);
    expect(await page.getByTestId('audit-verify').textContent()).toMatch(/Журнал цел/);
    await shot('e2e-import-13-audit-ru');
    await page.getByTestId('nav-fleet').click();
    await page.getByTestId('fleet-count-ok').waitFor();
    expect(await page.getByTestId('fleet-count-ok').getAttribute('data-count')).toBe('3');
    await shot('e2e-import-14-fleet-ru');
    // A 1024-pixel window: the host list still fits.
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.getByTestId('nav-hosts').click();
    await page.getByTestId('host-list').waitFor();
    // The card around the table scrolls sideways only when the table does not fit.
    const card = page.locator('.table-card', { has: page.getByTestId('host-list') });
    const fits = await card.evaluate((el) => {
      const box = el as unknown as { scrollWidth: number; clientWidth: number };
      return box.scrollWidth <= box.clientWidth;
    });
    expect(fits).toBe(true);
    await shot('e2e-import-15-hosts-1024-ru');
  });
});
