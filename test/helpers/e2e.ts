import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { Core } from '../../src/main/core/core';
import type { CoreOptions } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { startWebServer, type WebServer } from '../../src/main/web/server';
import { checkBrowserPrerequisites, openBrowser, STATIC } from './browser';
import { sandbox } from './sandbox';
import { tenantHost } from './tenants';
import { tempDir } from './tmp';

/** The app's status tokens, as the browser computes them. */
export const TONE = {
  green: 'rgb(26, 127, 55)',
  red: 'rgb(196, 37, 47)',
  amber: 'rgb(138, 90, 0)',
} as const;

/** One end-to-end world: a real core in browser mode with its own home, served to Debian's Chromium. */
export interface E2EWorld {
  /** The test's own folder (the core's home and the operator's SSH files are inside). */
  dir: string;
  core: Core;
  server: WebServer;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/**
 * Start a console as a person would open it in browser mode: the real core (its own home, the
 * operator's SSH files under the test's folder), its web server and a Chromium page. The test then
 * prepares what it needs through `core` (the page is not opened yet); `close` ends it all and
 * removes the folder. The test host must be up.
 */
export async function openConsole(opts: {
  passphrase: string;
  core?: Partial<Pick<CoreOptions, 'tenantOptions' | 'policy' | 'healthOptions' | 'kbOptions'>>;
}): Promise<E2EWorld> {
  sandbox();
  checkBrowserPrerequisites();
  const t = tempDir();
  const opened: Partial<E2EWorld> = {};
  const close = async (): Promise<void> => {
    await opened.browser?.close();
    await opened.server?.close();
    await opened.core?.close();
    t.cleanup();
  };
  try {
    const core = new Core({
      home: join(t.dir, 'home'),
      secrets: new PassphraseProvider(async () => opts.passphrase),
      mode: 'web',
      hostOptions: { sshHome: join(t.dir, 'operator') },
      ...opts.core,
    });
    opened.core = core;
    const server = await startWebServer({ core, staticDir: STATIC, port: 0 });
    opened.server = server;
    const { browser, page } = await openBrowser();
    return { dir: t.dir, core, server, browser, page, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/**
 * An end-to-end world with one tenant on the test host, as most screens' tests need it: the console
 * (`openConsole`), the host prepared as an operator would (`tenantHost`: base domain, image
 * catalog, edge), the host agent when `agent` is set, `beforeTenant` (the test's own setup), then
 * the tenant `slug` (plan starter, base modules, `env`) created through the core. `close` deletes
 * the tenant — a failed run must not leave it on the shared test host — and ends the world; a
 * setup that fails part-way does the same before it throws.
 */
export async function openTenantConsole(opts: {
  passphrase: string;
  host: string;
  slug: string;
  env?: Record<string, string>;
  agent?: boolean;
  hostLabels?: Record<string, string>;
  core?: Parameters<typeof openConsole>[0]['core'];
  beforeTenant?: (w: E2EWorld) => Promise<unknown>;
}): Promise<E2EWorld> {
  const w = await openConsole({ passphrase: opts.passphrase, ...(opts.core ? { core: opts.core } : {}) });
  let creating = false;
  const close = async (): Promise<void> => {
    if (creating) await w.core.tenants.delete(opts.slug, opts.slug, opts.host).catch(() => undefined);
    await w.close();
  };
  try {
    await tenantHost(w.core, opts.host, opts.hostLabels ? { labels: opts.hostLabels } : {});
    if (opts.agent) await w.core.call('agent.install', { host: opts.host });
    await opts.beforeTenant?.(w);
    creating = true;
    await w.core.tenants.create({
      slug: opts.slug,
      host: opts.host,
      plan: 'starter',
      modules: [],
      env: opts.env ?? {},
      keepOnFailure: false,
    });
    return { ...w, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/**
 * What a chart shows a person: its line's segments (a path that goes somewhere after its first
 * point) plus the dots of samples with no neighbour. 0 means nothing visible is drawn.
 */
export async function visibleMarks(chart: Locator): Promise<number> {
  let paths = 0;
  for (const path of await chart.locator('svg path.recharts-curve').all())
    if (/[LC]/.test((await path.getAttribute('d')) ?? '')) paths++;
  const dots = await chart.locator('svg circle').count();
  return paths + dots;
}
