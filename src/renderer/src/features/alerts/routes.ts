/** The section(s) this feature adds: the name in the hash and the key that opens it after `G`. */
export const alertsRoute = { screen: 'alerts', key: { code: 'KeyL', letter: 'L' } } as const;
