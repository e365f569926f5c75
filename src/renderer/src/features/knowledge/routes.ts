/**
 * The section(s) this feature adds: the name in the hash, the key that opens it after `G`, and whether
 * a support console (every host reached through its read-only support door, issue 17) may use it.
 */
export const knowledgeRoute = {
  screen: 'knowledge',
  key: { code: 'KeyK', letter: 'K' },
  support: true,
} as const;
