/** A store's busy flags: `busy[key]` is true while that work runs; a finished key is removed. */
export interface BusyState {
  busy: Record<string, boolean>;
}

/** The `setBusy(key, on)` of a zustand store that has busy flags. */
export function busySetter(
  set: (fn: (s: BusyState) => BusyState) => void,
): (key: string, value: boolean) => void {
  return (key, value) =>
    set((s) => {
      const busy = { ...s.busy };
      if (value) busy[key] = true;
      else delete busy[key];
      return { busy };
    });
}
