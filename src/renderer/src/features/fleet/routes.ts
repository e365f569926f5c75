/** The section(s) this feature adds: the name in the hash and the key that opens it after `G`. */
export const fleetRoute = { screen: 'fleet', key: { code: 'KeyF', letter: 'F' } } as const;
export const updatesRoute = { screen: 'updates', key: { code: 'KeyU', letter: 'U' } } as const;
