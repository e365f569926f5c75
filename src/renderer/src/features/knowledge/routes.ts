/** The section(s) this feature adds: the name in the hash and the key that opens it after `G`. */
export const knowledgeRoute = { screen: 'knowledge', key: { code: 'KeyK', letter: 'K' } } as const;
