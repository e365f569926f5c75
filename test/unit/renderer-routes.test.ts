import { describe, expect, it } from 'vitest';
import { ROUTES, SCREENS, isScreen } from '../../src/renderer/src/features/routes';
import { busySetter } from '../../src/renderer/src/kit/busy';
import type { BusyState } from '../../src/renderer/src/kit/busy';

describe('renderer routes (the one list the sidebar, router and shortcuts are built from)', () => {
  it('lists the sections in sidebar order, each once, each with its own G-key', () => {
    expect(SCREENS).toEqual([
      'fleet',
      'alerts',
      'hosts',
      'tenants',
      'inbox',
      'backups',
      'updates',
      'costs',
      'knowledge',
      'audit',
      'settings',
    ]);
    const codes = ROUTES.map((r) => r.key.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const r of ROUTES) expect(r.key.code).toBe(`Key${r.key.letter}`);
  });

  it('says which sections a support console may use: reads the hosts serve it, and its own settings', () => {
    expect(ROUTES.filter((r) => r.support).map((r) => r.screen)).toEqual([
      'fleet',
      'alerts',
      'hosts',
      'inbox',
      'costs',
      'knowledge',
      'settings',
    ]);
  });

  it('knows a section name from any other string', () => {
    expect(isScreen('tenants')).toBe(true);
    expect(isScreen('tenant')).toBe(false);
    expect(isScreen('')).toBe(false);
  });
});

describe('kit busySetter', () => {
  it('sets a busy flag and removes it when the work ends, leaving the others', () => {
    let state: BusyState = { busy: { other: true } };
    const setBusy = busySetter((fn) => {
      state = fn(state);
    });
    setBusy('load', true);
    expect(state.busy).toEqual({ other: true, load: true });
    setBusy('load', false);
    expect(state.busy).toEqual({ other: true });
    expect('load' in state.busy).toBe(false);
  });
});
