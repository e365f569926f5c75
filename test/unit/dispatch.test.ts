import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  commands,
  defineSlice,
  EFFECTS,
  effectOf,
  Empty,
  mergeSlices,
  SLICES,
  type CommandDef,
  type CommandName,
} from '../../src/shared/contract';
import { Core } from '../../src/main/core/core';
import {
  dispatch,
  readOnlyForSupport,
  type Caller,
  type Handler,
  type Policy,
} from '../../src/main/core/dispatch';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { tempDir } from '../helpers/tmp';

/** Issue 12: every command declares its effect; one door runs look up → validate → policy → run. */
describe('the contract is merged from the features’ slices', () => {
  it('every command declares an effect: read, write or danger', () => {
    const names = Object.keys(commands) as CommandName[];
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) expect(EFFECTS, name).toContain(effectOf(name));
  });

  it('what destroys or replaces data or trust is danger; what only looks is read', () => {
    for (const name of [
      'tenants.delete',
      'backups.restore',
      'backups.rekey',
      'backups.removeRecipient',
      'hosts.repin',
      'fleet.update',
    ] as const)
      expect(effectOf(name), name).toBe('danger');
    for (const name of [
      'app.info',
      'hosts.list',
      'hosts.check',
      'hosts.audit',
      'tenants.list',
      'tenants.status',
      'backups.list',
      'backups.overview',
    ] as const)
      expect(effectOf(name), name).toBe('read');
  });

  it('each command belongs to exactly one slice', () => {
    const all = SLICES.flatMap((s) => Object.keys(s.commands));
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(Object.keys(commands).sort());
  });

  it('refuses a name two slices declare, naming both features', () => {
    const a = defineSlice('alpha', { 'x.ping': { effect: 'read', input: Empty, output: z.null() } });
    const b = defineSlice('beta', { 'x.ping': { effect: 'write', input: Empty, output: z.null() } });
    expect(() => mergeSlices(a, b)).toThrow(/x\.ping is declared by both alpha and beta/);
    expect(() =>
      mergeSlices(...SLICES, defineSlice('late', { 'hosts.list': commands['hosts.list'] })),
    ).toThrow(/hosts\.list is declared by both hosts and late/);
  });

  it('refuses a command without an effect, or with one that is not read, write or danger', () => {
    const none = { input: Empty, output: z.null() } as unknown as CommandDef;
    expect(() => mergeSlices(defineSlice('demo', { 'demo.ping': none }))).toThrow(
      /demo\.ping \(demo\) declares no effect/,
    );
    const odd = { effect: 'maybe', input: Empty, output: z.null() } as unknown as CommandDef;
    expect(() => mergeSlices(defineSlice('demo', { 'demo.ping': odd }))).toThrow(/declares no effect/);
    expect(() =>
      mergeSlices(defineSlice('demo', { ping: { effect: 'read', input: Empty, output: z.null() } })),
    ).toThrow(/is not area\.verb/);
  });

  it('a new read command is one slice and one entry in the registration list', () => {
    // What docs/architecture.md's recipe describes: the feature's slice, then SLICES gets it.
    const demo = defineSlice('demo', {
      'demo.ping': {
        effect: 'read',
        input: z.object({ say: z.string().max(8) }).strict(),
        output: z.string(),
      },
    });
    const merged = mergeSlices(...SLICES, demo);
    expect(merged['demo.ping'].effect).toBe('read');
    expect(Object.keys(merged)).toHaveLength(Object.keys(commands).length + 1);
  });
});

describe('one door: look up → validate → policy → run', () => {
  const owner: Caller = { role: 'owner', via: 'test' };
  const support: Caller = { role: 'support', via: 'test' };
  const seen: string[] = [];
  const handlers = new Proxy({} as Record<CommandName, Handler>, {
    get: (_t, name: string) => async (input: unknown) => {
      seen.push(name);
      return { ran: name, input };
    },
  });
  const asked: { name: string; effect: string; role: string }[] = [];
  const recording: Policy = (cmd, caller) => {
    asked.push({ ...cmd, role: caller.role });
    return readOnlyForSupport(cmd, caller);
  };

  it('asks the policy with the command’s effect and the caller, after validating the input', async () => {
    asked.length = 0;
    seen.length = 0;
    const bad = await dispatch({ handlers, policy: recording }, 'hosts.forget', { name: '-bad' }, owner);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.code).toBe('contract.invalid-input');
    expect(asked).toEqual([]);
    const ok = await dispatch({ handlers, policy: recording }, 'hosts.forget', { name: 'h1' }, owner);
    expect(ok).toEqual({ ok: true, value: { ran: 'hosts.forget', input: { name: 'h1' } } });
    expect(asked).toEqual([{ name: 'hosts.forget', effect: 'write', role: 'owner' }]);
  });

  it('a refusal runs nothing and says why, with the command and its effect', async () => {
    seen.length = 0;
    const r = await dispatch(
      { handlers, policy: recording },
      'tenants.delete',
      { slug: 'acme', confirm: 'acme' },
      support,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('policy.denied');
      expect(r.error.message).toMatch(
        /tenants\.delete changes things \(danger\); the support role may only look/,
      );
      expect(r.error.details).toEqual({ command: 'tenants.delete', effect: 'danger', role: 'support' });
    }
    expect(seen).toEqual([]);
    const read = await dispatch({ handlers, policy: recording }, 'tenants.list', {}, support);
    expect(read.ok).toBe(true);
    expect(seen).toEqual(['tenants.list']);
  });

  it('an unknown command is refused before validation or policy', async () => {
    asked.length = 0;
    const r = await dispatch({ handlers, policy: recording }, 'hosts.format', {}, owner);
    expect(!r.ok && r.error.code).toBe('contract.unknown-command');
    expect(asked).toEqual([]);
  });
});

describe('the core’s door', () => {
  let t: ReturnType<typeof tempDir>;
  let open: Core;
  let guarded: Core;
  beforeAll(() => {
    t = tempDir();
    const make = (policy?: Policy): Core =>
      new Core({
        home: join(t.dir, 'home'),
        secrets: new PassphraseProvider(async () => 'unused'),
        mode: 'cli',
        ...(policy ? { policy } : {}),
      });
    open = make();
    guarded = make(readOnlyForSupport);
  });
  afterAll(async () => {
    await open.close();
    await guarded.close();
    t.cleanup();
  });

  it('allows everything by default (today every operator is an owner), for any caller', async () => {
    const r = await open.dispatch('settings.update', { language: 'ru' }, { role: 'support', via: 'test' });
    expect(r).toEqual({ ok: true, value: { language: 'ru' } });
  });

  it('with a policy, a support caller may read but its writes never reach the store', async () => {
    const before = await guarded.call('settings.get', {});
    const r = await guarded.dispatch(
      'settings.update',
      { language: before.language === 'en' ? 'ru' : 'en' },
      {
        role: 'support',
        via: 'test',
      },
    );
    expect(!r.ok && r.error.code).toBe('policy.denied');
    expect(await guarded.call('settings.get', {}, { role: 'support', via: 'test' })).toEqual(before);
    // The console's own mode as an owner when no caller is given.
    expect((await guarded.call('settings.update', { language: 'en' })).language).toBe('en');
  });

  it('call() gives the typed value or throws the error with its code', async () => {
    expect((await open.call('app.info', {})).mode).toBe('cli');
    await expect(open.call('hosts.check', { name: 'nowhere' })).rejects.toMatchObject({
      code: 'host.unknown',
    });
  });
});
