import { FINGERPRINT, hostView } from '../helpers/views';
import { fail, fakeApi, ok, type Answer } from '../helpers/fakeApi';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { commands } from '../../src/shared/contract';
import type { CommandName, HostCheck, ImportCandidate, ProbeResult } from '../../src/shared/contract';
import { setApi } from '../../src/renderer/src/api';
import {
  auditDetailsSummary,
  checkSignals,
  effectiveStatus,
  jumpChainText,
  keyAction,
  labelChips,
  statusTone,
} from '../../src/renderer/src/kit/format';
import { initI18n } from '../../src/renderer/src/i18n';
import { ruSchemaMessages } from '../../src/renderer/src/i18n/ru';
import { createPoller } from '../../src/renderer/src/kit/polling';
import { CHECK_CONCURRENCY, resetConsoleSubscriptions, useConsole } from '../../src/renderer/src/app/store';
import {
  addInputFromDraft,
  chosenAliases,
  defaultImportSelection,
  emptyDraft,
  importSourceFromPaths,
  probeInputFromDraft,
  validateDraft,
} from '../../src/renderer/src/features/hosts/validation';
import type { HostDraft } from '../../src/renderer/src/features/hosts/validation';

const FP = FINGERPRINT;
const FP2 = 'SHA256:F31q7LTPijs8jNro0NsGsyjoRPoytwZAkNWQ2YOx3g4';

const good: HostDraft = { ...emptyDraft, name: 'inner-1', address: '10.0.0.7', user: 'ops' };

function check(over: Partial<HostCheck> = {}): HostCheck {
  return {
    host: 'h',
    checkedAt: '2026-01-01T10:00:00Z',
    status: 'ok',
    latencyMs: 12.4,
    keyStatus: 'ok',
    facts: {
      os: { id: 'debian', name: 'Debian GNU/Linux 12', version: '12' },
      kernel: '6.1',
      arch: 'x86_64',
      cpus: 2,
      memoryBytes: 4e9,
      memoryAvailableBytes: 2e9,
      disks: [],
      load: [0, 0, 0],
      uptimeSeconds: 100,
      docker: { version: '26.1.5', apiVersion: '1.45' },
      compose: { version: '2.26.1', v2: true },
    },
    problems: [],
    error: null,
    ...over,
  };
}

function candidate(over: Partial<ImportCandidate>): ImportCandidate {
  return {
    alias: 'a',
    name: 'a',
    address: '127.0.0.1',
    port: 22,
    user: 'ops',
    authKind: 'agent',
    keyFile: null,
    jump: [],
    knownKey: null,
    action: 'add',
    note: null,
    source: '/tmp/config:1',
    ...over,
  };
}

describe('add-host form: jump chain, labels, base domain, registry mirror', () => {
  it('a full draft becomes a hosts.add input the contract accepts, and the probe goes through the jumps', () => {
    const d: HostDraft = {
      ...good,
      jump: ['bastion', 'gw'],
      labels: [
        { key: 'region', value: 'almaty' },
        { key: '', value: '' },
        { key: 'kind', value: ' onprem ' },
      ],
      baseDomain: ' Bots.Example.KZ ',
      registryMirror: 'registry.example.kz:5000',
    };
    expect(validateDraft(d)).toEqual({});
    const input = addInputFromDraft(d, FP);
    expect(input).toMatchObject({
      jump: ['bastion', 'gw'],
      labels: { region: 'almaty', kind: 'onprem' },
      baseDomain: 'bots.example.kz',
      registryMirror: 'registry.example.kz:5000',
    });
    expect(() => commands['hosts.add'].input.parse(input)).not.toThrow();
    expect(probeInputFromDraft(d)).toEqual({ address: '10.0.0.7', port: 22, jump: ['bastion', 'gw'] });
    // Optional fields left empty are sent as "none".
    expect(addInputFromDraft(good, FP)).toMatchObject({
      jump: [],
      labels: {},
      baseDomain: null,
      registryMirror: null,
    });
  });

  it('refuses bad labels, domains, mirrors and jump chains with messages that exist in Russian', () => {
    const bad: HostDraft[] = [
      { ...good, labels: [{ key: 'Region', value: 'x' }] },
      { ...good, labels: [{ key: 'r', value: 'x'.repeat(129) }] },
      { ...good, labels: [{ key: 'r', value: 'a\nb' }] },
      { ...good, labels: [{ key: '', value: 'x' }] },
      {
        ...good,
        labels: [
          { key: 'r', value: '1' },
          { key: 'r', value: '2' },
        ],
      },
      { ...good, baseDomain: 'not a domain' },
      { ...good, registryMirror: 'https://registry' },
      { ...good, jump: ['inner-1'] },
      { ...good, jump: ['gw', 'gw'] },
      { ...good, jump: Array.from({ length: 9 }, (_, i) => `hop-${i}`) },
    ];
    const fields = bad.map((d) => Object.keys(validateDraft(d)));
    expect(fields).toEqual([
      ['labels'],
      ['labels'],
      ['labels'],
      ['labels'],
      ['labels'],
      ['base-domain'],
      ['registry-mirror'],
      ['jump'],
      ['jump'],
      ['jump'],
    ]);
    for (const d of bad)
      for (const m of Object.values(validateDraft(d))) expect(ruSchemaMessages[m ?? ''], m).toBeTruthy();
  });
});

describe('import: paths and choices', () => {
  it('empty paths mean the defaults; a bad path names its field with the contract message', () => {
    expect(importSourceFromPaths({ configPath: ' ', knownHostsPath: '' })).toEqual({ ok: true, value: {} });
    expect(importSourceFromPaths({ configPath: ' /tmp/c ', knownHostsPath: '/tmp/k' })).toEqual({
      ok: true,
      value: { configPath: '/tmp/c', knownHostsPath: '/tmp/k' },
    });
    const r = importSourceFromPaths({ configPath: '/tmp/c', knownHostsPath: 'x'.repeat(5000) });
    expect(r).toMatchObject({ ok: false, field: 'knownHostsPath' });
    if (!r.ok) expect(ruSchemaMessages[r.message]).toBeTruthy();
  });

  it('only hosts the core would add are ticked, and only those can be imported', () => {
    const cs = [
      candidate({ alias: 'a' }),
      candidate({ alias: 'b', action: 'exists', note: 'already there' }),
      candidate({ alias: 'c', action: 'skip', note: 'no HostName' }),
      candidate({ alias: 'd' }),
    ];
    const sel = defaultImportSelection(cs);
    expect(sel).toEqual({ a: true, d: true });
    expect(chosenAliases(cs, sel)).toEqual(['a', 'd']);
    expect(chosenAliases(cs, { ...sel, a: false, b: true, c: true })).toEqual(['d']);
  });
});

describe('host status at a glance', () => {
  it('colours: green ok, amber warning and unconfirmed key, red error/unreachable/changed key, grey unknown', () => {
    expect(statusTone('ok')).toBe('ok');
    expect(statusTone('warning')).toBe('warning');
    expect(statusTone('key-unconfirmed')).toBe('warning');
    expect(statusTone('error')).toBe('error');
    expect(statusTone('unreachable')).toBe('error');
    expect(statusTone('key-changed')).toBe('error');
    expect(statusTone('unknown')).toBe('unknown');
    expect(keyAction('key-changed')).toBe('review');
    expect(keyAction('key-unconfirmed')).toBe('confirm');
    expect(keyAction('ok')).toBeNull();
  });

  it('reachable, key and Docker from the last check', () => {
    const ssh = { kind: 'ssh' as const };
    expect(checkSignals(ssh, check(), 'ok')).toEqual({
      reachable: 'ok',
      key: 'ok',
      docker: 'ok',
      latencyMs: 12.4,
      dockerVersion: '26.1.5',
    });
    const denied = check({
      status: 'error',
      problems: [{ code: 'docker.denied', severity: 'error', message: 'm', fix: 'f' }],
    });
    expect(checkSignals(ssh, denied, 'error')).toMatchObject({ reachable: 'ok', key: 'ok', docker: 'error' });
    const down = check({
      status: 'unreachable',
      latencyMs: null,
      facts: null,
      error: { code: 'ssh.refused', message: 'refused' },
    });
    expect(checkSignals(ssh, down, 'unreachable')).toMatchObject({
      reachable: 'error',
      key: 'unknown',
      docker: 'unknown',
      latencyMs: null,
    });
    expect(checkSignals(ssh, null, 'key-unconfirmed')).toMatchObject({
      key: 'warning',
      reachable: 'unknown',
    });
    expect(checkSignals(ssh, null, 'key-changed')).toMatchObject({ key: 'error', reachable: 'ok' });
    expect(checkSignals({ kind: 'local' }, check({ keyStatus: 'not-applicable' }), 'ok').key).toBe('na');
    expect(checkSignals(ssh, undefined, 'unknown')).toMatchObject({
      reachable: 'unknown',
      key: 'unknown',
      docker: 'unknown',
    });
  });

  it('an SSH host with no pinned key is key-unconfirmed whatever its last check says', () => {
    const imported = hostView({ name: 'h', fingerprint: null, keyAlgorithm: null, lastCheck: check() });
    expect(effectiveStatus(imported, undefined, undefined)).toBe('key-unconfirmed');
    expect(effectiveStatus(hostView({ name: 'h', lastCheck: check() }), undefined, undefined)).toBe('ok');
  });

  it('jump chains, labels and audit details in one line', () => {
    expect(jumpChainText(['bastion', 'gw'])).toBe('bastion → gw');
    expect(labelChips({ region: 'almaty', kind: 'onprem' })).toEqual(['kind=onprem', 'region=almaty']);
    expect(auditDetailsSummary({ from: null, to: FP, hops: ['a', 'b'], ok: true, n: 3 })).toBe(
      `from: — · to: ${FP} · hops: a, b · ok: true · n: 3`,
    );
    const long = auditDetailsSummary({ blob: 'x'.repeat(500) });
    expect(long.length).toBeLessThanOrEqual(200);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('poller', () => {
  it('runs at once, then every interval while visible; never overlaps; catches up when shown again', async () => {
    vi.useFakeTimers();
    try {
      let visible = true;
      let runs = 0;
      let finish: () => void = () => {};
      const poller = createPoller({
        intervalMs: 30_000,
        isVisible: () => visible,
        now: () => Date.now(),
        run: () => {
          runs += 1;
          return new Promise<void>((r) => {
            finish = r;
          });
        },
      });
      poller.start();
      expect(runs).toBe(1);
      // Still running 30 s later: the next tick does not start a second run.
      await vi.advanceTimersByTimeAsync(30_000);
      expect(runs).toBe(1);
      finish();
      await vi.advanceTimersByTimeAsync(0);
      expect(poller.running).toBe(false);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(runs).toBe(2);
      finish();
      // Hidden: ticks pass without running; shown again: runs at once.
      visible = false;
      await vi.advanceTimersByTimeAsync(90_000);
      expect(runs).toBe(2);
      visible = true;
      poller.visibilityChanged();
      expect(runs).toBe(3);
      finish();
      await vi.advanceTimersByTimeAsync(0);
      // Shown again soon after a run: nothing extra.
      poller.visibilityChanged();
      expect(runs).toBe(3);
      poller.stop();
      await vi.advanceTimersByTimeAsync(120_000);
      expect(runs).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The store against a fake core

const base: Partial<Record<CommandName, Answer>> = {
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

function probe(over: Partial<ProbeResult> = {}): ProbeResult {
  return {
    address: '10.0.0.7',
    port: 22,
    fingerprint: FP2,
    algorithm: 'ssh-ed25519',
    known: 'new',
    pinnedFingerprint: null,
    knownHosts: { status: 'absent', source: null },
    ...over,
  };
}

beforeEach(() => {
  initI18n('en');
  resetConsoleSubscriptions();
  useConsole.setState(initial, true);
});
afterEach(() => setApi(null));

describe('console store: checks', () => {
  it('check all: every host, at most a few at once, never two checks of the same host', async () => {
    const hosts = Array.from({ length: 10 }, (_, i) => hostView({ name: `h${i}` }));
    let inFlight = 0;
    let maxInFlight = 0;
    const perHost = new Map<string, number>();
    const f = fakeApi({
      ...base,
      'hosts.list': () => ok(hosts),
      'hosts.check': async (input) => {
        const name = (input as { name: string }).name;
        perHost.set(name, (perHost.get(name) ?? 0) + 1);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight -= 1;
        return ok(check({ host: name, checkedAt: new Date().toISOString() }));
      },
    });
    setApi(f.api);
    await useConsole.getState().start();
    const first = useConsole.getState().checkAll({ quiet: true });
    const second = useConsole.getState().checkAll({ quiet: true });
    await Promise.all([first, second]);
    expect(maxInFlight).toBeLessThanOrEqual(CHECK_CONCURRENCY);
    expect([...perHost.values()].every((n) => n === 1)).toBe(true);
    expect(perHost.size).toBe(10);
    expect(Object.keys(useConsole.getState().checks)).toHaveLength(10);
  });

  it('a quiet (background) check that fails shows no error; a requested one does', async () => {
    const f = fakeApi({
      ...base,
      'hosts.list': () => ok([hostView({ name: 'a' })]),
      'hosts.check': () => fail('host.unknown', 'gone'),
    });
    setApi(f.api);
    await useConsole.getState().start();
    await useConsole.getState().checkAll({ quiet: true });
    expect(useConsole.getState().error).toBeNull();
    await useConsole.getState().checkHost('a');
    expect(useConsole.getState().error).toMatchObject({ scope: 'details', code: 'host.unknown' });
  });
});

describe('console store: host keys', () => {
  it('confirming an unconfirmed key: probe through the jumps, repin, warn about the audit, check again', async () => {
    const inner = hostView({
      name: 'inner',
      address: '10.0.0.7',
      jump: ['bastion'],
      fingerprint: null,
      keyAlgorithm: null,
      lastCheck: check({ host: 'inner', status: 'key-unconfirmed', keyStatus: 'unconfirmed', facts: null }),
    });
    const f = fakeApi({
      ...base,
      'hosts.list': () => ok([hostView({ name: 'bastion' }), inner]),
      'hosts.probe': () => ok(probe()),
      'hosts.repin': () =>
        ok({
          ...inner,
          fingerprint: FP2,
          keyAlgorithm: 'ssh-ed25519',
          auditError: { code: 'audit.write-failed', message: '/opt/truffles is not writable' },
        }),
      'hosts.check': () => ok(check({ host: 'inner', checkedAt: new Date(Date.now() + 1000).toISOString() })),
    });
    setApi(f.api);
    await useConsole.getState().start();
    await useConsole.getState().reviewKey('inner');
    const review = useConsole.getState().keyReview;
    expect(review).toMatchObject({ host: 'inner', mode: 'unconfirmed', probe: { fingerprint: FP2 } });
    expect(f.calls.find((c) => c.name === 'hosts.probe')?.input).toEqual({
      address: '10.0.0.7',
      port: 22,
      jump: ['bastion'],
    });
    expect(useConsole.getState().selectedHost).toBe('inner');

    await useConsole.getState().confirmRepin(FP2);
    expect(f.calls.find((c) => c.name === 'hosts.repin')?.input).toEqual({
      name: 'inner',
      acceptFingerprint: FP2,
    });
    let s = useConsole.getState();
    expect(s.keyReview).toBeNull();
    expect(s.hosts.find((h) => h.name === 'inner')?.fingerprint).toBe(FP2);
    expect(s.hosts.find((h) => h.name === 'inner')).not.toHaveProperty('auditError');
    expect(s.toasts.map((t) => [t.kind, t.key])).toEqual([
      ['success', 'toast.keyPinned'],
      ['warning', 'toast.auditFailed'],
    ]);
    expect(s.toasts[1]?.values['message']).toBe('/opt/truffles is not writable');
    await flush();
    s = useConsole.getState();
    expect(f.calls.filter((c) => c.name === 'hosts.check')).toHaveLength(1);
    expect(s.checks['inner']?.status).toBe('ok');
  });

  it('a changed key opens the review as "changed"; a refused repin shows why and changes nothing', async () => {
    const h = hostView({
      name: 'a',
      lastCheck: check({ host: 'a', status: 'key-changed', keyStatus: 'changed', facts: null }),
    });
    const f = fakeApi({
      ...base,
      'hosts.list': () => ok([h]),
      'hosts.probe': () => ok(probe({ known: 'changed', pinnedFingerprint: FP })),
      'hosts.repin': () => fail('hostkey.mismatch', 'offers another key'),
    });
    setApi(f.api);
    await useConsole.getState().start();
    await useConsole.getState().reviewKey('a');
    expect(useConsole.getState().keyReview?.mode).toBe('changed');
    await useConsole.getState().confirmRepin(FP2);
    const s = useConsole.getState();
    expect(s.keyReview).toBeNull();
    expect(s.error).toMatchObject({ scope: 'details', code: 'hostkey.mismatch' });
    expect(s.hosts[0]?.fingerprint).toBe(FP);
    expect(s.toasts).toEqual([]);
  });

  it('an explicit re-pin of a healthy host opens as "repin"', async () => {
    const f = fakeApi({
      ...base,
      'hosts.list': () => ok([hostView({ name: 'a', lastCheck: check({ host: 'a' }) })]),
      'hosts.probe': () => ok(probe({ known: 'match', pinnedFingerprint: FP, fingerprint: FP })),
    });
    setApi(f.api);
    await useConsole.getState().start();
    await useConsole.getState().reviewKey('a', 'repin');
    expect(useConsole.getState().keyReview?.mode).toBe('repin');
    useConsole.getState().cancelKeyReview();
    expect(useConsole.getState().keyReview).toBeNull();
  });
});

describe('console store: import and audit', () => {
  it('preview → the addable hosts are ticked → import with the same paths → summary, list reloaded', async () => {
    let listed = [hostView({ name: 'old' })];
    const added = [
      hostView({ name: 'sb-known', fingerprint: FP2 }),
      hostView({ name: 'sb-unknown', fingerprint: null, keyAlgorithm: null }),
    ];
    const f = fakeApi({
      ...base,
      'hosts.list': () => ok(listed),
      'hosts.importPreview': () =>
        ok({
          configPath: '/tmp/ssh/config',
          knownHostsPaths: ['/tmp/ssh/known_hosts'],
          candidates: [
            candidate({
              alias: 'sb-known',
              name: 'sb-known',
              knownKey: { fingerprint: FP2, algorithm: 'ssh-ed25519', source: '/tmp/ssh/known_hosts:1' },
            }),
            candidate({ alias: 'sb-unknown', name: 'sb-unknown', note: 'key to confirm' }),
            candidate({ alias: 'old', name: 'old', action: 'exists', note: 'already in the inventory' }),
          ],
          warnings: ['Match blocks are skipped'],
        }),
      'hosts.import': () => {
        listed = [...listed, ...added];
        return ok({ added, skipped: [] });
      },
      'hosts.check': (input) =>
        ok(check({ host: (input as { name: string }).name, checkedAt: new Date().toISOString() })),
    });
    setApi(f.api);
    await useConsole.getState().start();
    useConsole.getState().openImport();
    await useConsole
      .getState()
      .previewImport({ configPath: '/tmp/ssh/config', knownHostsPath: '/tmp/ssh/known_hosts' });
    let s = useConsole.getState();
    expect(s.importSelection).toEqual({ 'sb-known': true, 'sb-unknown': true });
    await useConsole.getState().runImport(['sb-known', 'sb-unknown']);
    expect(f.calls.find((c) => c.name === 'hosts.import')?.input).toEqual({
      configPath: '/tmp/ssh/config',
      knownHostsPath: '/tmp/ssh/known_hosts',
      aliases: ['sb-known', 'sb-unknown'],
    });
    s = useConsole.getState();
    expect(s.importResult?.added.map((h) => h.name)).toEqual(['sb-known', 'sb-unknown']);
    expect(s.importPreview).toBeNull();
    expect(s.hosts.map((h) => h.name)).toEqual(['old', 'sb-known', 'sb-unknown']);
    expect(s.toasts.map((t) => t.key)).toEqual(['toast.imported']);
    await flush();
    // The new hosts are checked at once.
    expect(
      f.calls
        .filter((c) => c.name === 'hosts.check')
        .map((c) => (c.input as { name: string }).name)
        .sort(),
    ).toEqual(['sb-known', 'sb-unknown']);
    useConsole.getState().closeImport();
    expect(useConsole.getState().importOpen).toBe(false);
  });

  it('a preview that fails is shown in the dialog', async () => {
    const f = fakeApi({
      ...base,
      'hosts.list': () => ok([]),
      'hosts.importPreview': () => fail('import.config-missing', 'no such file'),
    });
    setApi(f.api);
    await useConsole.getState().start();
    useConsole.getState().openImport();
    await useConsole.getState().previewImport({ configPath: '/nope' });
    const s = useConsole.getState();
    expect(s.importPreview).toBeNull();
    expect(s.error).toMatchObject({ scope: 'import', code: 'import.config-missing' });
  });

  it('reads a host’s audit trail; a failure is shown only for the host being looked at', async () => {
    const entries = [
      {
        at: '2026-01-02T00:00:00Z',
        actor: 'op@laptop',
        action: 'host.repin',
        subject: 'host:a',
        details: {},
      },
    ];
    const f = fakeApi({
      ...base,
      'hosts.list': () => ok([hostView({ name: 'a' }), hostView({ name: 'b' })]),
      'hosts.audit': (input) =>
        (input as { name: string }).name === 'a'
          ? ok(entries)
          : fail('audit.unreadable', 'permission denied'),
    });
    setApi(f.api);
    await useConsole.getState().start();
    useConsole.getState().selectAuditHost('a');
    await useConsole.getState().loadAudit('a');
    expect(useConsole.getState().audit['a']?.entries).toEqual(entries);
    await useConsole.getState().loadAudit('b');
    expect(useConsole.getState().error).toBeNull();
    useConsole.getState().selectAuditHost('b');
    await useConsole.getState().loadAudit('b');
    expect(useConsole.getState().error).toMatchObject({ scope: 'audit', code: 'audit.unreadable' });
  });
});
