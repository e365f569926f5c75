/** The section(s) this feature adds: the name in the hash and the key that opens it after `G`. */
export const auditRoute = { screen: 'audit', key: { code: 'KeyA', letter: 'A' } } as const;
