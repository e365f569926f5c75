/**
 * Several fields of one zustand store in one hook call: `const { tenants, loaded } =
 * useFields(useTenants, ['tenants', 'loaded'])`. The component re-renders only when one of the
 * picked values changes (shallow compare), as it would with one selector per field.
 */
import type { StoreApi, UseBoundStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';

/** The named fields of `state`, as a new object. */
export function pick<S extends object, K extends keyof S>(state: S, keys: readonly K[]): Pick<S, K> {
  const out = {} as Pick<S, K>;
  for (const k of keys) out[k] = state[k];
  return out;
}

export function useFields<S extends object, K extends keyof S>(
  store: UseBoundStore<StoreApi<S>>,
  keys: readonly K[],
): Pick<S, K> {
  return store(useShallow((s: S) => pick(s, keys)));
}
