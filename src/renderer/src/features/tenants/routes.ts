/** The section(s) this feature adds: the name in the hash and the key that opens it after `G`. */
export const tenantsRoute = { screen: 'tenants', key: { code: 'KeyT', letter: 'T' } } as const;
