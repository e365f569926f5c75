import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { openTenantConsole, TONE, visibleMarks, type E2EWorld } from '../helpers/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/main/core/core';
import type { WebServer } from '../../src/main/web/server';
import { screenshots } from '../helpers/browser';
import { uniqueSlug } from '../helpers/tenants';

/**
 * Issue 13 end to end, as a person would: the Fleet screen shows the test host and its tenant
 * healthy; killing the tenant's PostgreSQL turns its row red within seconds with no reload (the
 * host's agent sees Docker's event, the core pushes `health.changed`); starting it again brings
 * it back; the host's details show the agent answering and a CPU chart. Through Debian's
 * Chromium, the built renderer, the browser-mode bridge and the real core, on the real test host
 * (real n8n, PostgreSQL and Redis; the edge and Qdrant are its stand-ins).
 */
const HOST = 'sb';
const WAIT = { timeout: 60_000 };
/** Upper bound for a killed container to show on the screen: seconds, not a refresh period. */
const LIVE_WAIT = { timeout: 10_000 };

/** The green and red of the app's tokens, as the browser computes them. */

let w: E2EWorld;
let core: Core;
let server: WebServer;
let page: Page;
const slug = uniqueSlug('hui');
let postgres = '';
let killed = false;

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  w = await openTenantConsole({
    passphrase: 'e2e passphrase',
    host: HOST,
    slug,
    agent: true,
    hostLabels: { region: 'e2e' },
  });
  ({ core, server, page } = w);
  const { containers } = await core.call('health.tenant', { slug, host: HOST });
  postgres = containers.find((c) => c.service === 'postgres')?.name ?? '';
  expect(postgres).not.toBe('');
}, 600_000);

afterAll(async () => {
  if (killed && postgres) {
    try {
      docker('start', postgres);
    } catch {
      // the delete below removes it anyway
    }
  }
  await w?.close();
}, 180_000);

const { shot, shotLong } = screenshots(() => page);

const color = (testId: string): Promise<string> =>
  page.evaluate(`getComputedStyle(document.querySelector('[data-testid="${testId}"]')).color`);
const tenantRow = (): ReturnType<Page['getByTestId']> => page.getByTestId(`health-tenant-${slug}`);

describe('health through the UI on the real test host (edge and Qdrant are STAND-INS; n8n, PostgreSQL, Redis real)', () => {
  it('the Fleet screen shows the test host read by its agent and the tenant healthy', async () => {
    await page.goto(server.loginUrl);
    await page.getByTestId('nav-fleet').click();
    await page.getByTestId('health-fleet').waitFor(WAIT);
    const host = page.getByTestId(`health-host-${HOST}`);
    await host.waitFor(WAIT);
    await expect.poll(() => host.getAttribute('data-state'), WAIT).toBe('ok');
    await expect
      .poll(() => page.getByTestId(`health-host-agent-${HOST}`).textContent(), WAIT)
      .toMatch(/Agent \d+\.\d+\.\d+/);
    await tenantRow().waitFor(WAIT);
    expect(await tenantRow().getAttribute('data-host')).toBe(HOST);
    // Just created: its services may still be starting; healthy within a minute.
    await expect.poll(() => tenantRow().getAttribute('data-condition'), WAIT).toBe('healthy');
    expect(await page.getByTestId(`health-tenant-state-${slug}`).textContent()).toBe('Healthy');
    expect(await color(`health-tenant-state-${slug}`)).toBe(TONE.green);
    expect(await page.getByTestId(`health-tenant-count-${slug}`).textContent()).toBe('4/4 running');
    expect(Number(await page.getByTestId('health-count-healthy').getAttribute('data-count'))).toBeGreaterThan(
      0,
    );

    // The label filter keeps the host (it carries region=e2e).
    await page.getByTestId('health-filter-host').selectOption('region=e2e');
    await host.waitFor(WAIT);
    expect(await tenantRow().count()).toBe(1);
    await shotLong('health-01-fleet-healthy');
  });

  it('killing the tenant’s PostgreSQL turns its row red within seconds, with no reload', async () => {
    // A mark on the page: a reload would drop it.
    await page.evaluate('window.__healthNoReload = true');
    const before = Date.now();
    docker('kill', postgres);
    killed = true;
    await expect.poll(() => tenantRow().getAttribute('data-condition'), LIVE_WAIT).toBe('down');
    console.log(`docker kill → red row: ${Date.now() - before} ms`);
    expect(await page.evaluate('window.__healthNoReload === true')).toBe(true);
    expect(await page.getByTestId(`health-tenant-state-${slug}`).textContent()).toBe('Down');
    expect(await color(`health-tenant-state-${slug}`)).toBe(TONE.red);
    expect(await page.getByTestId(`health-tenant-count-${slug}`).textContent()).toBe('3/4 running');
    expect(Number(await page.getByTestId('health-count-down').getAttribute('data-count'))).toBeGreaterThan(0);
    await shotLong('health-02-postgres-killed');
  });

  it('starting it again brings the row back to healthy, still without a reload', async () => {
    docker('start', postgres);
    killed = false;
    await expect.poll(() => tenantRow().getAttribute('data-condition'), { timeout: 120_000 }).toBe('healthy');
    expect(await page.evaluate('window.__healthNoReload === true')).toBe(true);
    await shotLong('health-03-postgres-back');
  }, 150_000);

  it('the keyboard opens the tenant’s page from its row', async () => {
    await page.getByTestId('health-filter-text').fill(slug);
    await page.getByTestId('health-filter-text').press('ArrowDown');
    expect(await page.locator(':focus').getAttribute('data-testid')).toBe(`health-host-${HOST}`);
    await page.keyboard.press('ArrowDown');
    expect(await page.locator(':focus').getAttribute('data-testid')).toBe(`health-tenant-${slug}`);
    await page.keyboard.press('Enter');
    await page
      .locator(`[data-testid="screen-tenants"][data-view="tenant"][data-slug="${slug}"]`)
      .waitFor(WAIT);
    expect(new URL(page.url()).hash).toBe(`#/tenants/${HOST}/${slug}`);
  });

  it('the host’s details show the agent answering, a CPU chart and the disks', async () => {
    await page.getByTestId('nav-hosts').click();
    await page.getByTestId(`host-row-${HOST}`).click();
    await page.getByTestId('host-health').waitFor(WAIT);
    await expect
      .poll(() => page.locator('[data-testid="agent-state"] [data-state]').getAttribute('data-state'), WAIT)
      .toBe('answering');
    expect(await page.getByTestId('agent-version').textContent()).toMatch(/\d+\.\d+\.\d+/);
    // The history read once, then a sample every 10 s from the feed: two within 25 s.
    const cpu = page.getByTestId('host-chart-cpu');
    await expect
      .poll(async () => Number(await cpu.getAttribute('data-points')), { timeout: 25_000 })
      .toBeGreaterThanOrEqual(2);
    await expect.poll(() => visibleMarks(cpu), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('host-health-disks').locator('li').count()).toBeGreaterThan(0);
    await shot('health-04-host-details', 'host-health');
    // 24 h reads the coarse history.
    await page.getByTestId('host-range-24h').click();
    expect(await page.getByTestId('host-range-24h').getAttribute('aria-pressed')).toBe('true');
    await shotLong('health-05-host-details-24h');
  }, 90_000);

  it('in Russian', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-language').selectOption('ru');
    await expect.poll(() => page.getByTestId('nav-fleet').textContent()).toMatch(/Обзор/);
    await page.getByTestId('nav-fleet').click();
    await tenantRow().waitFor(WAIT);
    await expect
      .poll(() => page.getByTestId(`health-tenant-state-${slug}`).textContent(), WAIT)
      .toBe('Исправен');
    expect(await page.getByTestId('health-count-healthy').textContent()).toContain('Исправны');
    expect(await page.getByTestId(`health-tenant-count-${slug}`).textContent()).toBe('работает 4 из 4');
    await shotLong('health-06-fleet-ru');
  });
});
