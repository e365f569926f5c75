import { describe, expect, it } from 'vitest';
import { commands, SLICES, type CommandName } from '../../src/shared/contract';
import { buildHandlers, FEATURES, type FeatureContext } from '../../src/main/core/features';

/** Issue 12 item 1: each feature registers its own handlers, typed by its own slice; one list merges them. */
const ctx = new Proxy({} as FeatureContext, { get: () => ({}) });

describe('the core’s features', () => {
  it('one feature per slice, and each handles exactly its slice’s commands', () => {
    expect(Object.keys(FEATURES).sort()).toEqual(SLICES.map((s) => s.feature).sort());
    for (const [name, feature] of Object.entries(FEATURES)) {
      expect(feature.slice.feature).toBe(name);
      expect(Object.keys(feature.handlers(ctx)).sort(), name).toEqual(
        Object.keys(feature.slice.commands).sort(),
      );
    }
  });

  it('the merged table has one handler for every command of the contract', () => {
    const table = buildHandlers(ctx, Object.keys(commands) as CommandName[]);
    expect(Object.keys(table).sort()).toEqual(Object.keys(commands).sort());
  });

  it('a command of the contract that no feature handles is refused at start-up, by name', () => {
    expect(() =>
      buildHandlers(ctx, [...(Object.keys(commands) as CommandName[]), 'health.snapshot' as CommandName]),
    ).toThrow('core: no handler for health.snapshot');
  });
});
