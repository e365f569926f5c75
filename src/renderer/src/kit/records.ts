/** A copy of `record` without `key` (the store's maps are replaced, never changed in place). */
export function withoutKey<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const out = { ...record };
  delete out[key];
  return out;
}
