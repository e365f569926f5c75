import type { AppEvent, CommandName, Result, TrufflesApi } from '../../src/shared/contract';

/** Answers of a fake core for the renderer's store tests (the real core is tested end to end). */
export const ok = (value: unknown): Result<unknown> => ({ ok: true, value });
export const fail = (code: string, message: string, hint?: string): Result<unknown> => ({
  ok: false,
  error: { code, message, ...(hint ? { hint } : {}) },
});

export type Answer = (input: unknown) => Result<unknown> | Promise<Result<unknown>>;

/** A fake core: records calls, answers from a table (unknown commands fail), emits events on demand. */
export function fakeApi(answers: Partial<Record<CommandName, Answer>>) {
  const calls: { name: CommandName; input: unknown }[] = [];
  const listeners = new Set<(e: AppEvent) => void>();
  const api: TrufflesApi = {
    invoke: ((name: CommandName, input: unknown) => {
      calls.push({ name, input });
      const a = answers[name];
      return Promise.resolve(a ? a(input) : fail('test.unexpected', name));
    }) as TrufflesApi['invoke'],
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { api, calls, emit: (e: AppEvent) => listeners.forEach((l) => l(e)) };
}
