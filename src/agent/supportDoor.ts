/**
 * The support door (issue 17): what a support person's key reaches on a host, and nothing else.
 *
 * A support account is not in the docker group and has no shell: its only program is the door's
 * bridge (a forced command), which connects to this door's own socket and names the person from
 * the key that logged in. This door serves curated reads of the agent — the health snapshot and
 * history, containers' logs (bounded), alerts, cost views, conversations, the knowledge bases'
 * listings and test search — with every string passed through the host's redactor (every
 * tenant's secret values, and secret shapes). Everything else the agent
 * answers is refused here by name (`forbidden`), and what is not the agent's is unknown. Reads of
 * people's data (a conversation's messages) are written to the host's audit trail with who read
 * what; the record names the conversation, never its text.
 *
 * A revoke reaches open connections too: sshd checks a key only when a connection logs in, so every
 * request is let through only while the person is still on the host's access list (with the support
 * role, not expired), and a followed stream is ended within ACCESS_RECHECK_MS of their revoke.
 */
import type { Redactor } from '../shared/redact';
import { RequestError } from './server';
import type { Caller, Door, MethodHandler, StreamHandler } from './server';

/** Answers a support person may have. */
export const SUPPORT_METHODS = [
  'ping',
  'snapshot',
  'history',
  'alerts',
  'cost.view',
  'cost.conversation',
  'cost.prices',
  'cost.rates',
  'cost.budget',
  'inbox.pending',
  'inbox.list',
  'inbox.conversation',
  'inbox.messages',
  'kb.documents',
  'kb.jobs',
  'kb.chunks',
  'kb.search',
] as const;
/** Streams a support person may follow. */
export const SUPPORT_STREAMS = ['watch', 'logs'] as const;

/** The most lines a support person's logs request starts with. */
export const SUPPORT_LOG_TAIL = 2000;
/** How long one followed log stream may run before the door ends it (the console may start another). */
export const SUPPORT_FOLLOW_MS = 30 * 60_000;

/** How often a followed stream (watch, logs) checks that its person still has access. */
export const ACCESS_RECHECK_MS = 10_000;

/** Reads of people's data: what each names in the audit trail (a tenant and a pseudonymous reference). */
const conversationRead = (p: Record<string, unknown>): { subject: string; ref: string } => ({
  subject: `tenant:${String(p['tenant'] ?? '?').slice(0, 64)}`,
  ref: `conversation:${String(p['id'] ?? '?').slice(0, 64)}`,
});
const PERSONAL_READS: Record<string, (p: Record<string, unknown>) => { subject: string; ref: string }> = {
  'inbox.list': (p) => ({
    subject: `tenant:${String(p['tenant'] ?? '?').slice(0, 64)}`,
    ref: 'conversations',
  }),
  'inbox.conversation': conversationRead,
  'inbox.messages': conversationRead,
  'cost.conversation': (p) => ({
    subject: `tenant:${String(p['tenant'] ?? '?').slice(0, 64)}`,
    ref: `conversation:${String(p['conversationId'] ?? '?').slice(0, 64)}`,
  }),
};

/** A person's standing on the host's access list, as `SupportDoorDeps.access` reads it. */
export type AccessStanding = 'granted' | 'revoked' | 'expired' | 'unreadable';

export interface SupportDoorDeps {
  /** Whether `actor` may still look: read from the host's access list at every request (fail closed). */
  access(actor: string): Promise<AccessStanding>;
  /** The host's redactor, fresh enough to know every tenant's secrets. */
  redactor(): Promise<Redactor>;
  /** Record a support person's read of people's data in the host's audit trail. */
  recordRead(actor: string, method: string, subject: string, ref: string): Promise<void>;
  /** How often a followed stream rechecks its person's access (default ACCESS_RECHECK_MS). */
  recheckMs?: number;
  now?(): number;
}

function forbidden(method: string): RequestError {
  return new RequestError(
    'forbidden',
    `The support door does not serve "${method}": support may look, never change. Ask an operator.`,
  );
}

export function supportDoor(inner: Door, deps: SupportDoorDeps): Door {
  const methods: Record<string, MethodHandler> = {};
  const streams: Record<string, StreamHandler> = {};
  const allowed = new Set<string>([...SUPPORT_METHODS, ...SUPPORT_STREAMS]);
  // Every other thing the agent answers is refused by name: a support person learns it exists and
  // that it is not theirs, and a modified console learns nothing else.
  for (const name of [...Object.keys(inner.methods), ...Object.keys(inner.streams)])
    if (!allowed.has(name))
      methods[name] = () => {
        throw forbidden(name);
      };

  const who = (caller: Caller): string => {
    if (!caller.actor) throw new RequestError('forbidden', 'This door serves only people its bridge names.');
    return caller.actor;
  };
  /** The person, when the host's access list still lets them look; refused otherwise. */
  const admit = async (caller: Caller): Promise<string> => {
    const actor = who(caller);
    const standing = await deps.access(actor).catch((): AccessStanding => 'unreadable');
    if (standing === 'granted') return actor;
    throw new RequestError(
      'forbidden',
      standing === 'unreadable'
        ? 'The host’s access list cannot be read, so the support door serves no one. Ask an operator.'
        : `The access of "${actor}" to this host was ${standing === 'expired' ? 'granted until a day that has passed' : 'revoked'}: nothing more is served. Ask an operator.`,
    );
  };
  /**
   * Start a followed stream once its person is admitted and the redactor is ready (no event leaves
   * unredacted), and end it when their access goes. Returns the stop function the server keeps.
   */
  const followed = (
    ctx: Parameters<StreamHandler>[2],
    start: (r: Redactor) => (() => void) | undefined,
    extraStop: () => void = () => undefined,
  ): (() => void) => {
    let stopInner: (() => void) | undefined;
    let stopped = false;
    const stop = (): void => {
      stopped = true;
      clearInterval(recheck);
      extraStop();
      stopInner?.();
    };
    const fail = (err: unknown): void => {
      stop();
      ctx.end(err instanceof Error ? err : new Error(String(err)));
    };
    const recheck = setInterval(
      () => void admit(ctx.caller).catch(fail),
      deps.recheckMs ?? ACCESS_RECHECK_MS,
    );
    recheck.unref?.();
    void admit(ctx.caller)
      .then(() => deps.redactor())
      .then((r) => {
        if (!stopped) stopInner = start(r);
      }, fail);
    return stop;
  };

  for (const name of SUPPORT_METHODS) {
    const handler = Object.hasOwn(inner.methods, name) ? inner.methods[name] : undefined;
    if (!handler) continue;
    methods[name] = async (params, caller) => {
      const actor = await admit(caller);
      const personal = PERSONAL_READS[name]?.(params);
      // Recorded before the data leaves: a read that cannot be recorded is not served.
      if (personal) await deps.recordRead(actor, name, personal.subject, personal.ref);
      const result = await handler(params, caller);
      return (await deps.redactor()).deep(result);
    };
  }

  const watch = inner.streams['watch'];
  if (watch)
    streams['watch'] = (params, send, ctx) => {
      who(ctx.caller);
      return followed(ctx, (r) => watch(params, (event) => send(r.deep(event)), ctx));
    };

  const logs = inner.streams['logs'];
  if (logs)
    streams['logs'] = (params, send, ctx) => {
      who(ctx.caller);
      const tail = typeof params['tail'] === 'number' ? Math.min(params['tail'], SUPPORT_LOG_TAIL) : 200;
      const timer = setTimeout(() => {
        stopLogs();
        ctx.end();
      }, SUPPORT_FOLLOW_MS);
      const stopLogs = followed(
        ctx,
        (r) => logs({ ...params, tail }, (event) => send(r.deep(event)), ctx),
        () => clearTimeout(timer),
      );
      return stopLogs;
    };

  return {
    hello: () => ({
      ...inner.hello(),
      methods: [...Object.keys(methods).filter((m) => allowed.has(m)), ...Object.keys(streams)],
    }),
    methods,
    streams,
  };
}
