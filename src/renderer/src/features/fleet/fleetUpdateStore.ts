/**
 * The Fleet update section's state: the form (which tenants, which modules, how many at once,
 * when to stop) and the one update in progress, followed by its opId through `fleet.progress`
 * events, then finished with the outcomes the call returns. Actions call the core through `call`
 * and never throw; a call that fails is kept in the run and shown with it.
 */
import { create } from 'zustand';
import type { AppEvent } from '../../../../shared/contract';
import { call, getApi, toErrorInfo } from '../../api';
import {
  emptyFleetDraft,
  finishFleet,
  fleetInputFromDraft,
  initialFleetRun,
  newOpId,
  reduceFleet,
  setModuleChange,
  tallyFleet,
  toggleSlug,
} from './fleetUpdate';
import type { FleetDraft, FleetErrors, FleetRun } from './fleetUpdate';
import { useConsole } from '../../app/store';

export interface FleetUpdateState {
  draft: FleetDraft;
  /** Set after a Start whose form had errors (they are shown from then on). */
  errors: FleetErrors;
  run: FleetRun | null;
  busy: boolean;

  updateDraft(patch: Partial<FleetDraft>): void;
  toggleSlug(slug: string, on: boolean): void;
  setModule(name: string, change: 'add' | 'remove' | null): void;
  /** Check the form: the errors, none when it can start. */
  validate(): FleetErrors;
  /** Start the update (the form must be valid); `expected` is how many tenants the preview showed. */
  start(expected: number): Promise<void>;
  /** Back to the form after a finished update (the form is kept). */
  closeRun(): void;
  resetDraft(): void;
}

let unsubscribe: (() => void) | null = null;

export const useFleetUpdate = create<FleetUpdateState>()((set, get) => {
  function onEvent(event: AppEvent): void {
    if (event.type !== 'fleet.progress') return;
    const run = get().run;
    if (!run) return;
    const next = reduceFleet(run, event);
    if (next !== run) set({ run: next });
  }

  function subscribe(): void {
    if (!unsubscribe) unsubscribe = getApi().onEvent(onEvent);
  }

  return {
    draft: { ...emptyFleetDraft },
    errors: {},
    run: null,
    busy: false,

    updateDraft(patch) {
      set((s) => ({ draft: { ...s.draft, ...patch } }));
    },

    toggleSlug(slug, on) {
      set((s) => ({ draft: { ...s.draft, slugs: toggleSlug(s.draft, slug, on) } }));
    },

    setModule(name, change) {
      set((s) => ({ draft: { ...s.draft, ...setModuleChange(s.draft, name, change) } }));
    },

    validate() {
      const r = fleetInputFromDraft(get().draft, 'check');
      const errors = r.ok ? {} : r.errors;
      set({ errors });
      return errors;
    },

    async start(expected) {
      if (get().busy) return;
      const opId = newOpId();
      const parsed = fleetInputFromDraft(get().draft, opId);
      if (!parsed.ok) {
        set({ errors: parsed.errors });
        return;
      }
      subscribe();
      set({
        busy: true,
        errors: {},
        run: initialFleetRun(opId, parsed.input, expected, new Date().toISOString()),
      });
      useConsole.getState().clearError();
      try {
        const result = await call('fleet.update', parsed.input);
        const run = get().run;
        if (run && run.opId === opId) {
          const done = finishFleet(run, result, new Date().toISOString());
          set({ run: done });
          const tally = tallyFleet(done);
          useConsole
            .getState()
            .pushToast(tally.failed > 0 || result.stopped ? 'warning' : 'success', 'toast.fleetDone', {
              updated: String(tally.updated),
              total: String(tally.total),
            });
        }
      } catch (err) {
        const run = get().run;
        if (run && run.opId === opId)
          set({
            run: { ...run, phase: 'failed', error: toErrorInfo(err), finishedAt: new Date().toISOString() },
          });
      } finally {
        set({ busy: false });
      }
    },

    closeRun() {
      if (get().busy) return;
      set({ run: null });
    },

    resetDraft() {
      if (get().busy) return;
      set({ draft: { ...emptyFleetDraft }, errors: {}, run: null });
    },
  };
});

/** For tests: drop the event subscription so a fresh API can be wired. */
export function resetFleetUpdateSubscriptions(): void {
  unsubscribe?.();
  unsubscribe = null;
}
