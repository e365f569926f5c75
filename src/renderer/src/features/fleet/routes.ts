/**
 * The section(s) this feature adds: the name in the hash, the key that opens it after `G`, and whether
 * a support console (every host reached through its read-only support door, issue 17) may use it.
 */
export const fleetRoute = { screen: 'fleet', key: { code: 'KeyF', letter: 'F' }, support: true } as const;
export const updatesRoute = {
  screen: 'updates',
  key: { code: 'KeyU', letter: 'U' },
  support: false,
} as const;
