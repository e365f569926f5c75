/**
 * A fresh id for one long operation the renderer starts (a create, a fleet update): the core runs
 * it under this id, its progress events carry it from the first one, and `ops.cancel` takes it.
 */
export function newOpId(kind: string, random: () => string = randomHex): string {
  return `${kind}-${Date.now().toString(36)}-${random()}`;
}

function randomHex(): string {
  // Typed here: the module also runs in unit tests, without the DOM's types.
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto;
  if (c?.getRandomValues) {
    const b = c.getRandomValues(new Uint8Array(6));
    return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  }
  return Math.random().toString(16).slice(2, 14);
}
