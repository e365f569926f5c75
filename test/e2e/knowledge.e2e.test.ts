import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/main/core/core';
import type { WebServer } from '../../src/main/web/server';
import { faqFilePath, loadFaqSet } from '../fixtures/kb';
import { screenshots } from '../helpers/browser';
import { openTenantConsole, TONE, type E2EWorld } from '../helpers/e2e';
import { gatewayAddress, kbCounts, writeFixture } from '../helpers/kb';
import { cp1251Txt } from '../helpers/kb-fixtures';
import { start as startLlm, type LlmStandin } from '../helpers/llm-standin/server';
import { uniqueSlug, withTenantDb } from '../helpers/tenants';

/**
 * End to end, as an operator would: the Knowledge screen in Debian's Chromium, over the built
 * renderer, the browser-mode bridge, the real core, the host's knowledge-base worker and the
 * tenant's real PostgreSQL and n8n. The LLM/embeddings endpoint is a STAND-IN
 * (test/helpers/llm-standin; not OpenAI), and so are Qdrant and the edge.
 */
const HOST = 'sb';
const WAIT = { timeout: 60_000 };
const API_KEY = 'sk-standin-e2e';

let w: E2EWorld;
let core: Core;
let server: WebServer;
let page: Page;
let llm: LlmStandin;
const slug = uniqueSlug('e2ekb');

beforeAll(async () => {
  llm = await startLlm({ host: '0.0.0.0', port: 0, apiKey: API_KEY });
  // Small embedding batches and a slow stand-in: the progress is there long enough to be seen.
  w = await openTenantConsole({
    passphrase: 'e2e knowledge passphrase',
    host: HOST,
    slug,
    env: { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: `http://${gatewayAddress()}:${llm.port}/v1` },
    core: { kbOptions: { workerEnv: { TRUFFLES_KB_BATCH: '2' } } },
  });
  ({ core, server, page } = w);
  const tr = await core.hosts.transport(HOST);
  // The stand-in's n-gram embeddings score lower than a real model's (see the integration test).
  await withTenantDb(core, tr, slug, (db) =>
    db.query(
      "UPDATE settings SET value = jsonb_set(value, '{min_score}', '0.05') WHERE key = 'model_router'",
    ),
  );
}, 600_000);

afterAll(async () => {
  await w?.close();
  await llm?.close();
}, 300_000);

const { shot, shotLong } = screenshots(() => page);
const row = (name: string): ReturnType<Page['locator']> =>
  page.locator(`[data-testid="kb-doc-row"][data-name="${name}"]`);

describe('the Knowledge screen (real core, worker, PostgreSQL and n8n; LLM, Qdrant and edge STAND-INS)', () => {
  it('uploads two files and shows their progress until ready', async () => {
    await page.goto(server.loginUrl);
    await page.getByTestId('nav-knowledge').click();
    await page.getByTestId('kb-tenant').selectOption(`${HOST}/${slug}`);
    await page.getByTestId('kb-docs-empty').waitFor(WAIT);
    const hours = loadFaqSet().documents.find((d) => d.name === 'hours-contacts.txt')!.text;
    const txt = writeFixture(w.dir, 'hours-contacts.txt', cp1251Txt(hours));
    // Slow enough embeddings that the documents stay at work for seconds, whatever the host's load
    // (at 250 ms a call, a quick run could go from queued to ready between two reads of the list).
    llm.setMode({ latencyMs: 1500 });
    await page.getByTestId('kb-upload-input').setInputFiles([faqFilePath('prices.md').pathname, txt]);
    // Both appear in the queue; at least one is seen at work (embedding k/n) before it is ready.
    await expect.poll(() => page.getByTestId('kb-upload-item').count(), WAIT).toBe(2);
    await page.locator('[data-testid="kb-doc-status"][data-status="processing"]').first().waitFor(WAIT);
    await shot('knowledge-01-uploading');
    llm.setMode({ latencyMs: 0 });
    for (const name of ['prices.md', 'hours-contacts.txt'])
      await row(name).locator('[data-testid="kb-doc-status"][data-status="ready"]').waitFor(WAIT);
    const color = await page.evaluate(
      `getComputedStyle(document.querySelector('[data-testid="kb-doc-row"][data-name="prices.md"] [data-testid="kb-doc-status"]')).color`,
    );
    expect(color).toBe(TONE.green);
    expect(Number(await page.getByTestId('kb-summary-ready').getAttribute('data-count'))).toBe(2);
    // The Cyrillic of the cp1251 file, as the chunks dialog shows it.
    await row('hours-contacts.txt').getByTestId('kb-doc-chunks').click();
    await page.getByTestId('kb-chunks-dialog').waitFor(WAIT);
    await expect.poll(() => page.getByTestId('kb-chunks-dialog').textContent(), WAIT).toContain('Толе би');
    await shot('knowledge-02-chunks', 'kb-chunks-dialog');
    await page.getByTestId('kb-chunks-close').click();
    await shotLong('knowledge-03-ready');
  }, 300_000);

  it('searches the base and asks the bot', async () => {
    await page.getByTestId('kb-search-input').fill('Во сколько открывается магазин в субботу?');
    await page.getByTestId('kb-search-run').click();
    await page.getByTestId('kb-search-result').waitFor(WAIT);
    expect(Number(await page.getByTestId('kb-search-result').getAttribute('data-hits'))).toBeGreaterThan(0);
    expect(await page.getByTestId('kb-search-hit').first().textContent()).toContain('hours-contacts.txt');
    await shot('knowledge-04-search', 'kb-search-result');

    await page.getByTestId('kb-ask-input').fill('Во сколько открывается магазин на Толе би в субботу?');
    await page.getByTestId('kb-ask-run').click();
    await page.getByTestId('kb-ask-result').waitFor(WAIT);
    await expect.poll(() => page.getByTestId('kb-ask-reply').textContent(), WAIT).toMatch(/\[\d\]/);
    expect(await page.getByTestId('kb-ask-model').textContent()).toContain('gpt-4.1-mini');
    expect(await page.getByTestId('kb-ask-sources').textContent()).toContain('hours-contacts.txt');
    expect(await page.getByTestId('kb-ask-calls').textContent()).toContain('question_embedding');
    await shot('knowledge-05-ask', 'kb-ask-result');
  }, 120_000);

  it('in Russian, and a document deleted leaves no rows or vectors', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-language').selectOption('ru');
    await page.getByTestId('nav-knowledge').click();
    await expect
      .poll(() => row('prices.md').getByTestId('kb-doc-status').textContent(), WAIT)
      .toContain('Готов');
    await shotLong('knowledge-06-ru');
    const id = (await row('prices.md').getAttribute('data-id'))!;
    await row('prices.md').getByTestId('kb-doc-delete').click();
    await page.getByTestId('kb-delete-dialog').waitFor(WAIT);
    expect(await page.getByTestId('kb-delete-dialog').textContent()).toContain('prices.md');
    await page.getByTestId('kb-delete-dialog-confirm').click();
    await expect.poll(() => row('prices.md').count(), WAIT).toBe(0);
    expect(await kbCounts(core, await core.hosts.transport(HOST), slug, id)).toEqual({
      chunks: 0,
      points: 0,
      docs: 0,
    });
    await shot('knowledge-07-deleted-ru');
  }, 120_000);
});
