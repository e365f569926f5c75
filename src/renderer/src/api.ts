/**
 * How the renderer reaches the core: in Electron the preload's `window.truffles` (a TrufflesApi
 * over IPC); in browser mode the WebSocket bridge to the console server (`bridge.ts`, which also
 * documents its protocol), with the session secret the start address handed this page. Either way
 * the page is subscribed to events while it has listeners. `call` unwraps a Result.
 */
import type {
  CommandInput,
  CommandName,
  CommandOutput,
  ErrorInfo,
  Result,
  TrufflesApi,
} from '../../shared/contract';
import { ApiError } from './apiError';
import { createBridgeClient, subscribingApi } from './bridge';

export { ApiError, toErrorInfo } from './apiError';
export {
  createBridgeClient,
  isConnectedApi,
  subscribingApi,
  type BridgeClient,
  type BridgeOptions,
  type ConnectedApi,
  type ConnectionState,
  type SocketLike,
} from './bridge';

// ---------------------------------------------------------------------------------------------
// Choosing the API

/**
 * The browser globals this module uses, typed here so the module also type-checks (and is unit
 * tested) outside a DOM.
 */
interface BrowserGlobals {
  location?: { protocol: string; host: string; pathname?: string; search?: string; hash?: string };
  truffles?: TrufflesApi;
  document?: {
    querySelector(selector: string): { getAttribute(name: string): string | null; remove(): void } | null;
  };
  sessionStorage?: {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
    removeItem(key: string): void;
  };
  history?: { replaceState(data: unknown, unused: string, url: string): void };
}
const browser = globalThis as unknown as BrowserGlobals;

/** An API whose every call fails with this error. */
function failingApi(error: ErrorInfo): TrufflesApi {
  return {
    invoke() {
      return Promise.resolve({ ok: false, error });
    },
    onEvent() {
      return () => {};
    },
  };
}

/** The page runs where neither the preload nor a server is. */
function unavailableApi(): TrufflesApi {
  return failingApi({
    code: 'bridge.unavailable',
    message: 'This page cannot reach the Truffles core: there is no preload bridge and no console server.',
    hint: 'Start the desktop app, or run the browser mode with `npm run start:web` and open the address it prints.',
  });
}

const SESSION_KEY = 'truffles.session';

/**
 * The browser-mode session secret: taken from the page the start address answered (then removed
 * from the page, and the one-time token from the address bar), or kept from earlier in this tab.
 */
function browserSession(): string | null {
  const meta = browser.document?.querySelector('meta[name="truffles-session"]');
  const fresh = meta?.getAttribute('content') ?? null;
  if (meta) meta.remove();
  try {
    if (fresh) browser.sessionStorage?.setItem(SESSION_KEY, fresh);
    const loc = browser.location;
    if (fresh && loc?.search && browser.history)
      browser.history.replaceState(null, '', `${loc.pathname ?? '/'}${loc.hash ?? ''}`);
    return browser.sessionStorage?.getItem(SESSION_KEY) ?? fresh;
  } catch {
    return fresh; // storage refused (privacy mode): this page load still works
  }
}

let api: TrufflesApi | null = null;

export function getApi(): TrufflesApi {
  if (api) return api;
  const fromPreload = browser.truffles;
  const loc = browser.location;
  if (fromPreload && typeof fromPreload.invoke === 'function') {
    api = subscribingApi(fromPreload);
  } else if (loc && (loc.protocol === 'http:' || loc.protocol === 'https:')) {
    const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
    const session = browserSession();
    api = session
      ? createBridgeClient({
          url: `${scheme}//${loc.host}/bridge`,
          protocols: ['truffles.v1', `truffles.session.${session}`],
          onFatal: () => {
            try {
              browser.sessionStorage?.removeItem(SESSION_KEY);
            } catch {
              /* nothing kept */
            }
          },
        })
      : failingApi({
          code: 'bridge.no-session',
          message: 'This page has no session with the console server.',
          hint: 'Open the address printed by `npm run start:web` (it works once; a new one is made at each start).',
        });
  } else {
    api = unavailableApi();
  }
  return api;
}

/** For tests: use this API instead of discovering one. */
export function setApi(next: TrufflesApi | null): void {
  api = next;
}

/** Run a command and unwrap its Result; a failure throws ApiError. */
export async function call<N extends CommandName>(
  name: N,
  input: CommandInput<N>,
): Promise<CommandOutput<N>> {
  let result: Result<CommandOutput<N>>;
  try {
    result = await getApi().invoke(name, input);
  } catch (err) {
    // The transport itself threw (e.g. IPC failure): report it like any other error.
    throw new ApiError({
      code: 'bridge.failed',
      message: `The command "${name}" could not be delivered: ${err instanceof Error ? err.message : String(err)}`,
      hint: 'Restart Truffles Console; if it happens again, report it.',
    });
  }
  if (!result || typeof result !== 'object') {
    throw new ApiError({
      code: 'bridge.malformed',
      message: `The core answered "${name}" with something that is not a result.`,
      hint: 'This is a bug in Truffles Console; please report it.',
    });
  }
  if (!result.ok) throw new ApiError(result.error);
  return result.value;
}
