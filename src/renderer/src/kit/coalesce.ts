/**
 * A reload that never runs twice at once. A call while one runs shares its promise and makes it
 * fetch once more when it is done, so the newest change is always read (the lists reload on
 * every `*.changed` event, which come in bursts).
 */
export interface Coalesced {
  run(
    step: () => Promise<void>,
    hooks: { busy: (on: boolean) => void; fail: (err: unknown) => void },
  ): Promise<void>;
  /** For tests: forget a run in flight. */
  reset(): void;
}

export function coalesced(): Coalesced {
  let current: Promise<void> | null = null;
  let again = false;
  return {
    run(step, hooks) {
      if (current) {
        again = true;
        return current;
      }
      const go = async (): Promise<void> => {
        hooks.busy(true);
        try {
          do {
            again = false;
            await step();
          } while (again);
        } catch (err) {
          hooks.fail(err);
        } finally {
          hooks.busy(false);
          current = null;
        }
      };
      current = go();
      return current;
    },
    reset() {
      current = null;
      again = false;
    },
  };
}
