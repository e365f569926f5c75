/**
 * The browser-mode bridge client, and the event subscription both APIs keep (api.ts chooses one).
 *
 * In browser mode there is no preload: the page talks to the console server over a WebSocket at
 *   `/bridge` on the same origin. The server hands the page a session secret once, in a
 *   `<meta name="truffles-session">` tag of the page it answers the start address with; the page
 *   keeps it in sessionStorage (not a cookie: other ports on this machine would receive a cookie)
 *   and offers it as the subprotocol `truffles.session.<secret>` beside `truffles.v1`. Protocol:
 *     client → server  { id, cmd, input }
 *     server → client  { id, result }   (result is a Result<T>)
 *     server → client  { event }        (an AppEvent, only while this socket holds a subscription:
 *                                        the client sends `events.subscribe` on each new socket
 *                                        while it has listeners; it ends with the socket)
 *     server → client  { fatal }        (an ErrorInfo: the session is unknown or expired; closes)
 *   When the socket drops, every call in flight fails with `bridge.disconnected` and the client
 *   reconnects with backoff; after a `fatal` it stops, and every call fails with that error.
 */
import type {
  AppEvent,
  CommandInput,
  CommandName,
  CommandOutput,
  ErrorInfo,
  Result,
  TrufflesApi,
} from '../../shared/contract';
import { toErrorInfo } from './apiError';

/** `ended`: the server ended the session (unknown or expired); the client does not reconnect. */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'ended';

/** A TrufflesApi that can also report the state of its connection (browser mode only). */
export interface ConnectedApi extends TrufflesApi {
  readonly connectionState: ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

export function isConnectedApi(api: TrufflesApi): api is ConnectedApi {
  return typeof (api as Partial<ConnectedApi>).onConnection === 'function';
}

function disconnectedError(message: string): ErrorInfo {
  return {
    code: 'bridge.disconnected',
    message,
    hint: 'The console server may have stopped or restarted. The page reconnects by itself; try again in a few seconds. If it does not, check that the console server is running.',
  };
}

// ---------------------------------------------------------------------------------------------
// Browser-mode bridge client

/** The subset of the DOM WebSocket the bridge uses (so tests can pass a fake). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(): void;
}

export interface BridgeOptions {
  url: string;
  /** WebSocket subprotocols to offer (the bridge's version and the session). */
  protocols?: string[];
  createSocket?: (url: string, protocols?: string[]) => SocketLike;
  /** Backoff delays in ms; the last one repeats. */
  backoffMs?: readonly number[];
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Called once when the server ends the session. */
  onFatal?: (error: ErrorInfo) => void;
}

export interface BridgeClient extends ConnectedApi {
  /** Stop reconnecting and close the socket; pending calls fail. */
  close(): void;
}

const OPEN = 1;

/**
 * The browser globals this module uses, typed here so the module also type-checks (and is unit
 * tested) outside a DOM.
 */
interface BrowserGlobals {
  WebSocket?: new (url: string, protocols?: string[]) => SocketLike;
}
const browser = globalThis as unknown as BrowserGlobals;

interface Pending {
  id: number;
  frame: string;
  sent: boolean;
  resolve: (result: Result<unknown>) => void;
}

export function createBridgeClient(options: BridgeOptions): BridgeClient {
  const createSocket =
    options.createSocket ??
    ((url: string, protocols?: string[]): SocketLike => {
      if (!browser.WebSocket) throw new Error('WebSocket is not available here');
      return new browser.WebSocket(url, protocols);
    });
  const backoff = options.backoffMs ?? [250, 500, 1000, 2000, 4000, 8000];
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));

  const pending = new Map<number, Pending>();
  const eventListeners = new Set<(event: AppEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let socket: SocketLike | null = null;
  let state: ConnectionState = 'connecting';
  let attempt = 0;
  let retryTimer: unknown = null;
  let nextId = 1;
  let closedForGood = false;
  /** Set when the server ended the session: every call fails with it from then on. */
  let fatalError: ErrorInfo | null = null;

  function setState(next: ConnectionState): void {
    if (state === next) return;
    state = next;
    for (const l of [...connectionListeners]) {
      try {
        l(next);
      } catch {
        /* a listener's failure is not the bridge's */
      }
    }
  }

  function failAll(message: string): void {
    const all = [...pending.values()];
    pending.clear();
    for (const p of all) p.resolve({ ok: false, error: disconnectedError(message) });
  }

  function flush(): void {
    if (!socket || socket.readyState !== OPEN) return;
    for (const p of pending.values()) {
      if (p.sent) continue;
      try {
        socket.send(p.frame);
        p.sent = true;
      } catch {
        /* the close handler fails it */
      }
    }
  }

  function onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    const m = msg as { id?: unknown; result?: unknown; event?: unknown; fatal?: unknown };
    if (m.fatal && typeof m.fatal === 'object' && typeof (m.fatal as { code?: unknown }).code === 'string') {
      endForGood(m.fatal as ErrorInfo);
      return;
    }
    if (typeof m.id === 'number' && m.result && typeof m.result === 'object') {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      p.resolve(m.result as Result<unknown>);
      return;
    }
    if (m.event && typeof m.event === 'object' && typeof (m.event as { type?: unknown }).type === 'string') {
      const event = m.event as AppEvent;
      for (const l of [...eventListeners]) {
        try {
          l(event);
        } catch {
          /* keep delivering to the others */
        }
      }
    }
  }

  /** The server ended the session: stop reconnecting; every call fails with its error. */
  function endForGood(error: ErrorInfo): void {
    fatalError = error;
    closedForGood = true;
    if (retryTimer !== null) clearTimer(retryTimer);
    retryTimer = null;
    const all = [...pending.values()];
    pending.clear();
    for (const p of all) p.resolve({ ok: false, error });
    options.onFatal?.(error);
    setState('ended');
  }

  function connect(): void {
    if (closedForGood) return;
    if (retryTimer !== null) {
      clearTimer(retryTimer);
      retryTimer = null;
    }
    setState('connecting');
    let s: SocketLike;
    try {
      s = createSocket(options.url, options.protocols);
    } catch (err) {
      failAll(
        `Could not open the connection to the console server: ${err instanceof Error ? err.message : String(err)}`,
      );
      scheduleReconnect();
      return;
    }
    socket = s;
    s.onopen = () => {
      if (socket !== s) return;
      attempt = 0;
      setState('open');
      flush();
    };
    s.onmessage = (ev) => {
      if (socket === s) onMessage(ev.data);
    };
    s.onerror = () => {
      /* a close event always follows */
    };
    s.onclose = () => {
      if (socket !== s) return;
      socket = null;
      failAll('The connection to the console server was lost before the answer arrived.');
      scheduleReconnect();
    };
  }

  function scheduleReconnect(): void {
    if (closedForGood) {
      setState(fatalError ? 'ended' : 'closed');
      return;
    }
    setState('closed');
    const delay = backoff[Math.min(attempt, backoff.length - 1)] ?? 8000;
    attempt += 1;
    retryTimer = setTimer(() => {
      retryTimer = null;
      connect();
    }, delay);
  }

  function invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<Result<CommandOutput<N>>> {
    if (fatalError) return Promise.resolve({ ok: false, error: fatalError });
    if (closedForGood) {
      return Promise.resolve({
        ok: false,
        error: disconnectedError('The connection to the console server is closed.'),
      });
    }
    const id = nextId++;
    let frame: string;
    try {
      frame = JSON.stringify({ id, cmd: name, input });
    } catch (err) {
      return Promise.resolve({
        ok: false,
        error: toErrorInfo(err),
      });
    }
    const promise = new Promise<Result<CommandOutput<N>>>((resolve) => {
      pending.set(id, { id, frame, sent: false, resolve: resolve as (r: Result<unknown>) => void });
    });
    if (socket && socket.readyState === OPEN) flush();
    else if (!socket) connect(); // waiting out a backoff: try right now instead
    return promise;
  }

  function onConnection(listener: (state: ConnectionState) => void): () => void {
    connectionListeners.add(listener);
    return () => {
      connectionListeners.delete(listener);
    };
  }

  // Events come only to a socket that subscribed; the subscription ends with the socket.
  const onEvent = subscribedOnEvent(
    {
      invoke,
      onEvent(listener) {
        eventListeners.add(listener);
        return () => {
          eventListeners.delete(listener);
        };
      },
    },
    onConnection,
  );

  connect();

  return {
    get connectionState() {
      return state;
    },
    invoke,
    onEvent,
    onConnection,
    close() {
      closedForGood = true;
      if (retryTimer !== null) clearTimer(retryTimer);
      retryTimer = null;
      const s = socket;
      socket = null;
      failAll('The connection to the console server was closed.');
      setState('closed');
      try {
        s?.close();
      } catch {
        /* already closed */
      }
    },
  };
}

/**
 * `onEvent` that keeps this page subscribed to every event while it has a listener: events reach
 * a window or a socket only through its own subscriptions, which end with it. One subscription is
 * shared by all listeners, ended (`events.unsubscribe`) when the last one goes, and — given the
 * connection's state (the browser bridge) — made again on each new socket, since the server ended
 * the old one with its socket.
 */
function subscribedOnEvent(
  inner: Pick<TrufflesApi, 'invoke' | 'onEvent'>,
  onConnection?: (listener: (state: ConnectionState) => void) => () => void,
): TrufflesApi['onEvent'] {
  let listeners = 0;
  let pending: Promise<string | null> | null = null;
  let id: string | null = null;
  const subscribe = (): void => {
    id = null;
    const p: Promise<string | null> = inner
      .invoke('events.subscribe', { topics: ['*'] })
      .then((r) => (r.ok ? r.value.id : null))
      .catch(() => null)
      .then((v) => {
        if (pending === p) id = v;
        return v;
      });
    pending = p;
  };
  const unsubscribe = (): void => {
    const p = pending;
    const known = id;
    pending = null;
    id = null;
    if (known) void inner.invoke('events.unsubscribe', { id: known });
    else void p?.then((v) => (v ? inner.invoke('events.unsubscribe', { id: v }) : undefined));
  };
  onConnection?.((state) => {
    if (state === 'closed' || state === 'ended') {
      pending = null; // the server ended it with the socket
      id = null;
    } else if (state === 'open' && listeners > 0 && !pending) subscribe();
  });
  return (listener) => {
    const off = inner.onEvent(listener);
    listeners += 1;
    if (!pending) subscribe();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      off();
      listeners -= 1;
      if (listeners === 0) unsubscribe();
    };
  };
}

/** The preload's API, with this page subscribed to every event while it has a listener. */
export function subscribingApi(inner: TrufflesApi): TrufflesApi {
  return { invoke: (name, input) => inner.invoke(name, input), onEvent: subscribedOnEvent(inner) };
}
