import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/main/core/core';
import type { WebServer } from '../../src/main/web/server';
import { screenshots } from '../helpers/browser';
import { openConsole, TONE, type E2EWorld } from '../helpers/e2e';
import { addSandboxHost } from '../helpers/hosts';
import { sandbox } from '../helpers/sandbox';

/**
 * Issue 14 end to end, as a person would: the test host's agent finds what is wrong with the host
 * itself (no firewall, no fail2ban: its real posture), the Alerts screen lists it with the fix;
 * the operator acknowledges one and silences another, each moves to its tab, and both are in the
 * host's audit trail. Through Debian's Chromium, the built renderer, the browser-mode bridge, the
 * real core and the real agent on the real test host.
 */
const HOST = 'sb';
const WAIT = { timeout: 60_000 };

let w: E2EWorld;
let core: Core;
let server: WebServer;
let page: Page;

beforeAll(async () => {
  w = await openConsole({
    passphrase: 'e2e alerts passphrase',
    core: { healthOptions: { agentEnv: { TRUFFLES_ALERTS_SIDE_SECONDS: '3' } } },
  });
  ({ core, server, page } = w);
  await addSandboxHost(core, HOST);
  await core.images.set(HOST, { ...sandbox().images });
  // A fresh agent with no alerts of an earlier run.
  rmSync(join((await core.hosts.get(HOST)).stateDir, 'health', 'alerts'), { recursive: true, force: true });
  await core.call('agent.update', { host: HOST });
}, 300_000);

afterAll(async () => {
  // The next agent starts with no alerts of this test (the container goes; its state with it).
  try {
    execFileSync('docker', ['rm', '--force', 'truffles-agent'], { stdio: 'ignore' });
  } catch {
    // none
  }
  const stateDir = core ? (await core.hosts.get(HOST).catch(() => null))?.stateDir : undefined;
  if (stateDir) rmSync(join(stateDir, 'health', 'alerts'), { recursive: true, force: true });
  await w?.close();
}, 120_000);

const { shot } = screenshots(() => page);
const row = (kind: string) =>
  page.locator(`[data-testid^="alert-row-${HOST}-"][data-kind="${kind}"]`).first();

describe('the Alerts screen against the real agent (the test host’s own posture)', () => {
  let firewallId = '';
  let fail2banId = '';

  it('lists what is wrong with the host, worst first, with the fix', async () => {
    await page.goto(server.loginUrl);
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId('screen-alerts').waitFor(WAIT);
    await row('firewall').waitFor(WAIT);
    firewallId = (await row('firewall').getAttribute('data-id')) ?? '';
    fail2banId = (await row('fail2ban').getAttribute('data-id')) ?? '';
    expect(firewallId).toMatch(/^\d+$/);
    expect(fail2banId).toMatch(/^\d+$/);
    expect(await row('firewall').getAttribute('data-severity')).toBe('warning');
    expect(await row('firewall').getAttribute('data-state')).toBe('active');
    // Warnings are amber, not red or green.
    expect(
      await page.evaluate(
        `getComputedStyle(document.querySelector('[data-testid="alert-severity-${HOST}-${firewallId}"]')).color`,
      ),
    ).toBe(TONE.amber);
    // The fix is under its row, with the commands to run.
    expect(await page.getByTestId(`alert-fix-${HOST}-${firewallId}`).textContent()).toMatch(
      /ufw allow 22\/tcp/,
    );
    // The sidebar counts what fires.
    await expect
      .poll(async () => Number(await page.getByTestId('nav-alerts-count').getAttribute('data-count')), WAIT)
      .toBeGreaterThanOrEqual(2);
    await shot('alerts-01-active', 'screen-alerts');
  }, 120_000);

  it('acknowledge: the alert moves to Acknowledged, with who; recorded in the audit trail', async () => {
    await page.getByTestId(`alert-ack-${HOST}-${firewallId}`).click();
    await page.getByTestId('alert-ack-dialog').waitFor(WAIT);
    await page.getByTestId('alert-ack-note').fill('cloud firewall in front of it');
    await shot('alerts-02-ack-dialog', 'alert-ack-dialog');
    await page.getByTestId('alert-ack-dialog-confirm').click();
    await page.getByTestId('alert-ack-dialog').waitFor({ state: 'detached', ...WAIT });
    await page.getByTestId('alerts-tab-acknowledged').click();
    const acked = page.getByTestId(`alert-row-${HOST}-${firewallId}`);
    await expect.poll(() => acked.getAttribute('data-state'), WAIT).toBe('acknowledged');
    expect(await page.getByTestId(`alert-ackby-${HOST}-${firewallId}`).textContent()).toMatch(/@/);
    await shot('alerts-03-acknowledged', 'screen-alerts');
    const view = (await core.call('alerts.list', { host: HOST })).hosts[0]!.view!;
    expect(view.active.find((a) => String(a.id) === firewallId)?.ack?.note).toBe(
      'cloud firewall in front of it',
    );
  }, 60_000);

  it('silence for an hour: the alert moves to Silenced; both changes are in the audit trail', async () => {
    await page.getByTestId('alerts-tab-active').click();
    await page.getByTestId(`alert-silence-${HOST}-${fail2banId}`).click();
    await page.getByTestId('alert-silence-dialog').waitFor(WAIT);
    await page.getByTestId('alert-silence-preset-60').click();
    await page.getByTestId('alert-silence-reason').fill('installing fail2ban tonight');
    await page.getByTestId('alert-silence-dialog-confirm').click();
    await page.getByTestId('alert-silence-dialog').waitFor({ state: 'detached', ...WAIT });
    await page.getByTestId('alerts-tab-silenced').click();
    const silenced = page.getByTestId(`alert-row-${HOST}-${fail2banId}`);
    await expect.poll(() => silenced.getAttribute('data-state'), WAIT).toBe('silenced');
    await shot('alerts-04-silenced', 'screen-alerts');
    const view = (await core.call('alerts.list', { host: HOST })).hosts[0]!.view!;
    const s = view.silences.find((x) => x.reason === 'installing fail2ban tonight');
    expect(s?.until).toBeGreaterThan(Date.now() + 58 * 60_000);
    const audit = JSON.stringify(await core.call('hosts.audit', { name: HOST, limit: 50 }));
    expect(audit).toContain('alerts.ack');
    expect(audit).toContain('alerts.silence');
  }, 60_000);
});
