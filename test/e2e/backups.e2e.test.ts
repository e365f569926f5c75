import { PassThrough } from 'node:stream';
import type { Page } from 'playwright-core';
import { openTenantConsole, TONE, type E2EWorld } from '../helpers/e2e';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../src/main/core/backups/archive';
import type { Core } from '../../src/main/core/core';
import type { HostTransport } from '../../src/main/core/hosts/transport';
import type { WebServer } from '../../src/main/web/server';
import type { CommandOutput } from '../../src/shared/contract';
import { screenshots } from '../helpers/browser';
import { importUnreachableHost } from '../helpers/hosts';
import { uniqueSlug } from '../helpers/tenants';

/**
 * End to end, as an operator would: the Backups screen on the real test host, through Debian's
 * Chromium, the built renderer, the browser-mode bridge and the real core. The fleet's backup key
 * is made from the screen's banner; the tenant (plan starter, base modules), the host's backup
 * agent (the real templates/backup/truffles-backup with the real `age`) and the first backup are
 * made through the core; then the screen shows the backup, and the tenant is restored to it from
 * the Restore… dialog (the slug typed again), and drilled. n8n, PostgreSQL and Redis are real;
 * the edge (Traefik) and Qdrant are the test host's STAND-INS (test/sandbox/images/*-standin).
 */
const HOST = 'sb';
/** A host the console cannot reach (imported, its key never confirmed): the screen names it. */
const OFFLINE = 'offline-1';
/** Upper bounds for something to show up; not timing assertions. */
const WAIT = { timeout: 60_000 };
const LONG = { timeout: 420_000 };

/** The colours of styles.css, as the browser computes them. */

let w: E2EWorld;
let core: Core;
let server: WebServer;
let page: Page;
let tr: HostTransport;
let backupsDir = '/opt/truffles/backups';
const slug = uniqueSlug('e2ebk');
let backup: CommandOutput<'backups.create'>;

beforeAll(async () => {
  w = await openTenantConsole({
    passphrase: 'e2e backups passphrase',
    host: HOST,
    slug,
    // One that cannot be read (imported from an SSH config, key not confirmed; never connected to).
    beforeTenant: (x) => importUnreachableHost(x.core, x.dir, OFFLINE),
  });
  ({ core, server, page } = w);
  tr = await core.hosts.transport(HOST);
}, 600_000);

afterAll(async () => {
  // A run must not leave its archives on the shared test host (the tenant goes with w).
  if (tr) await tr.exec(['rm', '-rf', '--', `${backupsDir}/${slug}`]).catch(() => undefined);
  await w?.close();
}, 300_000);

const { shot, shotLong } = screenshots(() => page);

const color = (testId: string): Promise<string> =>
  page.evaluate(`getComputedStyle(document.querySelector('[data-testid="${testId}"]')).color`);

/** How the page writes a time (the browser's own locale rules and time zone, as the UI uses). */
const humanTime = (iso: string): Promise<string> =>
  page.evaluate(
    `new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(${JSON.stringify(iso)}))`,
  );

describe('backups through the UI on the real test host (edge = Traefik STAND-IN, Qdrant = STAND-IN; n8n, PostgreSQL, Redis real)', () => {
  it('with no backup key, the screen says so and makes one; the tenant shows red, with no backup', async () => {
    expect(await core.backupKeys.info()).toBeNull();
    await page.goto(server.loginUrl);
    await page.getByTestId('nav-backups').click();
    await page.locator('[data-testid="screen-backups"][data-view="list"]').waitFor(WAIT);
    const banner = page.getByTestId('backup-key-missing');
    await banner.waitFor(WAIT);
    expect(await banner.textContent()).toMatch(/no backup key yet/);
    // The host that cannot be read is named, with the core's reason.
    const offline = page.getByTestId(`backups-unreachable-${OFFLINE}`);
    await offline.waitFor(WAIT);
    expect(await offline.textContent()).toContain(OFFLINE);
    // The tenant is listed, with no backup at all: red.
    await page.getByTestId(`backup-row-${slug}`).waitFor(WAIT);
    expect(await page.getByTestId(`backup-row-${slug}`).getAttribute('data-tone')).toBe('error');
    expect(await page.getByTestId(`backup-age-${slug}`).getAttribute('data-tone')).toBe('error');
    expect(await color(`backup-age-${slug}`)).toBe(TONE.red);
    expect(await page.getByTestId(`backup-none-${slug}`).textContent()).toBe('No backup');
    await shotLong('backups-01-no-key');

    await page.getByTestId('backup-key-init').click();
    await page.getByTestId('backup-key').waitFor(WAIT);
    expect(await banner.count()).toBe(0);
    const key = await core.backupKeys.info();
    expect(key?.recipient).toMatch(/^age1/);
    expect(await page.getByTestId('backup-key').textContent()).toContain(key?.recipient.slice(0, 12));
  });

  it('with the agent installed and a backup made (through the core), the row turns green, "never restored"', async () => {
    // A fresh key on a test host other tests set up: taken over on purpose (refused otherwise).
    await core.backups.rekey({ host: HOST, confirm: HOST });
    const schedule = await core.backups.schedule({ host: HOST });
    expect(schedule.installed).toBe(true);
    expect(schedule.via).not.toBe('none');
    backupsDir = schedule.backupDir;
    backup = await core.backups.create(slug, HOST);
    expect(backup.provenAt).toBeNull();

    await page.getByTestId('backups-refresh').click();
    await expect
      .poll(() => page.getByTestId(`backup-age-${slug}`).getAttribute('data-tone'), WAIT)
      .toBe('ok');
    expect(await color(`backup-age-${slug}`)).toBe(TONE.green);
    expect(await page.getByTestId(`backup-row-${slug}`).getAttribute('data-tone')).toBe('ok');
    expect(await page.getByTestId(`backup-last-${slug}`).textContent()).toContain('Manual');
    expect(await page.getByTestId(`backup-run-${slug}`).textContent()).toBe('Succeeded');
    expect(await page.getByTestId(`backup-drill-${slug}`).textContent()).toBe('Never drilled');
    // Not restored or drilled yet: marked in amber.
    expect(await page.getByTestId(`backup-unproven-${slug}`).textContent()).toContain('never restored');
    expect(await color(`backup-unproven-${slug}`)).toBe(TONE.amber);
    // The host's schedule panel: installed, how, and retention.
    await page.getByTestId(`schedule-reread-${HOST}`).click();
    await expect
      .poll(() => page.getByTestId(`schedule-${HOST}`).getAttribute('data-installed'), WAIT)
      .toBe('true');
    expect(await page.getByTestId(`schedule-via-${HOST}`).getAttribute('data-via')).toBe(schedule.via);
    expect(await page.getByTestId(`schedule-at-${HOST}`).inputValue()).toBe(schedule.at);
    await shotLong('backups-02-overview');
  }, 300_000);

  it('the tenant’s page lists the backup with what it holds', async () => {
    await page.getByTestId(`backup-row-${slug}`).click();
    await page
      .locator(`[data-testid="screen-backups"][data-view="tenant"][data-slug="${slug}"]`)
      .waitFor(WAIT);
    expect(new URL(page.url()).hash).toBe(`#/backups/${HOST}/${slug}`);
    const row = page.getByTestId(`backup-entry-${backup.id}`);
    await row.waitFor(WAIT);
    expect(await row.getAttribute('data-kind')).toBe('manual');
    expect(await page.getByTestId(`backup-counts-${backup.id}`).textContent()).toMatch(
      /^\d+ tables? · \d+ rows? · \d+ points? · \d+ workflows?$/,
    );
    expect(await page.getByTestId(`backup-unproven-${backup.id}`).count()).toBe(1);
    await shotLong('backups-03-tenant');
  });

  it('Restore… names the tenant and the backup’s time, waits for the slug, then restores and reports', async () => {
    await page.getByTestId(`backup-restore-${backup.id}`).click();
    const dialog = page.getByTestId('restore-dialog');
    await dialog.waitFor(WAIT);
    const when = await humanTime(backup.createdAt);
    expect(await page.getByTestId('restore-title').textContent()).toContain(slug);
    const what = (await page.getByTestId('restore-what').textContent()) ?? '';
    expect(what).toContain(`“${slug}” on ${HOST}`);
    expect(what).toContain(`made ${when}`);
    expect(what).toMatch(/replaces ALL current data/);
    expect(await page.getByTestId('restore-backup-time').textContent()).toContain(when);
    expect(await page.getByTestId('restore-backup-id').textContent()).toBe(backup.id);
    expect(await dialog.textContent()).toMatch(/safety backup of the current state is taken first/);

    // The Restore button stays disabled until the slug is typed exactly.
    const confirm = page.getByTestId('restore-confirm');
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByTestId('restore-confirm-input').fill(slug.slice(0, -1));
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByTestId('restore-confirm-input').fill(`${slug} `);
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByTestId('restore-confirm-input').fill(slug);
    expect(await confirm.isDisabled()).toBe(false);
    await shot('backups-04-restore-dialog', 'restore-dialog');

    await confirm.click();
    await page.getByTestId('restore-running').waitFor(WAIT);
    expect(await page.getByTestId('restore-confirm').textContent()).toBe('Restoring…');
    expect(await page.getByTestId('restore-cancel').isDisabled()).toBe(true);
    await shot('backups-05-restoring', 'restore-dialog');

    const report = page.getByTestId('restore-report');
    await report.waitFor(LONG);
    const failure = await page.getByTestId('restore-error').count();
    expect(failure, (await page.getByTestId('restore-body').textContent()) ?? '').toBe(0);
    expect(await report.getAttribute('data-ok')).toBe('true');
    expect(await page.getByTestId('restore-summary').textContent()).toMatch(
      /Restored: all \d+ counts match the backup\./,
    );
    expect(await page.getByTestId('restore-safety-id').textContent()).toMatch(/^\d{8}T\d{6}Z-safety(-\d+)?$/);
    await shot('backups-06-restored', 'restore-dialog');

    await page.getByTestId('restore-close').click();
    await expect.poll(() => dialog.count()).toBe(0);
    // The page reads the tenant again: the backup is now proven, the restore is listed.
    await expect.poll(() => page.getByTestId(`backup-proven-${backup.id}`).count(), WAIT).toBe(1);
    await expect
      .poll(
        () => page.locator('[data-testid="backup-restores"] tr[data-kind="restore"][data-ok="true"]').count(),
        WAIT,
      )
      .toBeGreaterThan(0);
    expect(await page.locator('[data-testid^="backup-entry-"][data-kind="safety"]').count()).toBeGreaterThan(
      0,
    );
    await shotLong('backups-07-after-restore');
  }, 480_000);

  it('Drill restores the chosen backup into a throw-away tenant and reports the counts', async () => {
    await page.getByTestId('drill-backup').selectOption(backup.id);
    await page.getByTestId('backup-drill').click();
    expect(await page.getByTestId('backup-drill').textContent()).toBe('Drilling…');
    const report = page.getByTestId('drill-report');
    await report.waitFor(LONG);
    expect(await report.getAttribute('data-ok'), (await report.textContent()) ?? '').toBe('true');
    expect(await page.getByTestId('drill-summary').textContent()).toMatch(
      /The drill passed: all \d+ counts match/,
    );
    await shotLong('backups-08-drill');
    // The overview shows the drill.
    await page.getByTestId('back-to-backups').click();
    await page.locator('[data-testid="screen-backups"][data-view="list"]').waitFor(WAIT);
    await expect.poll(() => page.getByTestId(`backup-drill-${slug}`).textContent(), WAIT).toBe('Passed');
  }, 480_000);

  it('in Russian: the Backups screen and the tenant’s page', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-language').selectOption('ru');
    await expect.poll(() => page.getByTestId('nav-backups').textContent()).toMatch(/Резервные копии/);
    await page.getByTestId('nav-backups').click();
    await page.locator('[data-testid="screen-backups"][data-view="list"]').waitFor(WAIT);
    await page.getByTestId(`backup-row-${slug}`).waitFor(WAIT);
    expect(await page.locator('.screen-title').textContent()).toBe('Резервные копии');
    expect(await page.getByTestId(`backup-run-${slug}`).textContent()).toBe('Успешно');
    await shotLong('backups-09-ru');
    await page.getByTestId(`backup-row-${slug}`).press('Enter');
    await page
      .locator(`[data-testid="screen-backups"][data-view="tenant"][data-slug="${slug}"]`)
      .waitFor(WAIT);
    await page.getByTestId(`backup-entry-${backup.id}`).waitFor(WAIT);
    expect(await page.getByTestId(`backup-counts-${backup.id}`).textContent()).toMatch(
      /^таблиц: \d+ · строк: \d+/,
    );
    await shotLong('backups-10-ru-tenant');
    await page.getByTestId('nav-updates').click();
    await page.getByTestId('screen-updates').waitFor(WAIT);
    await page.getByTestId('fleet-mode-tenants').check();
    const box = page.getByTestId(`fleet-tenant-${slug}`);
    await box.waitFor({ timeout: 180_000 }).catch(async (err: Error) => {
      // Say why: the form names hosts whose tenants could not be read.
      await shotLong('backups-fail-fleet-update');
      throw new Error(`${err.message}\n${(await page.getByTestId('screen-updates').textContent()) ?? ''}`);
    });
    await box.check();
    expect(await page.getByTestId('fleet-preview').getAttribute('data-count')).toBe('1');
    await shotLong('backups-11-fleet-update-ru');
  });

  it('deleting from the tenant page takes a final backup first, named in the toast and kept on the host', async () => {
    await page.evaluate(`window.location.hash = ${JSON.stringify(`#/tenants/${HOST}/${slug}`)}`);
    await page.getByTestId('tenant-delete').click();
    await page.getByTestId('delete-dialog').waitFor(WAIT);
    const finalBox = page.getByTestId('delete-final-backup');
    expect(await finalBox.isChecked()).toBe(true); // the default
    await finalBox.uncheck();
    expect(await page.getByTestId('delete-dialog').textContent()).toMatch(/Без последней копии/);
    await finalBox.check();
    await page.getByTestId('delete-confirm-input').fill(slug);
    await shotLong('backups-12-delete-ru');
    await page.getByTestId('delete-confirm').click();
    const toast = page.locator('[data-testid="toast"][data-key="toast.tenantDeletedWithBackup"]');
    await toast.waitFor({ timeout: 300_000 });
    const id = /(\d{8}T\d{6}Z-final)/.exec((await toast.textContent()) ?? '')?.[1];
    expect(id).toBeDefined();
    expect((await core.tenants.list(HOST)).tenants.map((x) => x.slug)).not.toContain(slug);
    // The final archive is on the host and opens with the fleet's key: a whole, checked backup.
    const listing = await tr.exec(['ls', '--', `${backupsDir}/${slug}`]);
    expect(listing.stdout.split('\n')).toContain(`${id}.tar.age`);
    const sink = new PassThrough();
    const reading = tr.exec(['cat', '--', `${backupsDir}/${slug}/${id}.tar.age`], { stdout: sink });
    const manifest = await readArchive(sink, await core.backupKeys.identity(), { tenant: slug });
    await reading;
    expect(manifest.tenant).toBe(slug);
    expect(manifest.parts.some((p) => p.name === 'postgres.dump')).toBe(true);
  }, 360_000);
});
