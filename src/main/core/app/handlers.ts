import { appSlice, eventsSlice, opsSlice } from '../../../shared/contract';
import { CoreError } from '../errors';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** The console itself: what it is, its settings. */
export const appFeature = defineFeature(appSlice, (ctx: FeatureContext) => ({
  'app.info': () => ctx.appInfo(),
  'settings.get': async () => (await ctx.store.read()).settings,
  'settings.update': async (patch) =>
    ctx.store.update((d) => {
      d.settings = { ...d.settings, ...patch };
      return d.settings;
    }),
}));

/** Subscriptions: an owner (a window, a socket) asks for events by topic. */
export const eventsFeature = defineFeature(eventsSlice, (ctx: FeatureContext) => ({
  'events.subscribe': async (i, caller) => {
    const id = caller.owner === undefined ? null : ctx.hub.subscribe(caller.owner, i.topics);
    if (id === null)
      throw new CoreError(
        'events.no-owner',
        'Only a window or a connected page can subscribe to events.',
        'In-process code listens with core.onEvent instead.',
      );
    return { id };
  },
  'events.unsubscribe': async (i, caller) => ({
    removed: caller.owner !== undefined && ctx.hub.unsubscribe(caller.owner, i.id),
  }),
}));

/** Long operations: listed, cancelled. */
export const opsFeature = defineFeature(opsSlice, (ctx: FeatureContext) => ({
  'ops.list': async () => ctx.ops.list(),
  'ops.cancel': async (i) => ({ cancelled: ctx.ops.cancel(i.opId) }),
}));
