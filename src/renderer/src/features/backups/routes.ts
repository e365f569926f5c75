/** The section(s) this feature adds: the name in the hash and the key that opens it after `G`. */
export const backupsRoute = { screen: 'backups', key: { code: 'KeyB', letter: 'B' } } as const;
