/**
 * The console's side of the agent protocol (src/shared/agent/protocol.ts): one socket to one
 * host's agent, opened over that host's SSH connection. Checks the agent's hello (an agent of
 * another protocol is refused, never used), then sends requests and opens streams on it.
 */
import type { Duplex } from 'node:stream';
import type { AlertsMethods } from '../../../shared/agent/alerts';
import type { AgentFrame, AgentMethods, AgentStreams, Hello } from '../../../shared/agent/protocol';
import { AGENT_PROTOCOL, AGENT_VERSION, LineSplitter, MAX_FRAME_BYTES } from '../../../shared/agent/protocol';
import { CoreError } from '../errors';

const HELLO_TIMEOUT_MS = 5_000;

/** Every request method of the agent's door: the health reads and the alerts' (issue 14). */
export type DoorMethods = AgentMethods & AlertsMethods;

/** What a feature needs of an agent connection to send it requests. */
export interface AgentRequester {
  request<M extends keyof DoorMethods>(
    method: M,
    params: DoorMethods[M]['params'],
    timeoutMs?: number,
  ): Promise<DoorMethods[M]['result']>;
}
const REQUEST_TIMEOUT_MS = 15_000;

export interface AgentStream {
  close(): void;
  /** Settles when the stream ends: null by `close` or the agent's end, else the error (refused, socket gone). */
  readonly ended: Promise<Error | null>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

interface OpenStream {
  onEvent(event: unknown): void;
  end(err: Error | null): void;
}

/** Which program a door must greet as: the host agent, or another of ours speaking its frames (the kb worker). */
export interface DoorIdentity {
  name: Hello['agent'];
  protocol: number;
  version: string;
}
const AGENT_IDENTITY: DoorIdentity = {
  name: 'truffles-agent',
  protocol: AGENT_PROTOCOL,
  version: AGENT_VERSION,
};

interface MethodMap {
  [method: string]: { params: unknown; result: unknown };
}
interface StreamMap {
  [method: string]: { params: unknown; event: unknown };
}

export class AgentClient<
  M extends MethodMap = DoorMethods & MethodMap,
  St extends StreamMap = AgentStreams & StreamMap,
> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, OpenStream>();
  private closedWith: Error | null = null;
  private readonly closeListeners = new Set<(err: Error) => void>();

  private constructor(
    private readonly socket: Duplex,
    readonly hello: Hello,
    readonly host: string,
  ) {}

  /** Open a client on `socket`: waits for the agent's hello and refuses a protocol it does not speak. */
  static async open<
    M2 extends MethodMap = DoorMethods & MethodMap,
    S2 extends StreamMap = AgentStreams & StreamMap,
  >(socket: Duplex, host: string, expect: DoorIdentity = AGENT_IDENTITY): Promise<AgentClient<M2, S2>> {
    const reader = new FrameReader();
    let client: AgentClient<M2, S2> | null = null;
    const hello = await new Promise<Hello>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new CoreError(
            'agent.silent',
            `The agent on '${host}' did not greet the console within ${HELLO_TIMEOUT_MS / 1000} s.`,
            `Check it with \`truffles agent status ${host}\`; reinstall it with \`truffles agent update ${host}\`.`,
          ),
        );
      }, HELLO_TIMEOUT_MS);
      socket.on('data', (chunk: Buffer) => {
        let frames: AgentFrame[];
        try {
          frames = reader.push(chunk);
        } catch (err) {
          socket.destroy();
          clearTimeout(timer);
          reject(err);
          return;
        }
        for (const f of frames) {
          if (client) client.onFrame(f);
          else if ('hello' in f) {
            clearTimeout(timer);
            resolve(f.hello);
          }
        }
      });
      socket.once('close', () => {
        clearTimeout(timer);
        reject(agentGone(host, 'closed the connection before greeting'));
        client?.shutdown(agentGone(host, 'closed the connection'));
      });
      socket.on('error', () => socket.destroy());
      // The program ended its side (it exited: over SSH, its death arrives as the channel's EOF,
      // and the channel closes only once this side ends too): nothing more will be answered.
      socket.once('end', () => socket.destroy());
    });
    checkHello(hello, host, socket, expect);
    client = new AgentClient<M2, S2>(socket, hello, host);
    return client;
  }

  get isClosed(): boolean {
    return this.closedWith !== null;
  }

  onClose(listener: (err: Error) => void): () => void {
    if (this.closedWith) listener(this.closedWith);
    else this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  request<K extends keyof M & string>(
    method: K,
    params: M[K]['params'],
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<M[K]['result']> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new CoreError(
            'agent.timeout',
            `The agent on '${this.host}' did not answer "${method}" within ${timeoutMs / 1000} s.`,
            'The host may be overloaded; retry. If it persists, check the agent with `truffles agent status`.',
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.write({ id, method, params });
    });
  }

  stream<K extends keyof St & string>(
    method: K,
    params: St[K]['params'],
    onEvent: (event: St[K]['event']) => void,
  ): AgentStream {
    const id = this.nextId++;
    let settle!: (v: Error | null) => void;
    const ended = new Promise<Error | null>((r) => (settle = r));
    if (this.closedWith) {
      settle(this.closedWith);
      return { close: () => undefined, ended };
    }
    this.streams.set(id, {
      onEvent: (e) => onEvent(e as St[K]['event']),
      end: (err) => settle(err),
    });
    this.write({ id, method, params });
    return {
      close: () => {
        if (!this.streams.delete(id)) return;
        this.write({ id, cancel: true });
        settle(null);
      },
      ended,
    };
  }

  close(): void {
    this.shutdown(agentGone(this.host, 'was closed by the console'));
    this.socket.destroy();
  }

  private write(frame: object): void {
    if (!this.socket.destroyed) this.socket.write(`${JSON.stringify(frame)}\n`);
  }

  private onFrame(f: AgentFrame): void {
    if ('hello' in f) return;
    const p = this.pending.get(f.id);
    if (p) {
      this.pending.delete(f.id);
      clearTimeout(p.timer);
      if ('result' in f) p.resolve(f.result);
      else if ('error' in f) p.reject(agentRefused(this.host, f.error));
      return;
    }
    const s = this.streams.get(f.id);
    if (!s) return;
    if ('event' in f) s.onEvent(f.event);
    else if ('end' in f || 'error' in f) {
      this.streams.delete(f.id);
      s.end('error' in f ? agentRefused(this.host, f.error) : null);
    }
  }

  private shutdown(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    for (const s of this.streams.values()) s.end(err);
    this.streams.clear();
    for (const l of this.closeListeners) l(err);
    this.closeListeners.clear();
  }
}

/** Splits the agent's bytes into frames (one JSON object a line), refusing an oversized one. */
export class FrameReader {
  private readonly splitter = new LineSplitter();
  push(chunk: Buffer | string): AgentFrame[] {
    const out = this.splitter
      .push(chunk)
      .filter((line) => line.trim())
      .map(parseFrame);
    if (this.splitter.pending > MAX_FRAME_BYTES)
      throw new CoreError(
        'agent.protocol',
        `The agent sent a frame longer than ${MAX_FRAME_BYTES} bytes.`,
        'Update the agent with `truffles agent update HOST`.',
      );
    return out;
  }
}

function parseFrame(line: string): AgentFrame {
  try {
    const v = JSON.parse(line) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as AgentFrame;
  } catch {
    // below
  }
  throw new CoreError(
    'agent.protocol',
    'The agent sent something that is not a protocol frame.',
    'Is another program listening on the agent socket? Reinstall it with `truffles agent update HOST`.',
  );
}

function checkHello(hello: Hello, host: string, socket: Duplex, expect: DoorIdentity): void {
  if (hello.agent !== expect.name || typeof hello.protocol !== 'number') {
    socket.destroy();
    throw new CoreError(
      'agent.protocol',
      `The program on the ${expect.name} socket of '${host}' is not ${expect.name}.`,
      `Reinstall the agent with \`truffles agent update ${host}\`.`,
    );
  }
  if (hello.protocol !== expect.protocol) {
    socket.destroy();
    throw new CoreError(
      'agent.protocol-version',
      `${expect.name} on '${host}' (version ${String(hello.version)}) speaks protocol ${hello.protocol}; this console speaks protocol ${expect.protocol} only, so it does not use it.`,
      `Install this console's ${expect.name} (${expect.version}) with \`truffles agent update ${host}\`${hello.protocol > expect.protocol ? ', or update the console' : ''}.`,
    );
  }
}

function agentGone(host: string, why: string): CoreError {
  return new CoreError(
    'agent.disconnected',
    `The connection to the agent on '${host}' ${why}.`,
    'The console reconnects on the next read; if the agent is down, check it with `truffles agent status`.',
  );
}

function agentRefused(host: string, error: { code: string; message: string }): CoreError {
  return new CoreError(`agent.${error.code}`, `The agent on '${host}' refused: ${error.message}`, '');
}
