import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/main/core/core';
import { readHostFile } from '../../src/main/core/tenants/hostfs';
import { parseEnvFile } from '../../src/main/core/tenants/service';
import type { Tunnel } from '../../src/main/core/tunnel';
import type { WebServer } from '../../src/main/web/server';
import { screenshots } from '../helpers/browser';
import { openTenantConsole, TONE, type E2EWorld } from '../helpers/e2e';
import { uniqueSlug, chatMessage, type ChatAnswer } from '../helpers/tenants';

/**
 * Issue 17's inbox as an operator uses it, in Debian's Chromium over the real core, the host's
 * agent and the tenant's real n8n (core_chat answering a customer on its chat/message webhook,
 * core_admin's conversations API): open the conversation, take it over — the customer's next
 * message gets no bot answer — reply, hand it back — the bot answers again.
 */
const HOST = 'sb';
const WAIT = { timeout: 60_000 };
const PHONE = '77015550777';
const slug = uniqueSlug('e2einbox');
let w: E2EWorld;
let core: Core;
let server: WebServer;
let page: Page;
let tunnel: Tunnel;
let apiKey: string;
let conversation = '';

const say = (text: string): Promise<ChatAnswer> =>
  chatMessage(tunnel.localPort, apiKey, { channel: 'web', phone: PHONE, name: 'Айгерим', text });

const senders = (): Promise<string[]> =>
  page.evaluate(
    `[...document.querySelectorAll('[data-testid="inbox-message"]')].map((e) => e.getAttribute('data-sender'))`,
  );

const pageErrors: string[] = [];

beforeAll(async () => {
  w = await openTenantConsole({ passphrase: 'e2e inbox passphrase', host: HOST, slug, agent: true });
  ({ core, server, page } = w);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const tr = await core.hosts.transport(HOST);
  apiKey = parseEnvFile((await readHostFile(tr, `/opt/truffles/tenants/${slug}/.env`)) ?? '')[
    'TRUFFLES_API_KEY'
  ]!;
  tunnel = await tr.tunnel(await core.tenants.containerIp(tr, slug, 'n8n'), 5678);
  conversation = (await say('Здравствуйте')).conversation_id;
}, 600_000);

afterAll(async () => {
  tunnel?.close();
  await w?.close();
}, 300_000);

const { shot, shotLong } = screenshots(() => page);

describe('the Inbox (real core, agent, n8n and PostgreSQL)', () => {
  it('take over: the bot stays silent; reply; hand back: the bot answers again', async () => {
    await page.goto(server.loginUrl);
    await page.getByTestId('nav-inbox').click();
    await page.getByTestId('inbox-tenant').selectOption(`${HOST}/${slug}`);
    const row = page.getByTestId(`inbox-row-${conversation}`);
    await row.waitFor(WAIT);
    expect(await row.getAttribute('data-status')).toBe('active');
    await row.click();
    const detail = page.getByTestId('inbox-detail');
    await detail.waitFor(WAIT);
    await expect.poll(senders, WAIT).toEqual(['customer', 'bot']);
    expect(await detail.textContent()).toContain('Здравствуйте');
    await shotLong('e2e-inbox-01-open-en');

    await page.getByTestId('inbox-take-over').click();
    await expect.poll(() => detail.getAttribute('data-status'), WAIT).toBe('escalated');
    const tag = detail.getByTestId('inbox-status');
    expect(await tag.textContent()).toContain('Operator');
    expect(
      await page.evaluate(
        `getComputedStyle(document.querySelector('[data-testid="inbox-detail"] [data-testid="inbox-status"]')).color`,
      ),
    ).toBe(TONE.amber);
    const silent = await say('Привет');
    expect(silent.reply).toBeNull();
    expect(silent.intent).toBe('operator');
    await expect.poll(senders, WAIT).toEqual(['customer', 'bot', 'customer']);
    // The sidebar counts the conversations waiting for an operator (read every 30 s).
    await expect
      .poll(() => page.getByTestId('nav-inbox-count').getAttribute('data-count'), { timeout: 45_000 })
      .toBe('1');

    await page.getByTestId('inbox-reply-text').fill('Да, доставим сегодня до 18:00.');
    await page.getByTestId('inbox-reply-send').click();
    await expect.poll(senders, WAIT).toEqual(['customer', 'bot', 'customer', 'operator']);
    expect(await page.getByTestId('inbox-message').last().textContent()).toContain('доставим сегодня');
    await shotLong('e2e-inbox-02-taken-over-en');

    await page.getByTestId('inbox-hand-back').click();
    await expect.poll(() => detail.getAttribute('data-status'), WAIT).toBe('active');
    const again = await say('Привет');
    expect(again.reply).toBeTruthy();
    await expect.poll(senders, WAIT).toEqual(['customer', 'bot', 'customer', 'operator', 'customer', 'bot']);
    await shotLong('e2e-inbox-03-handed-back-en');
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('filters by status and search, keyboard between rows, in Russian', async () => {
    await page.getByTestId('inbox-filter-escalated').click();
    await page.getByTestId('inbox-empty').waitFor(WAIT);
    await page.getByTestId('inbox-filter-active').click();
    await page.getByTestId(`inbox-row-${conversation}`).waitFor(WAIT);
    await page.getByTestId('inbox-search').fill('0000000');
    await page.getByTestId('inbox-search').press('Enter');
    await page.getByTestId('inbox-empty').waitFor(WAIT);
    await page.getByTestId('inbox-search').fill(PHONE.slice(4));
    await page.getByTestId('inbox-search').press('Enter');
    await page.getByTestId(`inbox-row-${conversation}`).waitFor(WAIT);
    await page.getByTestId(`inbox-row-${conversation}`).focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.locator(':focus').getAttribute('data-testid')).toBe(`inbox-row-${conversation}`);

    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-language').selectOption('ru');
    await page.getByTestId('nav-inbox').click();
    await page.getByTestId(`inbox-row-${conversation}`).click();
    await expect.poll(() => page.getByTestId('inbox-detail').textContent(), WAIT).toContain('Отвечает бот');
    await shot('e2e-inbox-04-ru');
  }, 120_000);

  it('personal data: the preview by store, the export downloaded, the erasure confirmed by the number', async () => {
    // Still in Russian (the test before); back to English at the end.
    await page.getByTestId('privacy-open').click();
    const dialog = page.getByTestId('privacy-dialog');
    await dialog.getByTestId('privacy-table').waitFor(WAIT);
    const places = await page.evaluate(
      `[...document.querySelectorAll('[data-testid="privacy-row"]')].map((e) => e.getAttribute('data-place'))`,
    );
    expect(places).toEqual(
      expect.arrayContaining(['public.customers', 'public.conversations', 'public.messages']),
    );
    expect(await dialog.textContent()).toContain('удаляется');
    expect(await dialog.getByTestId('privacy-backups').textContent()).toContain('резервн');
    await shotLong('e2e-inbox-05-privacy-ru');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByTestId('privacy-export').click(),
    ]);
    const file = await download.path();
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      postgres: Record<string, { phone?: string; content?: string }[]>;
    };
    expect(doc.postgres['public.customers']?.[0]?.phone).toBe(PHONE);
    expect(doc.postgres['public.messages']?.map((m) => m.content)).toContain(
      'Да, доставим сегодня до 18:00.',
    );
    await dialog.getByTestId('privacy-exported').waitFor(WAIT);

    await dialog.getByTestId('privacy-erase').click();
    const confirm = dialog.getByTestId('privacy-erase-confirm');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByTestId('privacy-confirm-input').fill(`+7 ${PHONE.slice(1, 4)} ${PHONE.slice(4)}`);
    expect(await confirm.isDisabled()).toBe(false);
    await shot('e2e-inbox-06-privacy-confirm-ru');
    await confirm.click();
    const erased = dialog.getByTestId('privacy-erased');
    await erased.waitFor(WAIT);
    expect(await erased.textContent()).toContain('больше ничто не называет клиента');
    await shot('e2e-inbox-07-privacy-erased-ru');
    await dialog.getByTestId('privacy-close').click();
    // The conversation went with the customer.
    await page.getByTestId('inbox-refresh').click();
    await expect.poll(() => page.getByTestId(`inbox-row-${conversation}`).count(), WAIT).toBe(0);
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-language').selectOption('en');
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
