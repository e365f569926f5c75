/** The section(s) this feature adds: the name in the hash and the key that opens it after `G`. */
export const costsRoute = { screen: 'costs', key: { code: 'KeyC', letter: 'C' } } as const;
