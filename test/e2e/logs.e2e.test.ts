import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { openTenantConsole, visibleMarks, type E2EWorld } from '../helpers/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/main/core/core';
import type { WebServer } from '../../src/main/web/server';
import { screenshots } from '../helpers/browser';
import { uniqueSlug } from '../helpers/tenants';

/**
 * End to end, as an operator would: a tenant's page shows its services' logs merged, live, through
 * Debian's Chromium, the built renderer, the browser-mode bridge, the real core and the host's
 * agent. New lines are made by the tenant's real Redis: `redis-cli SAVE` logs "DB saved on disk"
 * each time, without stopping the container (a restart would end Docker's follow of it). The edge
 * (Traefik) and Qdrant are the test host's STAND-INS (test/sandbox/images/*-standin).
 */
const HOST = 'sb';
/** Upper bounds for something to show up; not timing assertions. */
const WAIT = { timeout: 60_000 };

let w: E2EWorld;
let core: Core;
let server: WebServer;
let page: Page;
const slug = uniqueSlug('e2elog');
/** The tenant's Redis container, as the agent names it. */
let redis = '';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** Makes the tenant's Redis write `n` lines "DB saved on disk" (REDISCLI_AUTH is in its environment). */
function redisSaves(n: number): void {
  docker('exec', redis, 'sh', '-c', `for i in $(seq 1 ${n}); do redis-cli SAVE >/dev/null; done`);
}

beforeAll(async () => {
  // The agent follows the logs (left installed afterwards: other tests use it too).
  w = await openTenantConsole({ passphrase: 'e2e logs passphrase', host: HOST, slug, agent: true });
  ({ core, server, page } = w);
  const health = await core.call('health.tenant', { slug, host: HOST });
  redis = health.containers.find((c) => c.service === 'redis')?.name ?? '';
  expect(redis).not.toBe('');
}, 600_000);

afterAll(async () => {
  await w?.close();
}, 300_000);

const { shot, shotLong } = screenshots(() => page);

const list = (): ReturnType<Page['getByTestId']> => page.getByTestId('logs-list');
const rows = (service?: string): ReturnType<Page['locator']> =>
  page.locator(`[data-testid="log-row"]${service ? `[data-service="${service}"]` : ''}`);
/** The list's scroll position and whether it is at its end. */
const scroll = (): Promise<{ top: number; atEnd: boolean }> =>
  page.evaluate(`(() => {
    const el = document.querySelector('[data-testid="logs-list"]');
    return { top: el.scrollTop, atEnd: el.scrollTop + el.clientHeight >= el.scrollHeight - 2 };
  })()`);
/** The pane following this choice (its follow answered). */
const card = (service: string, since: string): ReturnType<Page['locator']> =>
  page.locator(
    `[data-testid="logs-card"][data-phase="following"][data-service="${service}"][data-since="${since}"]`,
  );
const count = async (): Promise<number> => Number(await list().getAttribute('data-count'));

async function openTenantPage(): Promise<void> {
  await page.evaluate(`window.location.hash = ${JSON.stringify(`#/tenants/${HOST}/${slug}`)}`);
  await page.locator(`[data-testid="screen-tenants"][data-view="tenant"][data-slug="${slug}"]`).waitFor(WAIT);
  await card('all', 'live').waitFor(WAIT);
}

describe('a tenant’s live logs on its page (real core, agent and services; edge and Qdrant STAND-INS)', () => {
  it('shows the last lines of the tenant’s services merged, each service its own colour, with local times', async () => {
    await page.goto(server.loginUrl);
    await page.getByTestId('nav-tenants').waitFor(WAIT);
    await openTenantPage();
    // Every service has a chip; the lines of several of them are there, merged.
    for (const service of ['n8n', 'postgres', 'qdrant', 'redis'])
      await page.getByTestId(`logs-service-${service}`).waitFor(WAIT);
    expect(await page.getByTestId('logs-service-all').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => count(), WAIT).toBeGreaterThan(0);
    await rows()
      .first()
      .waitFor({ state: 'attached', ...WAIT });
    // Times are local clock times, the full moment in the title.
    expect(await rows().last().locator('.log-time').textContent()).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    expect(await rows().last().locator('.log-time').getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Only the rows in view (and a few around) are in the page, each of one of the tenant's services.
    const shown = (): Promise<string[]> =>
      page.evaluate(
        `[...document.querySelectorAll('[data-testid="log-row"]')].map((e) => e.getAttribute('data-service'))`,
      );
    const atEnd = await shown();
    expect(atEnd.length).toBeLessThanOrEqual(100);
    // At the top, the first lines: with those at the end, of more than one service (merged).
    await page.evaluate(`document.querySelector('[data-testid="logs-list"]').scrollTop = 0`);
    await expect.poll(async () => (await scroll()).top, WAIT).toBe(0);
    if (!(await scroll()).atEnd)
      await expect.poll(() => list().getAttribute('data-following'), WAIT).toBe('false');
    const atTop = await shown();
    for (const s of new Set([...atEnd, ...atTop]))
      expect(['n8n', 'postgres', 'qdrant', 'redis']).toContain(s);
    // All the lines held, as the download gives them: the services' lines merged.
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('logs-download').click(),
    ]);
    expect(file.suggestedFilename()).toMatch(new RegExp(`^${slug}-all-\\d{8}T\\d{6}Z\\.log$`));
    const merged = readFileSync(await file.path(), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(merged.length).toBeGreaterThan(0);
    expect(merged.length).toBeLessThanOrEqual(await count());
    const services = new Set(merged.map((l) => l.split(' ')[1]));
    for (const s of ['n8n', 'postgres', 'redis']) expect(services).toContain(s);
    // End (outside a text field) goes back to the newest lines and follows again.
    await list().focus();
    await page.keyboard.press('End');
    await expect.poll(() => list().getAttribute('data-following'), WAIT).toBe('true');
    await expect.poll(async () => (await scroll()).atEnd, WAIT).toBe(true);
    // Two services' chips are drawn in two different colours (their names written too).
    const colourOf = (service: string): Promise<string> =>
      page.evaluate(
        `getComputedStyle(document.querySelector('[data-testid="logs-service-${service}"]')).color`,
      );
    expect(await colourOf('redis')).not.toBe(await colourOf('postgres'));
    await page.getByTestId('logs-card').scrollIntoViewIfNeeded();
    await shot('logs-01-tenant-logs', 'logs-card');
  }, 180_000);

  it('shows the services live from the host’s agent: state with health, restarts, and a CPU chart', async () => {
    await page.getByTestId('tenant-health-containers').waitFor(WAIT);
    expect(await page.getByTestId('tenant-health-not-live').count()).toBe(0);
    for (const service of ['n8n', 'postgres', 'qdrant', 'redis']) {
      const row = page.getByTestId(`health-container-${service}`);
      await expect.poll(() => row.getAttribute('data-condition'), WAIT).toBe('healthy');
      expect(await row.getAttribute('data-state')).toBe('running');
      expect(await page.getByTestId(`health-container-restarts-${service}`).textContent()).toBe('0');
    }
    // The first service's CPU over the last hour, drawn from the agent's samples.
    const cpu = page.getByTestId('tenant-chart-cpu');
    await cpu.scrollIntoViewIfNeeded();
    await expect.poll(() => visibleMarks(cpu), WAIT).toBeGreaterThan(0);
    await page.getByTestId('tenant-health').scrollIntoViewIfNeeded();
    await shot('logs-00-tenant-services-live', 'tenant-health');
  }, 120_000);

  it('follows: new lines appear at the end while the list is at the bottom', async () => {
    const before = await count();
    redisSaves(60);
    await expect.poll(() => count(), WAIT).toBeGreaterThanOrEqual(before + 60);
    expect(await list().getAttribute('data-following')).toBe('true');
    await expect.poll(async () => (await scroll()).atEnd, WAIT).toBe(true);
    // Redis's new lines are among the newest shown, at the end of the list.
    const saved = rows('redis').filter({ hasText: 'DB saved on disk' });
    await expect.poll(() => saved.count(), WAIT).toBeGreaterThan(0);
    await shot('logs-02-following', 'logs-card');
  }, 120_000);

  it('scrolled up, it holds still and offers the new lines; the button goes back to the end', async () => {
    await list().hover();
    await page.mouse.wheel(0, -600);
    await expect.poll(() => list().getAttribute('data-following'), WAIT).toBe('false');
    // Let a smooth scroll settle before taking the position.
    await page.waitForTimeout(1000);
    const held = await scroll();
    expect(held.atEnd).toBe(false);
    const before = await count();
    redisSaves(5);
    await expect.poll(() => count(), WAIT).toBeGreaterThanOrEqual(before + 5);
    const marker = page.getByTestId('logs-new-lines');
    await expect
      .poll(async () => Number(await marker.getAttribute('data-count')), WAIT)
      .toBeGreaterThanOrEqual(5);
    expect(await marker.textContent()).toMatch(/New lines: \d+/);
    // The list did not move.
    const still = await scroll();
    expect(Math.abs(still.top - held.top)).toBeLessThanOrEqual(1);
    expect(still.atEnd).toBe(false);
    // The follow goes on; the pane says the list is held.
    expect(await page.getByTestId('logs-phase').textContent()).toBe('Paused: scrolled up');
    await shot('logs-03-paused', 'logs-card');

    await marker.click();
    await expect.poll(() => list().getAttribute('data-following'), WAIT).toBe('true');
    await expect.poll(async () => (await scroll()).atEnd, WAIT).toBe(true);
    await expect.poll(() => marker.count()).toBe(0);
    expect(await page.getByTestId('logs-phase').textContent()).toBe('Following');
    expect(await rows('redis').filter({ hasText: 'DB saved on disk' }).count()).toBeGreaterThan(0);
  }, 120_000);

  it('search highlights the matches and counts them; "only matching" shows just those lines', async () => {
    await page.getByTestId('logs-search').fill('Ready to accept connections');
    const counted = page.getByTestId('logs-match-count');
    await expect
      .poll(async () => Number(await counted.getAttribute('data-count')), WAIT)
      .toBeGreaterThanOrEqual(1);
    await page.getByTestId('logs-only-matching').check();
    const marks = list().locator('mark');
    await expect.poll(() => marks.count(), WAIT).toBeGreaterThanOrEqual(1);
    expect(await marks.first().textContent()).toBe('Ready to accept connections');
    expect(await rows().first().getAttribute('data-service')).toBe('redis');
    expect(await count()).toBe(Number(await counted.getAttribute('data-count')));
    await shot('logs-04-search', 'logs-card');
    // Esc in the search clears it: every line is back.
    await page.getByTestId('logs-search').press('Escape');
    expect(await page.getByTestId('logs-search').inputValue()).toBe('');
    await expect.poll(() => count(), WAIT).toBeGreaterThan(60);
    await page.getByTestId('logs-only-matching').uncheck();
  }, 120_000);

  it('one service, since a span ago, and the lines shown downloaded as a .log file', async () => {
    await page.getByTestId('logs-service-redis').click();
    await card('redis', 'live').waitFor(WAIT);
    expect(await page.getByTestId('logs-service-redis').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => rows('redis').count(), WAIT).toBeGreaterThan(0);
    await page.getByTestId('logs-since').selectOption('10m');
    await card('redis', '10m').waitFor(WAIT);
    // The 65 saves of the last minutes are all there, and nothing but Redis.
    await expect.poll(() => count(), WAIT).toBeGreaterThanOrEqual(65);
    expect(await rows().count()).toBe(await rows('redis').count());
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('logs-download').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${slug}-redis-\\d{8}T\\d{6}Z\\.log$`));
    const text = readFileSync(await download.path(), 'utf8');
    const saves = text
      .split('\n')
      .filter((l) => l.includes(' redis stdout ') && l.includes('DB saved on disk'));
    expect(saves.length).toBeGreaterThanOrEqual(65);
    expect(text).not.toMatch(/ (n8n|postgres|qdrant) std(out|err) /);
    await shot('logs-05-redis-10m', 'logs-card');
    await page.getByTestId('logs-since').selectOption('');
    await page.getByTestId('logs-service-all').click();
    await card('all', 'live').waitFor(WAIT);
  }, 120_000);

  it('in Russian', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-language').selectOption('ru');
    await expect.poll(() => page.getByTestId('nav-tenants').textContent()).toMatch(/[А-Яа-я]/);
    await openTenantPage();
    expect(await page.locator('#tenant-logs-title').textContent()).toBe('Журнал');
    expect(await page.getByTestId('logs-service-all').textContent()).toBe('Все сервисы');
    await rows('redis')
      .first()
      .waitFor({ state: 'attached', ...WAIT });
    await page.getByTestId('logs-search').fill('saved');
    // Only the matching lines, so Redis's saves are in view whatever the other services wrote since.
    await page.getByTestId('logs-only-matching').check();
    await expect.poll(() => list().locator('mark').count(), WAIT).toBeGreaterThan(0);
    expect(await page.getByTestId('logs-match-count').textContent()).toMatch(/Совпадающих строк: \d+/);
    await page.getByTestId('logs-card').scrollIntoViewIfNeeded();
    await shot('logs-06-ru', 'logs-card');
    await shotLong('logs-07-ru-page');
  }, 120_000);
});
