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

export interface SupportDoorDeps {
  /** The host's redactor, fresh enough to know every tenant's secrets. */
  redactor(): Promise<Redactor>;
  /** Record a support person's read of people's data in the host's audit trail. */
  recordRead(actor: string, method: string, subject: string, ref: string): Promise<void>;
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

  for (const name of SUPPORT_METHODS) {
    const handler = Object.hasOwn(inner.methods, name) ? inner.methods[name] : undefined;
    if (!handler) continue;
    methods[name] = async (params, caller) => {
      const actor = who(caller);
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
      let stopInner: (() => void) | null = null;
      let stopped = false;
      // As for logs: nothing leaves before the redactor is ready.
      void deps.redactor().then(
        (r) => {
          if (!stopped) stopInner = watch(params, (event) => send(r.deep(event)), ctx);
        },
        (err: unknown) => ctx.end(err instanceof Error ? err : new Error(String(err))),
      );
      return () => {
        stopped = true;
        stopInner?.();
      };
    };

  const logs = inner.streams['logs'];
  if (logs)
    streams['logs'] = (params, send, ctx) => {
      who(ctx.caller);
      const tail = typeof params['tail'] === 'number' ? Math.min(params['tail'], SUPPORT_LOG_TAIL) : 200;
      let stopInner: (() => void) | null = null;
      let stopped = false;
      const timer = setTimeout(() => {
        stopInner?.();
        ctx.end();
      }, SUPPORT_FOLLOW_MS);
      // The inner stream starts once the redactor is ready: no line leaves unredacted.
      void deps.redactor().then(
        (r) => {
          if (!stopped) stopInner = logs({ ...params, tail }, (event) => send(r.deep(event)), ctx);
        },
        (err: unknown) => ctx.end(err instanceof Error ? err : new Error(String(err))),
      );
      return () => {
        stopped = true;
        clearTimeout(timer);
        stopInner?.();
      };
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
