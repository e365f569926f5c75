import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertsView } from '../../src/shared/agent/alerts';
import { setApi } from '../../src/renderer/src/api';
import type { ConnectedApi } from '../../src/renderer/src/api';
import { resetAlertsSubscriptions, useAlerts } from '../../src/renderer/src/features/alerts/alertsStore';
import { firingCount } from '../../src/renderer/src/features/alerts/alerts';
import {
  configureInput,
  maintenanceInput,
  settingsDraft,
  silenceDraftFor,
  silenceInput,
} from '../../src/renderer/src/features/alerts/forms';
import { RecentIds, noteWords, notesFor } from '../../src/renderer/src/features/alerts/notify';
import type { AlertsChanged } from '../../src/renderer/src/features/alerts/notify';
import { initI18n, setLanguage } from '../../src/renderer/src/i18n';
import { fakeApi, fail, ok } from '../helpers/fakeApi';
import { rec, view } from '../helpers/alerts';

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function fleet(hosts: Record<string, AlertsView | null>) {
  return {
    takenAt: '2026-12-06T12:00:00Z',
    hosts: Object.entries(hosts).map(([host, v]) => ({
      host,
      view: v,
      error: v ? null : { code: 'agent.unreachable', message: 'no agent' },
    })),
  };
}

function changed(over: Partial<AlertsChanged> = {}): AlertsChanged {
  return { type: 'alerts.changed', host: 'h1', ...over };
}

describe('alerts store: the feed, the reads and the actions', () => {
  beforeEach(() => {
    resetAlertsSubscriptions();
    useAlerts.setState({
      hosts: {},
      loaded: false,
      listError: null,
      unreachable: {},
      busy: {},
      done: {},
      notify: 'electron',
    });
  });
  afterEach(() => setApi(null));

  it('follows alerts.changed by name once; an event reads only its host again; the last one out unsubscribes', async () => {
    let active = [rec()];
    const f = fakeApi({
      'events.subscribe': () => ok({ id: 'sub-3' }),
      'events.unsubscribe': () => ok({ removed: true }),
      'alerts.list': (input) => {
        const host = (input as { host?: string }).host;
        const all = fleet({ h1: view({ active }), h2: null });
        return ok(host ? { ...all, hosts: all.hosts.filter((h) => h.host === host) } : all);
      },
    });
    setApi(f.api);
    const off1 = useAlerts.getState().follow();
    const off2 = useAlerts.getState().follow();
    await useAlerts.getState().load();
    expect(f.calls.filter((c) => c.name === 'events.subscribe').map((c) => c.input)).toEqual([
      { topics: ['alerts.changed'] },
    ]);
    expect(firingCount(useAlerts.getState().hosts).count).toBe(1);
    expect(useAlerts.getState().hosts['h2']?.error?.message).toBe('no agent');

    active = [rec(), rec({ id: 2 })];
    f.emit(changed({ active: 2, notices: [] }));
    await flush();
    expect(f.calls.filter((c) => c.name === 'alerts.list').map((c) => c.input)).toEqual([{}, { host: 'h1' }]);
    expect(firingCount(useAlerts.getState().hosts).count).toBe(2);

    f.emit(
      changed({
        host: 'h2',
        unreachable: { since: '2026-12-06T11:50:00Z', minutes: 10, error: { code: 'x', message: 'timeout' } },
      }),
    );
    expect(useAlerts.getState().unreachable['h2']?.minutes).toBe(10);
    f.emit(changed({ host: 'h2', unreachable: null }));
    expect(useAlerts.getState().unreachable['h2']).toBeUndefined();

    off1();
    off2();
    await flush();
    expect(f.calls.filter((c) => c.name === 'events.unsubscribe').map((c) => c.input)).toEqual([
      { id: 'sub-3' },
    ]);
  });

  it('a first read that fails is kept for the screen to show in place of the list', async () => {
    const f = fakeApi({ 'alerts.list': () => fail('alerts.unavailable', 'Not wired.') });
    setApi(f.api);
    await useAlerts.getState().load();
    expect(useAlerts.getState().loaded).toBe(false);
    expect(useAlerts.getState().listError?.code).toBe('alerts.unavailable');
  });

  it('acknowledge shows the answer at once and reads the host again; a refusal comes back to the dialog', async () => {
    let refuse = false;
    const f = fakeApi({
      'alerts.list': () => ok(fleet({ h1: view({ active: [rec({ id: 7 })] }) })),
      'alerts.ack': (input) =>
        refuse
          ? fail('alerts.not-found', 'No alert 7 on h1.')
          : ok(rec({ id: 7, ack: { by: 'ops', at: 1, note: (input as { note?: string }).note } })),
    });
    setApi(f.api);
    await useAlerts.getState().load();
    const r = await useAlerts.getState().ack('h1', 7, '  looking  ');
    expect(r?.ok).toBe(true);
    expect(f.calls.find((c) => c.name === 'alerts.ack')?.input).toEqual({
      host: 'h1',
      ref: 7,
      note: 'looking',
    });
    expect(useAlerts.getState().hosts['h1']?.view?.active[0]?.ack?.by).toBe('ops');
    refuse = true;
    const bad = await useAlerts.getState().ack('h1', 7, '');
    expect(bad).toEqual({ ok: false, error: { code: 'alerts.not-found', message: 'No alert 7 on h1.' } });
    expect(f.calls.filter((c) => c.name === 'alerts.ack').at(-1)?.input).toEqual({ host: 'h1', ref: 7 });
  });

  it('silence, end now and the test message reach the core with the right input', async () => {
    const f = fakeApi({
      'alerts.list': () => ok(fleet({ h1: view() })),
      'alerts.silence': (input) =>
        ok({ id: 's9', rule: 'disk', subject: '*', until: 2, by: 'ops', at: 1, ...(input as object) }),
      'alerts.unhold': () => ok({ removed: true }),
      'alerts.test': () => ok({ queued: 2 }),
    });
    setApi(f.api);
    await useAlerts.getState().load();
    const d = silenceInput('h1', {
      ...silenceDraftFor({ ruleId: 'disk', subjectKey: 'mount=/data' }),
      preset: 240,
    });
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    await useAlerts.getState().silence(d.input);
    expect(f.calls.find((c) => c.name === 'alerts.silence')?.input).toEqual({
      host: 'h1',
      rule: 'disk',
      subject: 'mount=/data',
      minutes: 240,
    });
    expect(useAlerts.getState().hosts['h1']?.view?.silences.map((s) => s.id)).toEqual(['s9']);
    await useAlerts.getState().unhold('h1', 's9');
    expect(useAlerts.getState().hosts['h1']?.view?.silences).toEqual([]);
    await useAlerts.getState().test('h1');
    expect(useAlerts.getState().done['h1']).toMatchObject({ what: 'test', count: 2 });
  });
});

describe('alerts forms', () => {
  it('a silence needs whole minutes up to 30 days and patterns', () => {
    const base = silenceDraftFor({ ruleId: 'service-down', subjectKey: 'tenant=acme,service=postgres' });
    expect(base).toMatchObject({ preset: 60, rule: 'service-down', subject: 'tenant=acme,service=postgres' });
    const bad = silenceInput('h1', { ...base, preset: 'custom', minutes: '1.5', rule: ' ' });
    expect(bad.ok ? null : bad.errors).toEqual({
      minutes: { own: 'minutesInvalid' },
      rule: { own: 'globEmpty' },
    });
    const good = silenceInput('h1', { ...base, preset: 'custom', minutes: '90', reason: ' deploy ' });
    expect(good.ok && good.input).toEqual({
      host: 'h1',
      rule: 'service-down',
      subject: 'tenant=acme,service=postgres',
      minutes: 90,
      reason: 'deploy',
    });
    expect(silenceInput('h1', { ...base, preset: 'custom', minutes: '43201' }).ok).toBe(false);
  });

  it('a maintenance window is start plus minutes, in ISO', () => {
    const r = maintenanceInput('h1', {
      start: '2026-12-06T10:00',
      minutes: '30',
      rule: '*',
      subject: '*',
      reason: '',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Date.parse(r.input.end) - Date.parse(r.input.start)).toBe(30 * 60_000);
    const bad = maintenanceInput('h1', { start: 'soon', minutes: '0', rule: '*', subject: '*', reason: '' });
    expect(bad.ok ? null : Object.keys(bad.errors).sort()).toEqual(['minutes', 'start']);
  });

  it('settings: the token is write-only, chats and quiet hours are checked by the contract', () => {
    const v = view({
      telegramToken: true,
      config: {
        host: 'h1',
        language: 'ru',
        timeZone: 'Asia/Almaty',
        telegram: [{ chatId: '-1001', threadId: 5 }],
        quietHours: { from: '23:00', to: '07:00', timeZone: 'Asia/Almaty' },
      },
    });
    const d = settingsDraft(v, 'en');
    expect(d).toMatchObject({
      token: '',
      removeToken: false,
      language: 'ru',
      quiet: true,
      quietFrom: '23:00',
    });
    expect(d.chats).toEqual([{ chatId: '-1001', threadId: '5', language: '' }]);
    const keep = configureInput('h1', d);
    expect(keep.ok && 'token' in keep.input).toBe(false);
    expect(keep.ok && keep.input.telegram).toEqual([{ chatId: '-1001', threadId: 5 }]);
    const removed = configureInput('h1', { ...d, removeToken: true });
    expect(removed.ok && removed.input.token).toBeNull();
    const off = configureInput('h1', { ...d, quiet: false });
    expect(off.ok && off.input.quietHours).toBeNull();
    const bad = configureInput('h1', {
      ...d,
      token: 'nope',
      timeZone: 'Mars/Olympus',
      quietFrom: '25:00',
      chats: [
        { chatId: 'not a chat', threadId: 'x', language: 'en' },
        { chatId: '', threadId: '', language: '' },
      ],
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(Object.keys(bad.errors).sort()).toEqual([
      'quietHours.from',
      'telegram.0.chatId',
      'telegram.0.threadId',
      'telegram.1.chatId',
      'timeZone',
      'token',
    ]);
    expect(bad.errors['telegram.1.chatId']).toEqual({ own: 'chatEmpty' });
    expect(bad.errors['token']).toEqual({
      schema: 'A bot token looks like 123456789:AA… (from @BotFather).',
    });
  });
});

describe('alerts: desktop notifications (browser mode)', () => {
  beforeAll(() => {
    initI18n('en');
  });
  afterEach(async () => {
    setApi(null);
    await setLanguage('en');
  });

  const notice = (id: string, type: 'fire' | 'escalate' | 'repeat' | 'resolve') => ({
    id,
    type,
    at: 1,
    silent: false,
    alert: rec({ kind: 'disk', ruleId: 'disk', subject: { mount: '/data' }, value: 91, severity: 'warning' }),
  });

  it('fire and escalate notices once each (not repeats nor resolves), and a host newly lost', () => {
    const seen = new RecentIds();
    const e = changed({
      notices: [
        notice('n1', 'fire'),
        notice('n2', 'repeat'),
        notice('n3', 'resolve'),
        notice('n4', 'escalate'),
      ],
    });
    expect(notesFor(e, seen).map((n) => n.tag)).toEqual(['h1|n1', 'h1|n4']);
    expect(notesFor(e, seen)).toEqual([]);
    const lost = changed({
      unreachable: { since: 'T1', minutes: 5.2, error: { code: 'x', message: 'timeout' } },
    });
    expect(notesFor(lost, seen)).toEqual([
      { kind: 'unreachable', tag: 'h1|unreachable', host: 'h1', minutes: 5, message: 'timeout' },
    ]);
    expect(notesFor(lost, seen)).toEqual([]);
    const bounded = new RecentIds(2);
    expect([bounded.add('a'), bounded.add('b'), bounded.add('c'), bounded.add('a')]).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('words a note in the UI language', async () => {
    const [item] = notesFor(changed({ notices: [notice('n1', 'fire')] }), new RecentIds());
    expect(item && noteWords(item)).toEqual({
      title: 'Warning: Disk full on h1',
      body: 'mount=/data: /data is 91 % full',
    });
    await setLanguage('ru');
    expect(item && noteWords(item).title).toBe('Внимание: Диск заполнен на h1');
  });

  it('shows nothing in the desktop app (its shell does), and asks nothing on load', async () => {
    const f = fakeApi({ 'events.subscribe': () => ok({ id: 's' }), 'alerts.list': () => ok(fleet({})) });
    setApi(f.api);
    resetAlertsSubscriptions();
    const off = useAlerts.getState().follow();
    expect(useAlerts.getState().notify).toBe('electron');
    off();
    const connected: ConnectedApi = { ...f.api, connectionState: 'open', onConnection: () => () => {} };
    setApi(connected);
    resetAlertsSubscriptions();
    const off2 = useAlerts.getState().follow();
    // No Notification in Node: browser mode without the API says so, and nothing was requested.
    expect(useAlerts.getState().notify).toBe('unsupported');
    off2();
  });
});
