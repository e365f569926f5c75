import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeApi, fail, ok } from '../helpers/fakeApi';
import type { Answer } from '../helpers/fakeApi';
import { commands } from '../../src/shared/contract';
import type { CommandName, Result } from '../../src/shared/contract';
import { setApi } from '../../src/renderer/src/api';
import {
  STALE_ERROR_HOURS,
  STALE_WARNING_HOURS,
  backupsRouteFromHash,
  filterSummaries,
  freshnessCounts,
  freshnessTone,
  hashForBackupsRoute,
  neverRestored,
  restoreConfirmMatches,
  runTone,
  drillTone,
  scheduleDraftFrom,
  scheduleInputFromDraft,
  sortSummaries,
  summarizeCounts,
  summaryTone,
} from '../../src/renderer/src/features/backups/backups';
import type {
  BackupEntry,
  BackupRun,
  BackupSchedule,
  BackupSummary,
  RestoreReport,
} from '../../src/renderer/src/features/backups/backups';
import {
  resetBackupsSubscriptions,
  restoreReady,
  useBackups,
} from '../../src/renderer/src/features/backups/backupsStore';
import { i18n, initI18n } from '../../src/renderer/src/i18n';
import { resetConsoleSubscriptions, useConsole } from '../../src/renderer/src/app/store';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-25T12:00:00Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString();
const NOW_ISO = new Date(NOW).toISOString();

function entry(over: Partial<BackupEntry> = {}): BackupEntry {
  return {
    id: '20261125T030000Z-scheduled',
    tenant: 'acme',
    host: 'sb',
    kind: 'scheduled',
    createdAt: '2026-11-25T03:00:00Z',
    size: 12_345_678,
    sha256: 'a'.repeat(64),
    tools: { pg_dump: '16.4' },
    counts: {
      tables: { messages: 300, contacts: 40, settings: 5 },
      points: { knowledge: 3 },
      workflows: 4,
    },
    offsite: false,
    provenAt: null,
    ...over,
  };
}

function run(over: Partial<BackupRun> = {}): BackupRun {
  return {
    at: '2026-11-25T03:00:05Z',
    tenant: 'acme',
    kind: 'scheduled',
    ok: true,
    id: '20261125T030000Z-scheduled',
    error: null,
    seconds: 5,
    ...over,
  };
}

function report(over: Partial<RestoreReport> = {}): RestoreReport {
  return {
    tenant: 'acme',
    host: 'sb',
    backupId: '20261125T030000Z-scheduled',
    kind: 'restore',
    ok: true,
    at: '2026-11-25T12:01:00Z',
    safetyBackupId: '20261125T120000Z-safety',
    target: 'acme',
    seconds: 42,
    checked: 9,
    mismatches: [],
    detail: '',
    ...over,
  };
}

function summary(over: Partial<BackupSummary> = {}): BackupSummary {
  return {
    host: 'sb',
    slug: 'acme',
    state: 'running',
    last: entry({ createdAt: ago(3 * HOUR) }),
    lastRun: run(),
    lastDrill: null,
    count: 3,
    bytes: 40_000_000,
    ...over,
  };
}

function schedule(over: Partial<BackupSchedule> = {}): BackupSchedule {
  return {
    host: 'sb',
    installed: true,
    at: '03:00',
    via: 'systemd',
    agentVersion: '1',
    backupDir: '/opt/truffles/backups',
    retention: { daily: 7, weekly: 4 },
    offsite: null,
    drillWeekday: null,
    missing: [],
    ...over,
  };
}

describe('freshness: the age of the newest backup', () => {
  it('green up to 26 h, amber beyond 26 h, red beyond 48 h, red when there is none', () => {
    expect([STALE_WARNING_HOURS, STALE_ERROR_HOURS]).toEqual([26, 48]);
    expect(freshnessTone({ createdAt: ago(1 * HOUR) }, NOW)).toBe('ok');
    expect(freshnessTone({ createdAt: ago(26 * HOUR) }, NOW)).toBe('ok');
    expect(freshnessTone({ createdAt: ago(26 * HOUR + 60_000) }, NOW)).toBe('warning');
    expect(freshnessTone({ createdAt: ago(40 * HOUR) }, NOW)).toBe('warning');
    expect(freshnessTone({ createdAt: ago(48 * HOUR) }, NOW)).toBe('warning');
    expect(freshnessTone({ createdAt: ago(48 * HOUR + 60_000) }, NOW)).toBe('error');
    expect(freshnessTone({ createdAt: ago(30 * 24 * HOUR) }, NOW)).toBe('error');
    expect(freshnessTone(null, NOW)).toBe('error');
  });

  it('a host clock a little ahead is fresh; an unreadable time counts as no backup', () => {
    expect(freshnessTone({ createdAt: new Date(NOW + 5 * 60_000).toISOString() }, NOW)).toBe('ok');
    expect(freshnessTone({ createdAt: 'yesterday' }, NOW)).toBe('error');
  });

  it('a failed last run makes the row red even when the newest backup is fresh', () => {
    expect(summaryTone(summary(), NOW)).toBe('ok');
    expect(summaryTone(summary({ lastRun: run({ ok: false, error: 'disk full', id: null }) }), NOW)).toBe(
      'error',
    );
    expect(
      summaryTone(summary({ last: entry({ createdAt: ago(30 * HOUR) }), lastRun: run({ ok: false }) }), NOW),
    ).toBe('error');
    expect(summaryTone(summary({ last: entry({ createdAt: ago(30 * HOUR) }) }), NOW)).toBe('warning');
    expect(summaryTone(summary({ last: null, lastRun: null, count: 0, bytes: 0 }), NOW)).toBe('error');
  });

  it('"never restored" is marked on its own and does not colour the row', () => {
    const s = summary({ last: entry({ createdAt: ago(HOUR), provenAt: null }) });
    expect(neverRestored(s.last)).toBe(true);
    expect(summaryTone(s, NOW)).toBe('ok');
    expect(neverRestored(entry({ provenAt: '2026-11-25T04:00:00Z' }))).toBe(false);
    expect(neverRestored(null)).toBe(false);
  });

  it('a run skipped because the tenant was busy is neither a success nor a failure (blue; the row keeps its freshness)', () => {
    const skipped = run({
      ok: false,
      skipped: true,
      id: null,
      error: "skipped: busy (a@b is running 'restore' since x)",
    });
    expect(runTone(skipped)).toBe('info');
    expect(summaryTone(summary({ lastRun: skipped }), NOW)).toBe('ok');
    expect(i18n.t('backups.run.skipped', { lng: 'en' })).toBe('Skipped: tenant busy');
    expect(i18n.t('backups.run.skipped', { lng: 'ru' })).toBe('Пропущен: клиент занят');
  });

  it('runs and drills: ok green, failed red, none grey', () => {
    expect(runTone(null)).toBe('unknown');
    expect(runTone(run())).toBe('ok');
    expect(runTone(run({ ok: false }))).toBe('error');
    expect(drillTone(null)).toBe('unknown');
    expect(drillTone(report({ kind: 'drill' }))).toBe('ok');
    expect(drillTone(report({ ok: false, mismatches: [{ what: 'messages', expected: 3, actual: 2 }] }))).toBe(
      'error',
    );
  });

  it('the list puts red first, then amber, then green; counts and filters by freshness', () => {
    const rows = [
      summary({ slug: 'fresh' }),
      summary({ slug: 'stale', last: entry({ createdAt: ago(30 * HOUR) }) }),
      summary({ slug: 'none', last: null, lastRun: null }),
      summary({ slug: 'broken', lastRun: run({ ok: false, error: 'pg_dump: connection refused' }) }),
    ];
    expect(sortSummaries(rows, NOW).map((r) => r.slug)).toEqual(['broken', 'none', 'stale', 'fresh']);
    expect(freshnessCounts(rows, NOW)).toEqual({ ok: 2, warning: 1, error: 1 });
    expect(
      filterSummaries(rows, { host: '', text: '', attention: true }, NOW)
        .map((r) => r.slug)
        .sort(),
    ).toEqual(['broken', 'none', 'stale']);
    expect(filterSummaries(rows, { host: 'other', text: '', attention: false }, NOW)).toEqual([]);
    expect(
      filterSummaries(rows, { host: 'sb', text: 'sta', attention: false }, NOW).map((r) => r.slug),
    ).toEqual(['stale']);
  });
});

describe('counts summary', () => {
  it('sums tables and their rows, collections and points, workflows', () => {
    expect(summarizeCounts(entry().counts)).toEqual({
      tables: 3,
      rows: 345,
      collections: 1,
      points: 3,
      workflows: 4,
    });
    expect(summarizeCounts({ tables: {}, points: {}, workflows: 0 })).toEqual({
      tables: 0,
      rows: 0,
      collections: 0,
      points: 0,
      workflows: 0,
    });
  });

  it('reads "12 tables · 345 rows · 3 points · 4 workflows" in English, with the singular for one', () => {
    initI18n('en');
    const t = i18n.getFixedT('en');
    expect(
      [
        t('backups.counts.tables.other', { n: '12' }),
        t('backups.counts.rows.other', { n: '345' }),
        t('backups.counts.points.other', { n: '3' }),
        t('backups.counts.workflows.other', { n: '4' }),
      ].join(' · '),
    ).toBe('12 tables · 345 rows · 3 points · 4 workflows');
    expect(t('backups.counts.workflows.one', { n: '1' })).toBe('1 workflow');
    expect(i18n.getFixedT('ru')('backups.counts.rows.other', { n: '345' })).toBe('строк: 345');
  });
});

describe('restore gate', () => {
  it('only the slug typed exactly opens it', () => {
    expect(restoreConfirmMatches('acme', 'acme')).toBe(true);
    for (const typed of ['', 'acm', 'acme ', ' acme', 'ACME', 'acme-shop'])
      expect(restoreConfirmMatches(typed, 'acme'), JSON.stringify(typed)).toBe(false);
  });
});

describe('schedule form', () => {
  it('starts from the host’s schedule, or 03:00 keeping 7 daily and 4 weekly, no weekly drill', () => {
    expect(scheduleDraftFrom(null)).toEqual({
      at: '03:00',
      daily: '7',
      weekly: '4',
      backupDir: '',
      drillWeekday: 'none',
    });
    expect(
      scheduleDraftFrom(
        schedule({ at: '01:30', retention: { daily: 14, weekly: 8 }, backupDir: '/srv/b', drillWeekday: 0 }),
      ),
    ).toEqual({ at: '01:30', daily: '14', weekly: '8', backupDir: '/srv/b', drillWeekday: '0' });
  });

  it('refuses a time that is not HH:MM, retention out of range and a bad folder; builds input the contract accepts', () => {
    const d = scheduleDraftFrom(null);
    for (const at of ['3:00', '24:00', '12:60', '0300', ''])
      expect(scheduleInputFromDraft('sb', { ...d, at }), at).toEqual({ ok: false, errors: { at: true } });
    expect(scheduleInputFromDraft('sb', { ...d, daily: '0', weekly: '53' })).toEqual({
      ok: false,
      errors: { daily: true, weekly: true },
    });
    expect(scheduleInputFromDraft('sb', { ...d, daily: '1.5' })).toMatchObject({ ok: false });
    expect(scheduleInputFromDraft('sb', { ...d, backupDir: 'relative/dir' })).toMatchObject({
      ok: false,
      errors: { backupDir: expect.stringMatching(/absolute path/) },
    });
    expect(scheduleInputFromDraft('sb', { ...d, backupDir: '/srv/../etc' })).toMatchObject({
      ok: false,
      errors: { backupDir: expect.stringMatching(/\.\./) },
    });
    const good = scheduleInputFromDraft('sb', {
      at: '02:15',
      daily: '10',
      weekly: '0',
      backupDir: '',
      drillWeekday: 'none',
    });
    expect(good).toEqual({
      ok: true,
      input: { host: 'sb', at: '02:15', daily: 10, weekly: 0, drillWeekday: null },
    });
    const dir = scheduleInputFromDraft('sb', { ...d, backupDir: ' /srv/backups ', drillWeekday: '0' });
    expect(dir).toMatchObject({ ok: true, input: { backupDir: '/srv/backups', drillWeekday: 0 } });
    for (const r of [good, dir])
      if (r.ok) expect(commands['backups.schedule'].input.safeParse(r.input).success).toBe(true);
  });
});

describe('routes', () => {
  it('#/backups and #/backups/<host>/<slug>, both ways', () => {
    expect(backupsRouteFromHash('#/backups')).toEqual({ view: 'list' });
    expect(backupsRouteFromHash('#/backups/sb/acme')).toEqual({ view: 'tenant', host: 'sb', slug: 'acme' });
    expect(backupsRouteFromHash('#/backups/a%20b/acme')).toEqual({
      view: 'tenant',
      host: 'a b',
      slug: 'acme',
    });
    expect(backupsRouteFromHash('#/tenants/sb/acme')).toEqual({ view: 'list' });
    expect(hashForBackupsRoute({ view: 'tenant', host: 'sb', slug: 'acme' })).toBe('#/backups/sb/acme');
    expect(hashForBackupsRoute({ view: 'list' })).toBe('#/backups');
  });
});

// ---------- the store, against a fake core ----------

const flush = () => new Promise((r) => setTimeout(r, 0));
const initialConsole = useConsole.getState();
const initialBackups = useBackups.getState();

/** A fake core; the answers of the `held` commands wait until the test releases them. */
function backupsApi(answers: Partial<Record<CommandName, Answer>> = {}, held: CommandName[] = []) {
  const waiting: Partial<Record<CommandName, ((r: Result<unknown>) => void)[]>> = {};
  const hold =
    (name: CommandName): Answer =>
    () =>
      new Promise<Result<unknown>>((resolve) => {
        (waiting[name] ??= []).push(resolve);
      });
  const fake = fakeApi({
    'backups.overview': () => ok({ tenants: [summary()], unreachable: [] }),
    'backups.list': () => ok({ backups: [entry()], runs: [run()], restores: [] }),
    'backups.keyInfo': () => ok(null),
    ...answers,
    ...Object.fromEntries(held.map((n) => [n, hold(n)])),
  });
  return {
    ...fake,
    release: (name: CommandName, r: Result<unknown>) => waiting[name]?.shift()?.(r),
    count: (name: CommandName) => fake.calls.filter((c) => c.name === name).length,
  };
}

beforeEach(() => {
  initI18n('en');
  resetConsoleSubscriptions();
  resetBackupsSubscriptions();
  useConsole.setState(initialConsole, true);
  useBackups.setState(initialBackups, true);
});
afterEach(() => setApi(null));

describe('backups store: the restore dialog', () => {
  it('stays shut until the slug is typed exactly; a wrong one never reaches the core', async () => {
    const f = backupsApi({ 'backups.restore': () => ok(report()) });
    setApi(f.api);
    const s = useBackups.getState();
    s.openRestore('sb', 'acme', entry());
    expect(useBackups.getState().restore).toMatchObject({
      host: 'sb',
      slug: 'acme',
      backupId: '20261125T030000Z-scheduled',
      createdAt: '2026-11-25T03:00:00Z',
      typed: '',
      phase: 'confirm',
    });
    expect(restoreReady(useBackups.getState().restore)).toBe(false);
    for (const typed of ['acm', 'acme ', 'ACME']) {
      s.setRestoreTyped(typed);
      expect(restoreReady(useBackups.getState().restore), typed).toBe(false);
      await useBackups.getState().confirmRestore();
    }
    expect(f.count('backups.restore')).toBe(0);
    expect(useBackups.getState().restore?.phase).toBe('confirm');
  });

  it('typed right: sends the backup id and the typed slug, shows the run busy, then the report', async () => {
    const g = backupsApi({}, ['backups.restore']);
    setApi(g.api);
    const s = useBackups.getState();
    s.openRestore('sb', 'acme', entry());
    s.setRestoreTyped('acme');
    expect(restoreReady(useBackups.getState().restore)).toBe(true);
    const done = useBackups.getState().confirmRestore();
    await flush();
    expect(g.calls.find((c) => c.name === 'backups.restore')?.input).toEqual({
      slug: 'acme',
      host: 'sb',
      backupId: '20261125T030000Z-scheduled',
      confirm: 'acme',
      skipSafetyBackup: false,
    });
    // The input is one the contract accepts.
    expect(
      commands['backups.restore'].input.safeParse(g.calls.find((c) => c.name === 'backups.restore')?.input)
        .success,
    ).toBe(true);
    expect(useBackups.getState().restore?.phase).toBe('running');
    expect(useBackups.getState().busy['restore:sb/acme']).toBe(true);
    expect(restoreReady(useBackups.getState().restore)).toBe(false);
    // While it runs, the dialog cannot be closed, retyped, or started again.
    useBackups.getState().closeRestore();
    useBackups.getState().setRestoreTyped('x');
    await useBackups.getState().confirmRestore();
    expect(useBackups.getState().restore?.typed).toBe('acme');
    expect(g.calls.filter((c) => c.name === 'backups.restore')).toHaveLength(1);
    // The core logs what it does: the dialog shows the newest line.
    g.emit({ type: 'log', source: 'tenant:acme', level: 'info', message: 'Stopping acme', at: NOW_ISO });
    g.emit({ type: 'log', source: 'tenant:other', level: 'info', message: 'not ours', at: NOW_ISO });
    expect(useBackups.getState().activity['sb/acme']?.message).toBe('Stopping acme');

    g.release('backups.restore', ok(report()));
    await done;
    const d = useBackups.getState().restore;
    expect(d?.phase).toBe('done');
    expect(d?.report).toMatchObject({ ok: true, checked: 9, safetyBackupId: '20261125T120000Z-safety' });
    expect(useBackups.getState().busy['restore:sb/acme']).toBeUndefined();
    expect(useBackups.getState().activity['sb/acme']).toBeUndefined();
    expect(useConsole.getState().toasts.map((t) => t.key)).toContain('toast.restored');
    await flush();
    // The tenant's list and the overview are read again.
    expect(g.count('backups.list')).toBeGreaterThan(0);
    expect(g.count('backups.overview')).toBeGreaterThan(0);
    useBackups.getState().closeRestore();
    expect(useBackups.getState().restore).toBeNull();
  });

  it('the skip-safety box goes with the request; mismatches come back as a failed report', async () => {
    const f = backupsApi({
      'backups.restore': () =>
        ok(
          report({
            ok: false,
            safetyBackupId: null,
            mismatches: [{ what: 'postgres.messages', expected: 300, actual: 298 }],
          }),
        ),
    });
    setApi(f.api);
    const s = useBackups.getState();
    s.openRestore('sb', 'acme', entry());
    s.setSkipSafetyBackup(true);
    s.setRestoreTyped('acme');
    await useBackups.getState().confirmRestore();
    expect(f.calls.find((c) => c.name === 'backups.restore')?.input).toMatchObject({
      skipSafetyBackup: true,
    });
    expect(useBackups.getState().restore?.phase).toBe('done');
    expect(useBackups.getState().restore?.report?.mismatches).toHaveLength(1);
    expect(useConsole.getState().toasts.find((t) => t.key === 'toast.restoreFailed')?.kind).toBe('warning');
  });

  it('a refused restore keeps the dialog open with the core’s error and hint', async () => {
    const f = backupsApi({
      'backups.restore': () =>
        fail('backup.verify-failed', 'The archive failed its checksum.', 'Choose an older backup.'),
    });
    setApi(f.api);
    useBackups.getState().openRestore('sb', 'acme', entry());
    useBackups.getState().setRestoreTyped('acme');
    await useBackups.getState().confirmRestore();
    const d = useBackups.getState().restore;
    expect(d?.phase).toBe('failed');
    expect(d?.error).toMatchObject({ code: 'backup.verify-failed', hint: 'Choose an older backup.' });
    expect(useConsole.getState().error).toBeNull();
  });
});

describe('backups store: overview, key, backup now, drill, schedule', () => {
  it('reads the overview with unreachable hosts; a backups.changed event reads it again', async () => {
    let n = 0;
    const f = backupsApi({
      'backups.overview': () => {
        n += 1;
        return ok({
          tenants: [summary({ slug: n === 1 ? 'acme' : 'acme2' })],
          unreachable: [{ host: 'far', error: 'Connection refused' }],
        });
      },
    });
    setApi(f.api);
    await useBackups.getState().loadOverview();
    expect(useBackups.getState().loaded).toBe(true);
    expect(useBackups.getState().tenants.map((t) => t.slug)).toEqual(['acme']);
    expect(useBackups.getState().unreachable).toEqual([{ host: 'far', error: 'Connection refused' }]);
    f.emit({ type: 'backups.changed', host: 'sb', slug: 'acme' });
    await flush();
    await flush();
    expect(useBackups.getState().tenants.map((t) => t.slug)).toEqual(['acme2']);
  });

  it('a failed overview read is shown in the Backups screen’s place, unless quiet', async () => {
    const f = backupsApi({ 'backups.overview': () => fail('ssh.unreachable', 'No route to host.') });
    setApi(f.api);
    await useBackups.getState().loadOverview({ quiet: true });
    expect(useConsole.getState().error).toBeNull();
    await useBackups.getState().loadOverview();
    expect(useConsole.getState().error).toMatchObject({ scope: 'backups', code: 'ssh.unreachable' });
  });

  it('no key: the banner’s button makes one (once), and says so', async () => {
    const key = { recipient: `age1${'q'.repeat(58)}`, createdAt: NOW_ISO };
    const f = backupsApi({ 'backups.keyInit': () => ok(key) });
    setApi(f.api);
    await useBackups.getState().loadKey();
    expect(useBackups.getState().key).toBeNull();
    await useBackups.getState().initKey();
    expect(useBackups.getState().key).toEqual(key);
    await useBackups.getState().initKey();
    expect(f.count('backups.keyInit')).toBe(1);
    expect(useConsole.getState().toasts.map((t) => t.key)).toContain('toast.backupKeyCreated');
  });

  it('"Back up now" is busy while the core works, then reads the list again', async () => {
    const g = backupsApi({}, ['backups.create']);
    setApi(g.api);
    const done = useBackups.getState().backUpNow('sb', 'acme');
    await flush();
    expect(useBackups.getState().busy['create:sb/acme']).toBe(true);
    expect(g.calls.find((c) => c.name === 'backups.create')?.input).toEqual({ slug: 'acme', host: 'sb' });
    // A second press while it runs does nothing.
    expect(await useBackups.getState().backUpNow('sb', 'acme')).toBeNull();
    g.release('backups.create', ok(entry({ id: '20261125T120000Z-manual', kind: 'manual' })));
    expect((await done)?.id).toBe('20261125T120000Z-manual');
    expect(useBackups.getState().busy['create:sb/acme']).toBeUndefined();
    await flush();
    expect(useBackups.getState().lists['sb/acme']?.list.backups).toHaveLength(1);
    expect(useConsole.getState().toasts.find((t) => t.key === 'toast.backupCreated')?.values).toEqual({
      slug: 'acme',
      id: '20261125T120000Z-manual',
    });
  });

  it('a drill of the chosen backup keeps its report; a failure goes to the tenant page', async () => {
    const f = backupsApi({
      'backups.drill': () =>
        ok(
          report({
            kind: 'drill',
            target: 'acme-drill-1',
            safetyBackupId: null,
            backupId: '20261124T030000Z-scheduled',
          }),
        ),
    });
    setApi(f.api);
    await useBackups.getState().drill('sb', 'acme', '20261124T030000Z-scheduled');
    expect(f.calls.find((c) => c.name === 'backups.drill')?.input).toEqual({
      slug: 'acme',
      host: 'sb',
      backupId: '20261124T030000Z-scheduled',
    });
    expect(useBackups.getState().drills['sb/acme']?.report).toMatchObject({
      ok: true,
      target: 'acme-drill-1',
    });

    const g = backupsApi({ 'backups.drill': () => fail('backup.none', 'No backup of acme.') });
    setApi(g.api);
    resetBackupsSubscriptions();
    expect(await useBackups.getState().drill('sb', 'acme')).toBeNull();
    expect(g.calls.find((c) => c.name === 'backups.drill')?.input).toEqual({ slug: 'acme', host: 'sb' });
    expect(useConsole.getState().error).toMatchObject({ scope: 'backup', code: 'backup.none' });
  });

  it('a schedule with a wrong field is not sent; a good one is, and replaces what is shown', async () => {
    const f = backupsApi({
      'backups.scheduleInfo': () => ok(schedule({ installed: false, via: 'none', missing: ['age', 'jq'] })),
      'backups.schedule': (input) => ok(schedule({ at: (input as { at: string }).at })),
    });
    setApi(f.api);
    await useBackups.getState().loadSchedule('sb');
    expect(useBackups.getState().schedules['sb']?.schedule.missing).toEqual(['age', 'jq']);
    const wrong = await useBackups
      .getState()
      .saveSchedule('sb', { at: '25:00', daily: '7', weekly: '4', backupDir: '', drillWeekday: 'none' });
    expect(wrong).toEqual({ at: true });
    expect(f.count('backups.schedule')).toBe(0);
    const none = await useBackups
      .getState()
      .saveSchedule('sb', { at: '04:30', daily: '7', weekly: '4', backupDir: '', drillWeekday: '3' });
    expect(none).toBeNull();
    expect(f.calls.find((c) => c.name === 'backups.schedule')?.input).toEqual({
      host: 'sb',
      at: '04:30',
      daily: 7,
      weekly: 4,
      drillWeekday: 3,
    });
    expect(useBackups.getState().schedules['sb']?.schedule).toMatchObject({ at: '04:30', installed: true });
    expect(useConsole.getState().toasts.map((t) => t.key)).toContain('toast.scheduleSaved');
  });
});
