import type { z } from 'zod';
import type { Slice } from '../../shared/contract';
import type { Caller } from './dispatch';

/**
 * A capability's part of the core: the handlers of its contract slice. Each feature folder
 * (`hosts/`, `tenants/`, `edge/`, `images/`, `backups/`, `fleet/`, `app/`) exports one, built with
 * `defineFeature(slice, (ctx) => handlers)`; the core's one list (`features.ts: FEATURES`) merges
 * them. A feature's handlers are typed by its own slice: a missing or extra command, or a wrong
 * input or output type, fails the type check in the feature's own file.
 */
export type SliceHandlers<S extends Slice> = {
  [N in keyof S['commands']]: (
    input: z.output<S['commands'][N]['input']>,
    caller: Caller,
  ) => Promise<z.output<S['commands'][N]['output']>>;
};

export interface Feature<S extends Slice, Ctx> {
  slice: S;
  handlers(ctx: Ctx): SliceHandlers<S>;
}

export function defineFeature<S extends Slice, Ctx>(
  slice: S,
  handlers: (ctx: Ctx) => SliceHandlers<S>,
): Feature<S, Ctx> {
  return { slice, handlers };
}
