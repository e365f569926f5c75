import { FINGERPRINT, hostView } from '../helpers/views';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostView } from '../../src/shared/contract';
import { setApi } from '../../src/renderer/src/api';
import { initI18n } from '../../src/renderer/src/i18n';
import { resetConsoleSubscriptions, useConsole } from '../../src/renderer/src/app/store';
import { emptyDraft } from '../../src/renderer/src/features/hosts/validation';
import { fail, fakeApi, ok } from '../helpers/fakeApi';

const FP = FINGERPRINT;

function view(name: string): HostView {
  return hostView({ name });
}

const base = {
  'app.info': () =>
    ok({
      version: '0.1.0',
      mode: 'web',
      home: '/h',
      localDocker: { available: false, socketPath: '/var/run/docker.sock', version: null },
    }),
  'settings.get': () => ok({ language: 'en' }),
};

const initial = useConsole.getState();
const flush = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  initI18n('en');
  resetConsoleSubscriptions();
  useConsole.setState(initial, true);
});
afterEach(() => setApi(null));

describe('console store', () => {
  it('reads the hosts again after events.dropped (the page fell behind and missed some)', async () => {
    let hosts = [view('a')];
    const f = fakeApi({ ...base, 'hosts.list': () => ok(hosts) });
    setApi(f.api);
    await useConsole.getState().start();
    hosts = [view('a'), view('c')];
    f.emit({ type: 'events.dropped', count: 3 });
    await flush();
    await flush();
    expect(useConsole.getState().hosts.map((h) => h.name)).toEqual(['a', 'c']);
  });

  it('starts: loads info, settings and hosts, and selects the first host', async () => {
    let hosts = [view('a'), view('b')];
    const f = fakeApi({ ...base, 'hosts.list': () => ok(hosts) });
    setApi(f.api);
    await useConsole.getState().start();
    const s = useConsole.getState();
    expect(s.phase).toBe('ready');
    expect(s.hosts.map((h) => h.name)).toEqual(['a', 'b']);
    expect(s.selectedHost).toBe('a');
    // hosts.changed reloads the list; a status event updates the live status.
    hosts = [view('b')];
    f.emit({ type: 'hosts.changed' });
    f.emit({
      type: 'status',
      subject: { kind: 'host', name: 'b' },
      status: 'unreachable',
      at: '2026-01-01T00:00:00Z',
    });
    await flush();
    await flush();
    expect(useConsole.getState().hosts.map((h) => h.name)).toEqual(['b']);
    expect(useConsole.getState().selectedHost).toBe('b');
    expect(useConsole.getState().liveStatus['b']?.status).toBe('unreachable');
  });

  it('a failed start is shown with its error and can be retried', async () => {
    setApi(fakeApi({ ...base }).api);
    await useConsole.getState().start();
    expect(useConsole.getState().phase).toBe('failed');
    expect(useConsole.getState().startupError?.code).toBe('test.unexpected');
  });

  it('probe → confirm adds with the shown fingerprint, selects the host and checks it', async () => {
    const f = fakeApi({
      ...base,
      'hosts.list': () => ok([]),
      'hosts.probe': () =>
        ok({
          address: '203.0.113.10',
          port: 22,
          fingerprint: FP,
          algorithm: 'ssh-ed25519',
          known: 'new',
          pinnedFingerprint: null,
          knownHosts: { status: 'absent', source: null },
        }),
      'hosts.add': () => ok(view('almaty-1')),
      'hosts.check': () =>
        ok({
          host: 'almaty-1',
          checkedAt: '2026-01-02T00:00:00Z',
          status: 'ok',
          latencyMs: 5,
          keyStatus: 'ok',
          facts: null,
          problems: [],
          error: null,
        }),
    });
    setApi(f.api);
    await useConsole.getState().start();
    const st = useConsole.getState();
    st.openAddForm();
    st.updateDraft({ name: 'almaty-1', address: '203.0.113.10', user: 'root' });
    await useConsole.getState().probeDraft();
    expect(useConsole.getState().probe?.fingerprint).toBe(FP);
    await useConsole.getState().confirmAdd(FP);
    await flush();
    const s = useConsole.getState();
    expect(f.calls.find((c) => c.name === 'hosts.add')?.input).toMatchObject({
      name: 'almaty-1',
      port: 22,
      auth: { kind: 'agent' },
      acceptFingerprint: FP,
    });
    expect(s.selectedHost).toBe('almaty-1');
    expect(s.addFormOpen).toBe(false);
    expect(s.draft).toEqual(emptyDraft);
    expect(f.calls.some((c) => c.name === 'hosts.check')).toBe(true);
    expect(s.checks['almaty-1']?.status).toBe('ok');
  });

  it('a failed add keeps everything typed and shows the error in the form', async () => {
    const f = fakeApi({
      ...base,
      'hosts.list': () => ok([]),
      'hosts.add': () => fail('ssh.auth-failed', 'refused', 'add the key'),
    });
    setApi(f.api);
    await useConsole.getState().start();
    useConsole
      .getState()
      .updateDraft({ name: 'x', address: 'h', user: 'root', authKind: 'keyFile', keyPath: '~/.ssh/k' });
    useConsole.setState({
      addFormOpen: true,
      probe: {
        address: 'h',
        port: 22,
        fingerprint: FP,
        algorithm: 'ssh-ed25519',
        known: 'new',
        pinnedFingerprint: null,
        knownHosts: { status: 'absent', source: null },
      },
    });
    await useConsole.getState().confirmAdd(FP);
    const s = useConsole.getState();
    expect(s.probe).toBeNull();
    expect(s.addFormOpen).toBe(true);
    expect(s.draft.keyPath).toBe('~/.ssh/k');
    expect(s.error).toMatchObject({ scope: 'addHost', code: 'ssh.auth-failed', hint: 'add the key' });
  });
});
