/** The section(s) this feature adds: the name in the hash and the key that opens it after `G`. */
export const hostsRoute = { screen: 'hosts', key: { code: 'KeyH', letter: 'H' } } as const;
