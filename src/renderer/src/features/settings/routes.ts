/** The section(s) this feature adds: the name in the hash and the key that opens it after `G`. */
export const settingsRoute = { screen: 'settings', key: { code: 'KeyS', letter: 'S' } } as const;
