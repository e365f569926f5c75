import {
  commands,
  isCommandName,
  type CommandName,
  type Effect,
  type ErrorInfo,
  type Result,
} from '../../shared/contract';
import type { CommandAudit } from './audit/journal';
import { toErrorInfo } from './errors';

/**
 * The one door into the core. The desktop IPC, the browser bridge, the CLI and the core's own
 * scheduler all enter here, in the same order:
 *
 *   look up → validate (the contract's zod schema) → policy (by effect and the caller's role) → run
 *   → audit (every command that is not a read: its start and its outcome, failures included)
 *
 * Nothing reaches a handler that was not validated and allowed.
 */

/** Who is asking. `owner` may do everything; `support` may only look (enforced on the host by issue 17). */
export type Role = 'owner' | 'support';

export interface Caller {
  role: Role;
  /** Which door the command came through. */
  via: 'electron' | 'web' | 'cli' | 'scheduler' | 'test';
  /** The window or socket asking: what its subscriptions belong to and end with. */
  owner?: string;
}

/** A refusal says why, in the same shape as every other error; null lets the command run. */
export type Policy = (command: { name: CommandName; effect: Effect }, caller: Caller) => ErrorInfo | null;

/** Today's policy: everybody at the console is an owner. The host is where a role will be enforced. */
export const allowAll: Policy = () => null;

/**
 * The support role as the console's interface will apply it: reads only. (A check here is for the
 * interface; the host's read-only door is what makes it security.)
 */
export const readOnlyForSupport: Policy = ({ name, effect }, caller) =>
  caller.role === 'support' && effect !== 'read'
    ? {
        code: 'policy.denied',
        message: `${name} changes things (${effect}); the ${caller.role} role may only look.`,
        hint: 'Ask an owner of this host to do it.',
        details: { command: name, effect, role: caller.role },
      }
    : null;

export type Handler = (input: unknown, caller: Caller) => Promise<unknown>;

export interface DispatchOptions {
  handlers: Readonly<Record<CommandName, Handler>>;
  policy: Policy;
  /** The one audit writer; without it nothing is recorded (unit tests of the door). */
  audit?: CommandAudit;
}

export async function dispatch(
  options: DispatchOptions,
  name: unknown,
  input: unknown,
  caller: Caller,
): Promise<Result<unknown>> {
  if (!isCommandName(name)) {
    return {
      ok: false,
      error: {
        code: 'contract.unknown-command',
        message: `Unknown command ${JSON.stringify(name)}.`,
        hint: 'The renderer and the core are out of step; reload the window.',
      },
    };
  }
  const def = commands[name];
  const parsed = def.input.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    return {
      ok: false,
      error: {
        code: 'contract.invalid-input',
        message: `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid input'}`,
        hint: 'Correct the highlighted field and try again.',
        details: {
          issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
        },
      },
    };
  }
  const refusal = options.policy({ name, effect: def.effect }, caller);
  if (refusal) return { ok: false, error: refusal };
  const recordOutcome =
    def.effect === 'read' ? null : options.audit?.begin({ name, effect: def.effect }, parsed.data, caller);
  let result: Result<unknown>;
  try {
    result = { ok: true, value: await options.handlers[name](parsed.data, caller) };
  } catch (err) {
    result = { ok: false, error: toErrorInfo(err) };
  }
  await recordOutcome?.(result.ok ? { ok: true } : { ok: false, error: result.error });
  return result;
}
