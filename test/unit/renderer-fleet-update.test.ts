import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeApi, fail, ok } from '../helpers/fakeApi';
import { commands } from '../../src/shared/contract';
import type { AppEvent, Result, TenantView } from '../../src/shared/contract';
import { setApi } from '../../src/renderer/src/api';
import {
  emptyFleetDraft,
  finishFleet,
  fleetInputFromDraft,
  fleetStateBusy,
  fleetStateTone,
  initialFleetRun,
  knownLabels,
  newOpId,
  reduceFleet,
  selectedTenants,
  setModuleChange,
  tallyFleet,
} from '../../src/renderer/src/features/fleet/fleetUpdate';
import type {
  FleetDraft,
  FleetInput,
  FleetRowState,
  FleetRun,
} from '../../src/renderer/src/features/fleet/fleetUpdate';
import {
  resetFleetUpdateSubscriptions,
  useFleetUpdate,
} from '../../src/renderer/src/features/fleet/fleetUpdateStore';
import { initI18n } from '../../src/renderer/src/i18n';
import { resetConsoleSubscriptions, useConsole } from '../../src/renderer/src/app/store';
import { hostView } from '../helpers/views';

const AT = '2026-11-25T12:00:00Z';
const INPUT: FleetInput = { selection: { host: 'sb' }, concurrency: 2, stopAfterFailures: 1, opId: 'op1' };

const ev = (slug: string, state: FleetRowState, detail = '', opId = 'op1', host = 'sb'): AppEvent => ({
  type: 'fleet.progress',
  opId,
  host,
  slug,
  state,
  detail,
});

function apply(run: FleetRun, events: AppEvent[]): FleetRun {
  return events.reduce(reduceFleet, run);
}

function tenant(slug: string, host = 'sb'): TenantView {
  return {
    host,
    slug,
    plan: 'starter',
    domain: `${slug}.bots.test`,
    modules: [],
    templateVersion: '1',
    images: {},
    state: 'running',
    createdAt: AT,
    createdBy: 'ops@laptop',
    updatedAt: AT,
    lastOperation: {
      kind: 'create',
      state: 'succeeded',
      actor: 'ops@laptop',
      startedAt: AT,
      finishedAt: AT,
      step: null,
      error: null,
    },
  };
}

const draft = (over: Partial<FleetDraft> = {}): FleetDraft => ({ ...emptyFleetDraft, ...over });

describe('fleet progress, reduced from events', () => {
  it('follows only its own opId; rows keep the order they were first heard of', () => {
    let run = initialFleetRun('op1', INPUT, 3, AT);
    run = apply(run, [
      ev('acme', 'queued'),
      ev('beta', 'queued'),
      ev('zeta', 'queued', '', 'other-op'),
      { type: 'tenants.changed', host: 'sb' },
      ev('gamma', 'queued'),
      ev('beta', 'backup', 'Backing up beta'),
      ev('acme', 'backup'),
      ev('acme', 'updating', 'Pulling images'),
    ]);
    expect(run.rows.map((r) => [r.slug, r.state, r.detail])).toEqual([
      ['acme', 'updating', 'Pulling images'],
      ['beta', 'backup', 'Backing up beta'],
      ['gamma', 'queued', ''],
    ]);
    // An event of another operation changes nothing, not even the object.
    expect(reduceFleet(run, ev('acme', 'failed', 'x', 'other-op'))).toBe(run);
  });

  it('counts finished tenants of all expected ones for the bar; a final state is not undone by a late event', () => {
    let run = initialFleetRun('op1', INPUT, 4, AT);
    expect(tallyFleet(run)).toMatchObject({ total: 4, finished: 0, percent: 0 });
    run = apply(run, [
      ev('a', 'queued'),
      ev('b', 'queued'),
      ev('c', 'queued'),
      ev('a', 'backup'),
      ev('a', 'updating'),
      ev('a', 'health'),
      ev('a', 'updated', 'healthy in 12 s'),
      ev('b', 'backup'),
      ev('b', 'updating'),
      ev('b', 'rolling-back', 'n8n unhealthy'),
      ev('b', 'rolled-back', 'restored 20261125T120000Z-pre-update'),
      ev('a', 'health', 'late'),
    ]);
    expect(run.rows.find((r) => r.slug === 'a')).toMatchObject({
      state: 'updated',
      detail: 'healthy in 12 s',
    });
    // 2 of 4 expected (the preview said 4, the core has named 3 so far).
    expect(tallyFleet(run)).toMatchObject({
      total: 4,
      finished: 2,
      updated: 1,
      rolledBack: 1,
      failed: 0,
      queued: 1,
      percent: 50,
    });
    run = apply(run, [
      ev('c', 'backup'),
      ev('c', 'failed', 'backup failed: disk full'),
      ev('d', 'skipped', 'suspended'),
    ]);
    expect(tallyFleet(run)).toMatchObject({ total: 4, finished: 4, failed: 1, skipped: 1, percent: 100 });
  });

  it('the returned outcomes are final, even for missed events; queued ones never reached are skipped', () => {
    let run = initialFleetRun('op1', INPUT, 3, AT);
    run = apply(run, [ev('a', 'queued'), ev('b', 'queued'), ev('c', 'queued'), ev('a', 'updating')]);
    run = finishFleet(
      run,
      {
        outcomes: [
          {
            host: 'sb',
            slug: 'a',
            outcome: 'failed',
            backupId: '20261125T120000Z-pre-update',
            detail: 'n8n did not start',
            seconds: 31.5,
          },
          { host: 'sb', slug: 'x', outcome: 'updated', backupId: null, detail: '', seconds: 4 },
        ],
        stopped: true,
      },
      AT,
    );
    expect(run.phase).toBe('done');
    expect(run.stopped).toBe(true);
    expect(run.rows.map((r) => [r.slug, r.state])).toEqual([
      ['a', 'failed'],
      ['b', 'skipped'],
      ['c', 'skipped'],
      ['x', 'updated'],
    ]);
    expect(run.rows[0]).toMatchObject({ backupId: '20261125T120000Z-pre-update', seconds: 31.5 });
    expect(tallyFleet(run)).toMatchObject({ total: 4, finished: 4, percent: 100, failed: 1, skipped: 2 });
  });

  it('colours: updated green, rolled back amber, failed red, skipped grey; working ones blue with a spinner', () => {
    expect(fleetStateTone('updated')).toBe('ok');
    expect(fleetStateTone('rolled-back')).toBe('warning');
    expect(fleetStateTone('failed')).toBe('error');
    expect(fleetStateTone('skipped')).toBe('unknown');
    expect(fleetStateTone('queued')).toBe('unknown');
    for (const s of ['backup', 'updating', 'health'] as const) expect(fleetStateTone(s)).toBe('info');
    expect(fleetStateTone('rolling-back')).toBe('warning');
    expect(
      ['queued', 'backup', 'updating', 'health', 'rolling-back', 'updated'].map((s) =>
        fleetStateBusy(s as FleetRowState),
      ),
    ).toEqual([false, true, true, true, true, false]);
  });
});

describe('fleet update form', () => {
  it('a module is added or removed, never both', () => {
    let d = draft();
    d = { ...d, ...setModuleChange(d, 'channel_whatsapp', 'add') };
    d = { ...d, ...setModuleChange(d, 'integration_kaspi', 'remove') };
    expect([d.addModules, d.removeModules]).toEqual([['channel_whatsapp'], ['integration_kaspi']]);
    d = { ...d, ...setModuleChange(d, 'channel_whatsapp', 'remove') };
    expect([d.addModules, d.removeModules]).toEqual([[], ['channel_whatsapp', 'integration_kaspi']]);
    d = { ...d, ...setModuleChange(d, 'integration_kaspi', null) };
    expect([d.addModules, d.removeModules]).toEqual([[], ['channel_whatsapp']]);
  });

  it('previews the tenants of a host, of hosts with a label, or the ticked ones', () => {
    const hosts = [
      hostView({ name: 'sb', labels: { region: 'almaty' } }),
      hostView({ name: 'far', labels: { region: 'astana' } }),
    ];
    const tenants = [tenant('acme'), tenant('beta'), tenant('gamma', 'far')];
    expect(selectedTenants(draft({ mode: 'host', host: 'far' }), tenants, hosts).map((t) => t.slug)).toEqual([
      'gamma',
    ]);
    expect(selectedTenants(draft({ mode: 'host', host: '' }), tenants, hosts)).toEqual([]);
    expect(
      selectedTenants(draft({ mode: 'label', label: 'region=almaty' }), tenants, hosts).map((t) => t.slug),
    ).toEqual(['acme', 'beta']);
    expect(selectedTenants(draft({ mode: 'label', label: 'region=nowhere' }), tenants, hosts)).toEqual([]);
    expect(
      selectedTenants(draft({ mode: 'tenants', slugs: ['gamma', 'acme'] }), tenants, hosts).map(
        (t) => t.slug,
      ),
    ).toEqual(['acme', 'gamma']);
    expect(knownLabels(hosts)).toEqual(['region=almaty', 'region=astana']);
  });

  it('says what is missing or out of range, and builds an input the contract accepts', () => {
    expect(fleetInputFromDraft(draft({ mode: 'host' }), 'op')).toEqual({
      ok: false,
      errors: { host: { key: 'updates.errors.host' } },
    });
    expect(fleetInputFromDraft(draft({ mode: 'label', label: 'region' }), 'op')).toEqual({
      ok: false,
      errors: { label: { schema: 'A label is key=value.' } },
    });
    expect(fleetInputFromDraft(draft({ mode: 'tenants' }), 'op')).toEqual({
      ok: false,
      errors: { slugs: { key: 'updates.errors.slugs' } },
    });
    for (const concurrency of ['0', '17', 'x', '1.5', ''])
      expect(fleetInputFromDraft(draft({ host: 'sb', concurrency }), 'op'), concurrency).toMatchObject({
        ok: false,
        errors: { concurrency: { key: 'updates.errors.concurrency' } },
      });
    expect(fleetInputFromDraft(draft({ host: 'sb', stopAfterFailures: '0' }), 'op')).toMatchObject({
      ok: false,
      errors: { stopAfterFailures: {} },
    });
    const r = fleetInputFromDraft(
      draft({
        mode: 'label',
        label: 'region=almaty',
        addModules: ['channel_whatsapp'],
        concurrency: '4',
        stopAfterFailures: '2',
      }),
      'fleet-abc',
    );
    expect(r).toEqual({
      ok: true,
      input: {
        selection: { label: 'region=almaty' },
        addModules: ['channel_whatsapp'],
        removeModules: [],
        concurrency: 4,
        stopAfterFailures: 2,
        opId: 'fleet-abc',
      },
    });
    if (r.ok) expect(commands['fleet.update'].input.safeParse(r.input).success).toBe(true);
  });

  it('op ids are fresh and fit the contract', () => {
    const a = newOpId();
    const b = newOpId();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^fleet-[a-z0-9]+-[0-9a-f]{12}$/);
    expect(a.length).toBeLessThanOrEqual(80);
  });
});

// ---------- the store, against a fake core ----------

const flush = () => new Promise((r) => setTimeout(r, 0));
const initialConsole = useConsole.getState();
const initialFleet = useFleetUpdate.getState();

beforeEach(() => {
  initI18n('en');
  resetConsoleSubscriptions();
  resetFleetUpdateSubscriptions();
  useConsole.setState(initialConsole, true);
  useFleetUpdate.setState(initialFleet, true);
});
afterEach(() => setApi(null));

describe('fleet update store', () => {
  it('starts with a fresh opId, shows live rows of that opId only, then the outcomes', async () => {
    let finish: (r: Result<unknown>) => void = () => {};
    const f = fakeApi({
      'fleet.update': () =>
        new Promise<Result<unknown>>((resolve) => {
          finish = resolve;
        }),
    });
    setApi(f.api);
    const s = useFleetUpdate.getState();
    s.updateDraft({ mode: 'tenants', concurrency: '2' });
    s.toggleSlug('beta', true);
    s.toggleSlug('acme', true);
    s.setModule('channel_whatsapp', 'add');
    const done = useFleetUpdate.getState().start(2);
    await flush();
    const input = f.calls.find((c) => c.name === 'fleet.update')?.input as FleetInput;
    expect(input).toMatchObject({
      selection: { slugs: ['acme', 'beta'] },
      addModules: ['channel_whatsapp'],
      removeModules: [],
      concurrency: 2,
      stopAfterFailures: 1,
    });
    const opId = input.opId as string;
    expect(opId).toMatch(/^fleet-/);
    expect(useFleetUpdate.getState().busy).toBe(true);
    expect(useFleetUpdate.getState().run).toMatchObject({ opId, phase: 'running', expected: 2 });
    // A second Start while it runs does nothing.
    await useFleetUpdate.getState().start(2);
    expect(f.calls.filter((c) => c.name === 'fleet.update')).toHaveLength(1);

    f.emit(ev('acme', 'queued', '', opId));
    f.emit(ev('beta', 'queued', '', opId));
    f.emit(ev('acme', 'updating', 'Pulling', 'someone-elses-op'));
    f.emit(ev('acme', 'backup', 'pre-update backup', opId));
    let run = useFleetUpdate.getState().run;
    expect(run?.rows.map((r) => [r.slug, r.state])).toEqual([
      ['acme', 'backup'],
      ['beta', 'queued'],
    ]);
    f.emit(ev('acme', 'updated', '', opId));
    expect(tallyFleet(useFleetUpdate.getState().run as FleetRun).percent).toBe(50);

    finish(
      ok({
        outcomes: [
          {
            host: 'sb',
            slug: 'acme',
            outcome: 'updated',
            backupId: '20261125T120000Z-pre-update',
            detail: '',
            seconds: 20,
          },
          {
            host: 'sb',
            slug: 'beta',
            outcome: 'rolled-back',
            backupId: '20261125T120100Z-pre-update',
            detail: 'n8n unhealthy',
            seconds: 50,
          },
        ],
        stopped: false,
      }),
    );
    await done;
    run = useFleetUpdate.getState().run;
    expect(run?.phase).toBe('done');
    expect(run?.stopped).toBe(false);
    expect(run?.rows.map((r) => [r.slug, r.state, r.backupId])).toEqual([
      ['acme', 'updated', '20261125T120000Z-pre-update'],
      ['beta', 'rolled-back', '20261125T120100Z-pre-update'],
    ]);
    expect(useFleetUpdate.getState().busy).toBe(false);
    const toast = useConsole.getState().toasts.find((t) => t.key === 'toast.fleetDone');
    expect(toast).toMatchObject({ kind: 'success', values: { updated: '1', total: '2' } });
    // Events after the end change nothing.
    f.emit(ev('beta', 'updating', '', opId));
    expect(useFleetUpdate.getState().run?.rows[1]?.state).toBe('rolled-back');
  });

  it('an invalid form is not sent; its errors are kept for the form', async () => {
    const f = fakeApi({});
    setApi(f.api);
    useFleetUpdate.getState().updateDraft({ mode: 'host', host: '', concurrency: '40' });
    await useFleetUpdate.getState().start(0);
    expect(f.calls).toHaveLength(0);
    expect(useFleetUpdate.getState().run).toBeNull();
    expect(Object.keys(useFleetUpdate.getState().errors).sort()).toEqual(['concurrency', 'host']);
  });

  it('a refused update keeps its error in the run; back to the form keeps the draft', async () => {
    const f = fakeApi({
      'fleet.update': () => fail('fleet.busy', 'Another fleet update is running.', 'Wait for it.'),
    });
    setApi(f.api);
    useFleetUpdate.getState().updateDraft({ host: 'sb' });
    await useFleetUpdate.getState().start(3);
    const run = useFleetUpdate.getState().run;
    expect(run?.phase).toBe('failed');
    expect(run?.error).toMatchObject({ code: 'fleet.busy', hint: 'Wait for it.' });
    useFleetUpdate.getState().closeRun();
    expect(useFleetUpdate.getState().run).toBeNull();
    expect(useFleetUpdate.getState().draft.host).toBe('sb');
  });

  it('stopped early: the run says so and the toast warns', async () => {
    const f = fakeApi({
      'fleet.update': () =>
        ok({
          outcomes: [
            {
              host: 'sb',
              slug: 'acme',
              outcome: 'failed',
              backupId: null,
              detail: 'backup failed',
              seconds: 3,
            },
          ],
          stopped: true,
        }),
    });
    setApi(f.api);
    useFleetUpdate.getState().updateDraft({ host: 'sb' });
    await useFleetUpdate.getState().start(3);
    expect(useFleetUpdate.getState().run).toMatchObject({ phase: 'done', stopped: true });
    expect(useConsole.getState().toasts.find((t) => t.key === 'toast.fleetDone')?.kind).toBe('warning');
  });
});
