import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORT_USER } from '../../src/main/core/access/support';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import type { WebServer } from '../../src/main/web/server';
import { screenshots } from '../helpers/browser';
import { openConsole, type E2EWorld } from '../helpers/e2e';
import { addSandboxHost } from '../helpers/hosts';
import { gatewayAddress, waitJobs, writeFixture } from '../helpers/kb';
import { start as startLlm, type LlmStandin } from '../helpers/llm-standin/server';
import { tenantHost, uniqueSlug, withTenantDb } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 17, as a support person sees it: their console (browser mode, the real core) has the test
 * host with a support key, granted by an operator's console. Every host is reached through its
 * read-only support door, so the console says it is a support console, shows the fleet's health,
 * alerts, AI cost and the knowledge base without the actions that change something, and marks the
 * sections for operators, saying why they are missing (en, ru). The tenant's LLM API (embeddings
 * for its knowledge base) is a STAND-IN (test/helpers/llm-standin), as are Qdrant and the edge.
 */
const HOST = 'sb';
const WAIT = { timeout: 60_000 };
const slug = uniqueSlug('e2esup');
let op: Core;
let opDir: ReturnType<typeof tempDir>;
let w: E2EWorld;
let page: Page;
let server: WebServer;
let created = false;
let llm: LlmStandin;
const API_KEY = 'sk-standin-support-e2e';

beforeAll(async () => {
  opDir = tempDir();
  op = new Core({
    home: join(opDir.dir, 'op'),
    secrets: new PassphraseProvider(async () => 'e2e support operator'),
    mode: 'cli',
  });
  llm = await startLlm({ host: '0.0.0.0', port: 0, apiKey: API_KEY });
  await tenantHost(op, HOST);
  created = true;
  await op.tenants.create({
    slug,
    host: HOST,
    plan: 'starter',
    modules: [],
    env: { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: `http://${gatewayAddress()}:${llm.port}/v1` },
    keepOnFailure: false,
  });
  // The operator's knowledge base for the tenant: one document, indexed (the stand-in's n-gram
  // embeddings score lower than a real model's, so the tenant's min_score is lowered).
  await withTenantDb(op, await op.hosts.transport(HOST), slug, (db) =>
    db.query(
      "UPDATE settings SET value = jsonb_set(value, '{min_score}', '0.05') WHERE key = 'model_router'",
    ),
  );
  const doc = writeFixture(
    opDir.dir,
    'hours.md',
    '# Часы работы\n\nМагазин на Толе би открыт с 9:00 до 18:00 по будням и с 10:00 до 16:00 по субботам.\n',
  );
  const [job] = await op.call('kb.upload', { slug, paths: [doc] });
  const [done] = await waitJobs(op, slug, [job!.id]);
  expect(done?.phase).toBe('done');
  const key = join(opDir.dir, 'sam_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sam@support', '-f', key]);
  await op.call('access.grant', {
    host: HOST,
    name: 'sam-e2e',
    role: 'support',
    publicKey: readFileSync(`${key}.pub`, 'utf8'),
  });
  w = await openConsole({ passphrase: 'e2e support passphrase' });
  ({ page, server } = w);
  await addSandboxHost(w.core, HOST, {
    user: SUPPORT_USER,
    auth: { kind: 'keyFile', path: key },
    role: 'support',
  });
}, 600_000);

afterAll(async () => {
  await w?.close();
  await op?.call('access.revoke', { host: HOST, name: 'sam-e2e' }).catch(() => undefined);
  if (created) await op?.tenants.delete(slug, slug, HOST).catch(() => undefined);
  await op?.close();
  await llm?.close();
  opDir?.cleanup();
}, 300_000);

const { shot, shotLong } = screenshots(() => page);

describe('a support console (real core, host, agent and support door)', () => {
  it('says it is one, shows the fleet’s health through the door and marks what is for operators', async () => {
    await page.goto(server.loginUrl);
    await page.getByTestId('support-banner').waitFor(WAIT);
    await page.getByTestId('nav-fleet').click();
    await page.getByTestId('health-fleet').waitFor(WAIT);
    const state = page.getByTestId(`health-tenant-state-${slug}`);
    await state.waitFor(WAIT);
    await expect.poll(() => state.textContent(), WAIT).toBe('Healthy');
    for (const s of ['tenants', 'backups', 'updates', 'audit'])
      expect(await page.getByTestId(`nav-${s}`).getAttribute('data-locked'), s).toBe('true');
    for (const s of ['fleet', 'alerts', 'hosts', 'inbox', 'costs', 'knowledge', 'settings'])
      expect(await page.getByTestId(`nav-${s}`).getAttribute('data-locked'), s).toBeNull();
    await shotLong('e2e-support-01-fleet-en');

    await page.getByTestId('nav-tenants').click();
    const locked = page.getByTestId('support-locked');
    await locked.waitFor(WAIT);
    expect(await locked.textContent()).toContain('support key');
    await shot('e2e-support-02-locked-en');
  }, 300_000);

  it('alerts and AI cost are there to read, with no action that changes something', async () => {
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId(`alerts-test-${HOST}`).waitFor({ state: 'attached', ...WAIT });
    expect(await page.getByTestId(`alerts-test-${HOST}`).isVisible()).toBe(false);
    expect(await page.getByTestId(`alerts-settings-${HOST}`).isVisible()).toBe(false);
    await page.getByTestId('nav-costs').click();
    await page.getByTestId('cost-tab-prices').click();
    const prices = page.getByTestId('cost-prices');
    await prices.waitFor(WAIT);
    await expect.poll(() => prices.textContent(), WAIT).toContain('text-embedding-3-small');
    expect(await page.getByTestId('cost-reprice-panel').isVisible()).toBe(false);
    expect(await page.getByTestId('cost-rates-import').isVisible()).toBe(false);
    await shotLong('e2e-support-03-prices-en');
  }, 120_000);

  it('the knowledge base is there to read and search; uploading, deleting and asking the bot are not offered', async () => {
    await page.getByTestId('nav-knowledge').click();
    await page.getByTestId('kb-support-note').waitFor(WAIT);
    // The tenants offered are the ones the agents show (a support key cannot read the records).
    await expect
      .poll(() => page.getByTestId('kb-tenant').locator('option').allTextContents(), WAIT)
      .toContain(`${slug} — ${HOST}`);
    await page.getByTestId('kb-tenant').selectOption(`${HOST}/${slug}`);
    const row = page.locator('[data-testid="kb-doc-row"][data-name="hours.md"]');
    await row.waitFor(WAIT);
    expect(Number(await page.getByTestId('kb-summary-ready').getAttribute('data-count'))).toBe(1);
    for (const id of ['kb-upload-choose', 'kb-ask-input', 'kb-reindex-all'])
      expect(await page.getByTestId(id).isVisible(), id).toBe(false);
    expect(await row.getByTestId('kb-doc-delete').isVisible()).toBe(false);
    expect(await row.getByTestId('kb-doc-reindex').isVisible()).toBe(false);
    // Its chunks, and what a question retrieves, come through the host's support door.
    await row.getByTestId('kb-doc-chunks').click();
    await expect.poll(() => page.getByTestId('kb-chunks-dialog').textContent(), WAIT).toContain('Толе би');
    await page.getByTestId('kb-chunks-close').click();
    await page.getByTestId('kb-search-input').fill('Во сколько открывается магазин в субботу?');
    await page.getByTestId('kb-search-run').click();
    await page.getByTestId('kb-search-result').waitFor(WAIT);
    expect(Number(await page.getByTestId('kb-search-result').getAttribute('data-hits'))).toBeGreaterThan(0);
    expect(await page.getByTestId('kb-search-hit').first().textContent()).toContain('hours.md');
    expect(await page.getByTestId('kb-live-off').count()).toBe(0);
    await shotLong('e2e-support-04-knowledge-en');
  }, 120_000);

  it('in Russian', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-language').selectOption('ru');
    await expect
      .poll(() => page.getByTestId('support-banner').textContent(), WAIT)
      .toContain('Консоль поддержки');
    await page.getByTestId('nav-audit').click();
    await expect
      .poll(() => page.getByTestId('support-locked').textContent(), WAIT)
      .toContain('для операторов');
    await shot('e2e-support-05-locked-ru');
    await page.getByTestId('nav-fleet').click();
    await expect
      .poll(() => page.getByTestId(`health-tenant-state-${slug}`).textContent(), WAIT)
      .not.toBe('Healthy');
    await shotLong('e2e-support-06-fleet-ru');
  }, 120_000);
});
