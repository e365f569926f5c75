import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeApi, ok } from '../helpers/fakeApi';
import { commands } from '../../src/shared/contract';
import type {
  AppEvent,
  CommandName,
  ModuleInfo,
  Result,
  TenantView,
  TrufflesApi,
} from '../../src/shared/contract';
import { setApi } from '../../src/renderer/src/api';
import { initI18n } from '../../src/renderer/src/i18n';
import { ruSchemaMessages } from '../../src/renderer/src/i18n/ru';
import { resetConsoleSubscriptions, useConsole } from '../../src/renderer/src/app/store';
import {
  CREATE_STEPS,
  appendLog,
  blockingErrors,
  changePlan,
  createInputFromDraft,
  emptyTenantDraft,
  filterTenants,
  generatedEnv,
  hashForTenantRoute,
  initialProgress,
  operatorEnv,
  previewDomain,
  reduceProgress,
  selectModules,
  serviceTone,
  tenantRouteFromHash,
  tenantTone,
  toggleModule,
  validateSlug,
  validateWizard,
} from '../../src/renderer/src/features/tenants/tenants';
import type { CreateProgress, TenantDraft } from '../../src/renderer/src/features/tenants/tenants';
import { resetTenantsSubscriptions, useTenants } from '../../src/renderer/src/features/tenants/tenantsStore';
import { hostView } from '../helpers/views';

type Env = ModuleInfo['env'][number];

function mod(
  name: string,
  tier: ModuleInfo['tier'] = 'all',
  over: { status?: ModuleInfo['status']; depends?: string[]; env?: Env[] } = {},
): ModuleInfo {
  return {
    name,
    version: '1.0.0',
    title: { en: `${name} title`, ru: `${name} заголовок` },
    description: { en: `${name} does things`, ru: `${name} делает` },
    tier,
    status: over.status ?? 'available',
    depends: over.depends ?? [],
    env: over.env ?? [],
  };
}

const env = (name: string, o: Partial<Env> = {}): Env => ({
  name,
  description: `${name} description`,
  secret: false,
  source: 'operator',
  required: false,
  ...o,
});

/** Shaped like the real catalog, plus a few cases it does not have (yet). */
const CATALOG: ModuleInfo[] = [
  mod('core_chat', 'all', {
    env: [
      env('TRUFFLES_API_KEY', { source: 'generate', secret: true, required: true }),
      env('OPENAI_API_KEY', { secret: true }),
    ],
  }),
  mod('core_admin', 'all', { depends: ['core_chat'] }),
  mod('channel_whatsapp', 'all', {
    depends: ['core_chat'],
    env: [
      env('WHATSAPP_PHONE_NUMBER_ID', { required: true }),
      env('WHATSAPP_ACCESS_TOKEN', { required: true, secret: true }),
      env('WHATSAPP_VERIFY_TOKEN', { source: 'generate', secret: true, required: true }),
    ],
  }),
  mod('integration_kaspi', 'pro', {
    depends: ['core_chat'],
    env: [env('KASPI_MERCHANT_ID', { required: true })],
  }),
  mod('crm_sync', 'all', { depends: ['contacts'] }),
  mod('contacts', 'all', { env: [env('OPENAI_API_KEY', { required: true, secret: true })] }),
  mod('reports', 'all', { depends: ['warehouse'] }),
  mod('warehouse', 'enterprise'),
  mod('channel_telegram', 'pro', { status: 'planned', depends: ['core_chat'] }),
  mod('needs_planned', 'all', { depends: ['channel_telegram'] }),
];

const draft = (over: Partial<TenantDraft> = {}): TenantDraft => ({
  ...emptyTenantDraft,
  slug: 'acme-shop',
  host: 'sb',
  ...over,
});

function tenant(over: Partial<TenantView> = {}): TenantView {
  return {
    host: 'sb',
    slug: 'acme',
    plan: 'starter',
    domain: 'acme.bots.test',
    modules: [
      { name: 'core_chat', version: '1.0.0' },
      { name: 'core_admin', version: '1.0.0' },
    ],
    templateVersion: '1',
    images: {},
    state: 'running',
    createdAt: '2026-01-01T00:00:00Z',
    createdBy: 'ops@laptop',
    updatedAt: '2026-01-01T00:00:00Z',
    lastOperation: {
      kind: 'create',
      state: 'succeeded',
      actor: 'ops@laptop',
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:00:40Z',
      step: null,
      error: null,
    },
    ...over,
  };
}

describe('wizard: modules', () => {
  it('the base modules are always in, in dependency order, and locked', () => {
    const s = selectModules(CATALOG, 'starter', []);
    expect(s.included).toEqual(['core_chat', 'core_admin']);
    expect(s.states['core_chat']).toEqual({ kind: 'base' });
    expect(s.states['core_admin']).toEqual({ kind: 'base' });
    // Unticking a base module does nothing.
    expect(toggleModule(draft(), CATALOG, 'core_chat', false)).toEqual(draft());
  });

  it('choosing a module auto-includes its dependencies, saying which module needs them', () => {
    const d = toggleModule(draft(), CATALOG, 'crm_sync', true);
    expect(d.modules).toEqual(['crm_sync']);
    const s = selectModules(CATALOG, d.plan, d.modules);
    expect(s.included).toEqual(['core_chat', 'core_admin', 'contacts', 'crm_sync']);
    expect(s.states['crm_sync']).toEqual({ kind: 'chosen' });
    expect(s.states['contacts']).toEqual({ kind: 'dependency', neededBy: ['crm_sync'] });
    // A dependency cannot be unticked while something needs it…
    expect(toggleModule(d, CATALOG, 'contacts', false)).toBe(d);
    // …and goes when the module that needed it goes.
    const off = toggleModule(d, CATALOG, 'crm_sync', false);
    expect(selectModules(CATALOG, off.plan, off.modules).states['contacts']).toEqual({ kind: 'optional' });
    // What is sent: the chosen module and its dependency, not the base modules (the core adds those).
    expect(createInputFromDraft({ ...d, env: { OPENAI_API_KEY: 'sk-1' } }, CATALOG).modules).toEqual([
      'contacts',
      'crm_sync',
    ]);
  });

  it('modules above the plan are gated, also through a dependency, and a lower plan drops them', () => {
    const starter = selectModules(CATALOG, 'starter', []);
    expect(starter.states['integration_kaspi']).toEqual({ kind: 'tier', needs: 'pro', via: null });
    expect(starter.states['warehouse']).toEqual({ kind: 'tier', needs: 'enterprise', via: null });
    expect(starter.states['reports']).toEqual({ kind: 'tier', needs: 'enterprise', via: 'warehouse' });
    expect(toggleModule(draft(), CATALOG, 'integration_kaspi', true).modules).toEqual([]);

    const pro = toggleModule(draft({ plan: 'pro' }), CATALOG, 'integration_kaspi', true);
    expect(pro.modules).toEqual(['integration_kaspi']);
    expect(selectModules(CATALOG, 'pro', pro.modules).states['integration_kaspi']).toEqual({
      kind: 'chosen',
    });
    expect(selectModules(CATALOG, 'pro', []).states['reports']).toMatchObject({
      kind: 'tier',
      needs: 'enterprise',
    });
    expect(selectModules(CATALOG, 'enterprise', []).states['reports']).toEqual({ kind: 'optional' });

    const { draft: down, dropped } = changePlan(pro, CATALOG, 'starter');
    expect(dropped).toEqual(['integration_kaspi']);
    expect(down.modules).toEqual([]);
    expect(down.plan).toBe('starter');
    expect(changePlan(pro, CATALOG, 'enterprise').dropped).toEqual([]);
  });

  it('planned modules, and modules needing one, cannot be chosen on any plan', () => {
    const s = selectModules(CATALOG, 'enterprise', ['channel_telegram', 'needs_planned']);
    expect(s.states['channel_telegram']).toEqual({ kind: 'planned' });
    expect(s.states['needs_planned']).toEqual({ kind: 'blocked', via: 'channel_telegram' });
    expect(s.included).not.toContain('channel_telegram');
    expect(toggleModule(draft({ plan: 'enterprise' }), CATALOG, 'channel_telegram', true).modules).toEqual(
      [],
    );
  });
});

describe('wizard: settings the operator gives', () => {
  it('lists the operator variables of the included modules, required ones marked, never the generated ones', () => {
    const base = selectModules(CATALOG, 'starter', []).included;
    expect(operatorEnv(CATALOG, base)).toEqual([
      {
        name: 'OPENAI_API_KEY',
        description: 'OPENAI_API_KEY description',
        secret: true,
        required: false,
        modules: ['core_chat'],
      },
    ]);
    expect(generatedEnv(CATALOG, base)).toEqual(['TRUFFLES_API_KEY']);

    const wa = selectModules(CATALOG, 'starter', ['channel_whatsapp']).included;
    const fields = operatorEnv(CATALOG, wa);
    expect(fields.map((f) => [f.name, f.required, f.secret])).toEqual([
      ['OPENAI_API_KEY', false, true],
      ['WHATSAPP_PHONE_NUMBER_ID', true, false],
      ['WHATSAPP_ACCESS_TOKEN', true, true],
    ]);
    // A variable two modules use is required when either requires it.
    const both = operatorEnv(CATALOG, selectModules(CATALOG, 'starter', ['contacts']).included);
    expect(both.find((f) => f.name === 'OPENAI_API_KEY')).toMatchObject({
      required: true,
      modules: ['core_chat', 'contacts'],
    });
  });

  it('a required value missing stops the create; a value the contract refuses shows its message', () => {
    const hosts = [hostView({ name: 'sb', baseDomain: 'bots.test' })];
    const d = draft({ modules: ['channel_whatsapp'] });
    const e1 = validateWizard(d, CATALOG, hosts, [], 'en');
    expect(blockingErrors(e1).sort()).toEqual(['env:WHATSAPP_ACCESS_TOKEN', 'env:WHATSAPP_PHONE_NUMBER_ID']);
    expect(e1['env:WHATSAPP_ACCESS_TOKEN']).toEqual({
      kind: 'ui',
      key: 'wizard.errors.envRequired',
      values: { modules: 'channel_whatsapp title' },
    });
    const filled = { ...d, env: { WHATSAPP_PHONE_NUMBER_ID: '1234', WHATSAPP_ACCESS_TOKEN: "it's" } };
    const e2 = validateWizard(filled, CATALOG, hosts, []);
    expect(blockingErrors(e2)).toEqual(['env:WHATSAPP_ACCESS_TOKEN']);
    expect(e2['env:WHATSAPP_ACCESS_TOKEN']).toEqual({
      kind: 'schema',
      message: 'Values are one line without single quotes.',
    });
    const good = { ...filled, env: { ...filled.env, WHATSAPP_ACCESS_TOKEN: 'EAAG-token', STRAY: 'x' } };
    expect(blockingErrors(validateWizard(good, CATALOG, hosts, []))).toEqual([]);
    // What is sent passes the contract: only the included modules' values, none empty, no strays.
    const input = createInputFromDraft(good, CATALOG);
    expect(input.env).toEqual({ WHATSAPP_PHONE_NUMBER_ID: '1234', WHATSAPP_ACCESS_TOKEN: 'EAAG-token' });
    expect(commands['tenants.create'].input.safeParse(input).success).toBe(true);
  });
});

describe('wizard: slug, host and domain', () => {
  const message = (slug: string): string | undefined => {
    const e = validateSlug(slug, 'sb', []);
    return e?.kind === 'schema' ? e.message : undefined;
  };

  it('shows the contract’s own message for each bad slug, in Russian too', () => {
    expect(message('ab')).toMatch(/shorter than 3/);
    expect(message('')).toMatch(/shorter than 3/);
    expect(message('x'.repeat(33))).toMatch(/longer than 32/);
    expect(message('Acme')).toMatch(/only lower-case latin letters/);
    expect(message('1acme')).toMatch(/must start with a letter/);
    expect(message('acme_shop')).toMatch(/only lower-case/);
    expect(message('acme-')).toMatch(/must not end with "-"/);
    expect(message('ac--me')).toMatch(/must not contain "--"/);
    expect(message('admin')).toMatch(/reserved/);
    // The console's own compose projects (the edge, drills) are never a new tenant's (issue 11).
    expect(message('truffles-edge')).toMatch(/reserved for the console's own stacks/);
    expect(message('drill-a1b2c3')).toMatch(/reserved for the console's own stacks/);
    expect(validateSlug('e2e-a1b2c3', 'sb', [])).toBeUndefined();
    const all = ['ab', 'x'.repeat(33), 'Acme', 'acme-', 'ac--me', 'admin', 'truffles-edge'].map(message);
    for (const m of all) expect(ruSchemaMessages[m ?? ''], m).toBeTruthy();
  });

  it('a slug used anywhere in the fleet is refused; an interrupted create on the same host is a note', () => {
    const fleet = [
      tenant({ slug: 'acme', host: 'other' }),
      tenant({ slug: 'half', host: 'sb', state: 'creating' }),
    ];
    expect(validateSlug('acme', 'sb', fleet)).toEqual({
      kind: 'ui',
      key: 'wizard.errors.slugTaken',
      values: { slug: 'acme', host: 'other' },
    });
    const note = validateSlug('half', 'sb', fleet);
    expect(note).toMatchObject({ key: 'wizard.errors.slugResumable' });
    const errors = validateWizard(
      draft({ slug: 'half' }),
      CATALOG,
      [hostView({ name: 'sb', baseDomain: 'b.kz' })],
      fleet,
    );
    expect(errors['slug']).toEqual(note);
    expect(blockingErrors(errors)).toEqual([]);
    // On another host it is someone else's tenant.
    expect(validateSlug('half', 'elsewhere', fleet)).toMatchObject({ key: 'wizard.errors.slugTaken' });
  });

  it('previews <slug>.<base domain>; an override must be a domain; without a base domain it is required', () => {
    const withBase = hostView({ name: 'sb', baseDomain: 'bots.test' });
    const noBase = hostView({ name: 'bare', baseDomain: null });
    expect(previewDomain(draft(), withBase)).toBe('acme-shop.bots.test');
    expect(previewDomain(draft({ domain: ' Bot.Example.KZ ' }), withBase)).toBe('bot.example.kz');
    expect(previewDomain(draft(), noBase)).toBeNull();
    expect(validateWizard(draft({ domain: 'not a domain' }), CATALOG, [withBase], [])['domain']).toEqual({
      kind: 'schema',
      message: 'Give a DNS domain such as bots.example.kz.',
    });
    expect(validateWizard(draft({ host: 'bare' }), CATALOG, [noBase], [])['domain']).toMatchObject({
      key: 'wizard.errors.domainRequired',
    });
    expect(validateWizard(draft({ host: 'gone' }), CATALOG, [withBase], [])['host']).toMatchObject({
      key: 'wizard.errors.hostMissing',
    });
    const unpinned = hostView({ name: 'sb', fingerprint: null, baseDomain: 'bots.test' });
    expect(validateWizard(draft(), CATALOG, [unpinned], [])['host']).toMatchObject({
      key: 'wizard.errors.hostUnusable',
    });
    const input = createInputFromDraft(draft({ domain: 'Bot.Example.KZ' }), CATALOG);
    expect(input).toEqual({
      slug: 'acme-shop',
      host: 'sb',
      plan: 'starter',
      modules: [],
      domain: 'bot.example.kz',
      env: {},
      keepOnFailure: false,
    });
    expect(createInputFromDraft(draft(), CATALOG)).not.toHaveProperty('domain');
  });
});

function progress(
  opId: string,
  step: string,
  state: 'running' | 'done' | 'failed',
  message?: string,
  title = 'Create tenant acme',
): AppEvent {
  return {
    type: 'progress',
    opId,
    title,
    step,
    stepIndex: CREATE_STEPS.indexOf(step as (typeof CREATE_STEPS)[number]),
    stepCount: CREATE_STEPS.length,
    state,
    ...(message ? { message } : {}),
  };
}

describe('progress of one create', () => {
  it('follows the first create of this slug and ignores every other operation', () => {
    let p: CreateProgress = initialProgress('acme');
    expect(p.steps.map((s) => s.step)).toEqual([...CREATE_STEPS]);
    // Another tenant's create, and events that are not progress, change nothing.
    p = reduceProgress(p, progress('other', 'validate', 'running', 'x', 'Create tenant acme-2'));
    p = reduceProgress(p, { type: 'hosts.changed' });
    expect(p.opId).toBeNull();
    expect(p.state).toBe('waiting');

    p = reduceProgress(p, progress('op1', 'validate', 'running', 'Check slug, modules and plan'));
    expect(p.opId).toBe('op1');
    expect(p.steps[0]).toMatchObject({
      state: 'running',
      title: 'Check slug, modules and plan',
      message: null,
    });
    p = reduceProgress(p, progress('op1', 'validate', 'done', 'core_chat, core_admin on sb'));
    expect(p.steps[0]).toMatchObject({ state: 'done', message: 'core_chat, core_admin on sb' });
    expect(p.percent).toBe(Math.round(100 / 15));

    // A second create of the same slug (another console) has another opId: ignored.
    const before = p;
    p = reduceProgress(p, progress('op2', 'lock', 'running', 'Take the tenant lock'));
    expect(p).toBe(before);

    p = reduceProgress(p, progress('op1', 'health', 'running', 'Wait until they are healthy'));
    p = reduceProgress(
      p,
      progress('op1', 'health', 'running', 'postgres healthy, qdrant starting, redis healthy'),
    );
    const health = p.steps[CREATE_STEPS.indexOf('health')];
    expect(health).toMatchObject({
      state: 'running',
      title: 'Wait until they are healthy',
      message: 'postgres healthy, qdrant starting, redis healthy',
    });
    // Steps before a running one are behind it.
    expect(p.steps.slice(0, 8).every((s) => s.state === 'done')).toBe(true);
    expect(p.percent).toBe(Math.round((8 / 15) * 100));
    expect(p.current).toBe(8);

    for (const step of CREATE_STEPS.slice(8)) {
      p = reduceProgress(p, progress('op1', step, 'running', step));
      p = reduceProgress(p, progress('op1', step, 'done'));
    }
    expect(p.state).toBe('done');
    expect(p.percent).toBe(100);
    expect(p.steps.every((s) => s.state === 'done')).toBe(true);
  });

  it('a failed step keeps the error; a retry follows a new opId and never the old one', () => {
    let p = initialProgress('acme');
    p = reduceProgress(p, progress('op1', 'validate', 'done'));
    p = reduceProgress(p, progress('op1', 'preflight', 'running', 'Check the host'));
    p = reduceProgress(p, progress('op1', 'preflight', 'failed', 'The edge (Traefik) is not running on sb.'));
    expect(p.state).toBe('failed');
    expect(p.steps[2]).toMatchObject({
      state: 'failed',
      message: 'The edge (Traefik) is not running on sb.',
    });

    let r = initialProgress('acme', ['op1']);
    r = reduceProgress(r, progress('op1', 'record', 'done'));
    expect(r.opId).toBeNull();
    r = reduceProgress(r, progress('op3', 'validate', 'running', 'Check'));
    expect(r.opId).toBe('op3');
  });
});

describe('log lines, colours, the list, routes', () => {
  it('keeps only this tenant’s log lines, and no more than the limit', () => {
    const line = (source: string, message: string): AppEvent => ({
      type: 'log',
      source,
      level: 'info',
      message,
      at: '2026-01-01T00:00:00Z',
    });
    let lines = appendLog([], line('tenant:acme', 'one'), 'acme', 1);
    lines = appendLog(lines, line('tenant:acme-2', 'not ours'), 'acme', 2);
    lines = appendLog(lines, line('tenant:acme', 'two'), 'acme', 3);
    expect(lines.map((l) => l.message)).toEqual(['one', 'two']);
    lines = appendLog(lines, line('tenant:acme', 'three'), 'acme', 4, 2);
    expect(lines.map((l) => l.message)).toEqual(['two', 'three']);
  });

  it('state colours mean something; an unhealthy service is amber, never green', () => {
    expect(tenantTone('running')).toBe('ok');
    expect(tenantTone('creating')).toBe('info');
    expect(tenantTone('failed')).toBe('error');
    expect(tenantTone('suspended')).toBe('unknown');
    expect(tenantTone('deleting')).toBe('warning');
    expect(serviceTone({ state: 'running', health: 'healthy' })).toBe('ok');
    expect(serviceTone({ state: 'running', health: 'starting' })).toBe('info');
    expect(serviceTone({ state: 'running', health: 'unhealthy' })).toBe('warning');
    expect(serviceTone({ state: 'missing', health: 'none' })).toBe('error');
    expect(serviceTone({ state: 'exited', health: 'unhealthy' })).toBe('error');
    expect(serviceTone({ state: 'restarting', health: 'none' })).toBe('warning');
  });

  it('filters by host and by every word typed', () => {
    const list = [
      tenant({ slug: 'acme', host: 'a' }),
      tenant({
        slug: 'shop',
        host: 'b',
        domain: 'shop.kz',
        modules: [{ name: 'channel_whatsapp', version: '1' }],
      }),
      tenant({ slug: 'cafe', host: 'b', state: 'failed' }),
    ];
    expect(filterTenants(list, { host: '', text: '' }).map((t) => t.slug)).toEqual(['acme', 'shop', 'cafe']);
    expect(filterTenants(list, { host: 'b', text: '' }).map((t) => t.slug)).toEqual(['shop', 'cafe']);
    expect(filterTenants(list, { host: '', text: 'WhatsApp' }).map((t) => t.slug)).toEqual(['shop']);
    expect(filterTenants(list, { host: 'b', text: 'failed cafe' }).map((t) => t.slug)).toEqual(['cafe']);
    expect(filterTenants(list, { host: 'a', text: 'shop' })).toEqual([]);
  });

  it('routes: list, wizard, a tenant page, and back', () => {
    expect(tenantRouteFromHash('#/tenants')).toEqual({ view: 'list' });
    expect(tenantRouteFromHash('#/tenants/new')).toEqual({ view: 'new' });
    expect(tenantRouteFromHash('#/tenants/sb/acme')).toEqual({ view: 'tenant', host: 'sb', slug: 'acme' });
    expect(tenantRouteFromHash('#/hosts')).toEqual({ view: 'list' });
    for (const r of [
      { view: 'list' },
      { view: 'new' },
      { view: 'tenant', host: 'a.b', slug: 'x-y' },
    ] as const)
      expect(tenantRouteFromHash(hashForTenantRoute(r))).toEqual(r);
  });
});

// ---------- the store with a fake core ----------

function tenantsApi() {
  const pending: ((r: Result<unknown>) => void)[] = [];
  const fake = fakeApi({
    'tenants.list': () => ok({ tenants: [], unreachable: [] }),
    'modules.catalog': () => ok(CATALOG),
    'tenants.create': () => new Promise<Result<unknown>>((resolve) => pending.push(resolve)),
  });
  return {
    ...fake,
    /** Answer the oldest create in flight. */
    finishCreate: (r: Result<unknown>) => pending.shift()?.(r),
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const initialConsole = useConsole.getState();
const initialTenants = useTenants.getState();

beforeEach(() => {
  initI18n('en');
  resetConsoleSubscriptions();
  resetTenantsSubscriptions();
  useConsole.setState(initialConsole, true);
  useTenants.setState(initialTenants, true);
});
afterEach(() => setApi(null));

describe('tenants store: a create followed live', () => {
  it('follows its own progress and logs, succeeds, and says so', async () => {
    const f = tenantsApi();
    setApi(f.api);
    const s = useTenants.getState();
    await s.loadCatalog();
    s.updateDraft({ slug: 'acme', host: 'sb' });
    const done = useTenants.getState().create();
    await flush();
    expect(f.calls.find((c) => c.name === 'tenants.create')?.input).toEqual({
      slug: 'acme',
      host: 'sb',
      plan: 'starter',
      modules: [],
      env: {},
      keepOnFailure: false,
    });
    f.emit(progress('other-op', 'validate', 'running', 'x', 'Create tenant acme-two'));
    f.emit(progress('op1', 'validate', 'running', 'Check'));
    f.emit({
      type: 'log',
      source: 'tenant:acme',
      level: 'info',
      message: 'Pulling…',
      at: '2026-01-01T00:00:00Z',
    });
    f.emit({
      type: 'log',
      source: 'tenant:acme-two',
      level: 'info',
      message: 'no',
      at: '2026-01-01T00:00:00Z',
    });
    f.emit(progress('op1', 'health', 'running', 'Wait until they are healthy'));
    f.emit(progress('op1', 'health', 'running', 'postgres healthy, qdrant starting'));
    let c = useTenants.getState().creation;
    expect(c?.phase).toBe('running');
    expect(c?.progress.opId).toBe('op1');
    expect(c?.logs.map((l) => l.message)).toEqual(['Pulling…']);
    expect(c?.progress.steps[8]?.message).toBe('postgres healthy, qdrant starting');

    f.finishCreate(ok(tenant({ slug: 'acme' })));
    await done;
    c = useTenants.getState().creation;
    expect(c?.phase).toBe('succeeded');
    expect(c?.progress.percent).toBe(100);
    expect(c?.result?.slug).toBe('acme');
    expect(useConsole.getState().toasts.map((t) => t.key)).toContain('toast.tenantCreated');
  });

  it('a failure keeps its error; Retry sends the same input again and follows the new opId only', async () => {
    const f = tenantsApi();
    setApi(f.api);
    await useTenants.getState().loadCatalog();
    useTenants.getState().updateDraft({ slug: 'acme', host: 'sb', keepOnFailure: true });
    const first = useTenants.getState().create();
    await flush();
    f.emit(progress('op1', 'validate', 'done'));
    f.emit(progress('op1', 'health', 'failed', 'Service qdrant of acme is unhealthy.'));
    f.finishCreate({
      ok: false,
      error: {
        code: 'tenant.unhealthy',
        message: 'Service qdrant of acme is unhealthy.',
        hint: 'Look at its logs',
      },
    });
    await first;
    let c = useTenants.getState().creation;
    expect(c?.phase).toBe('failed');
    expect(c?.error).toMatchObject({ code: 'tenant.unhealthy', hint: 'Look at its logs' });
    expect(c?.progress.steps[8]?.state).toBe('failed');

    // Meanwhile the user edits the draft: the retry still sends what was created.
    useTenants.getState().updateDraft({ slug: 'changed' });
    const again = useTenants.getState().retry();
    await flush();
    const creates = f.calls.filter((x) => x.name === 'tenants.create');
    expect(creates).toHaveLength(2);
    expect(creates[1]?.input).toEqual(creates[0]?.input);
    f.emit(progress('op1', 'record', 'done')); // a late event of the failed attempt
    c = useTenants.getState().creation;
    expect(c?.attempt).toBe(2);
    expect(c?.progress.opId).toBeNull();
    f.emit(progress('op2', 'validate', 'running', 'Check'));
    expect(useTenants.getState().creation?.progress.opId).toBe('op2');
    expect(useTenants.getState().creation?.logs.some((l) => l.retry === 2)).toBe(true);
    f.finishCreate(ok(tenant({ slug: 'acme' })));
    await again;
    expect(useTenants.getState().creation?.phase).toBe('succeeded');
  });

  it('delete sends the typed confirmation, drops the tenant and goes back to the list', async () => {
    const f = tenantsApi();
    setApi(f.api);
    useTenants.setState({ tenants: [tenant({ slug: 'acme' }), tenant({ slug: 'keep' })], loaded: true });
    useTenants.getState().setRoute({ view: 'tenant', host: 'sb', slug: 'acme' });
    const answers = f.api.invoke;
    const sent: unknown[] = [];
    f.api.invoke = ((name: CommandName, input: unknown) => {
      if (name !== 'tenants.delete') return answers(name as 'tenants.list', input as never);
      sent.push(input);
      return Promise.resolve(ok({ deleted: true, finalBackupId: '20261125T010203Z-final' }));
    }) as TrufflesApi['invoke'];
    expect(await useTenants.getState().deleteTenant('sb', 'acme', 'acme')).toBe(true);
    expect(sent).toEqual([{ slug: 'acme', host: 'sb', confirm: 'acme', skipFinalBackup: false }]);
    expect(useTenants.getState().tenants.map((t) => t.slug)).toEqual(['keep']);
    expect(useTenants.getState().route).toEqual({ view: 'list' });
    const toast = useConsole.getState().toasts.find((t) => t.key === 'toast.tenantDeletedWithBackup');
    expect(toast?.values).toMatchObject({ slug: 'acme', backupId: '20261125T010203Z-final' });
  });

  it('delete without a final backup says so, and the toast names none', async () => {
    const f = tenantsApi();
    setApi(f.api);
    useTenants.setState({ tenants: [tenant({ slug: 'acme' })], loaded: true });
    const answers = f.api.invoke;
    const sent: unknown[] = [];
    f.api.invoke = ((name: CommandName, input: unknown) => {
      if (name !== 'tenants.delete') return answers(name as 'tenants.list', input as never);
      sent.push(input);
      return Promise.resolve(ok({ deleted: true, finalBackupId: null }));
    }) as TrufflesApi['invoke'];
    expect(await useTenants.getState().deleteTenant('sb', 'acme', 'acme', true)).toBe(true);
    expect(sent).toEqual([{ slug: 'acme', host: 'sb', confirm: 'acme', skipFinalBackup: true }]);
    expect(useConsole.getState().toasts.map((t) => t.key)).toContain('toast.tenantDeleted');
    expect(useConsole.getState().toasts.map((t) => t.key)).not.toContain('toast.tenantDeletedWithBackup');
  });
});
