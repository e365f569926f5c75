import { Agent, type AgentOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import Docker from 'dockerode';
import { CoreError } from '../errors';

/**
 * docker-modem's `timeout` reaches a connection as `req.setTimeout(ms)`: here it becomes a
 * deadline for the call (from the request on), failing it with a clear error instead of the
 * modem's bare 'socket hang up' — a hung dockerd must not hang a health wait.
 */
export function withCallDeadline(
  sock: Duplex & { setTimeout?: (ms?: number) => unknown },
  where: string,
): void {
  let timer: NodeJS.Timeout | null = null;
  sock.setTimeout = (ms?: number): Duplex => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (ms) {
      timer = setTimeout(
        () =>
          sock.destroy(
            new CoreError(
              'docker.timeout',
              `The Docker Engine on ${where} did not answer within ${Math.round(ms / 1000)} s.`,
              'dockerd on the host may be hung or overloaded: check it (systemctl status docker, journalctl -u docker), then retry.',
            ),
          ),
        ms,
      );
      timer.unref();
    }
    return sock;
  };
  sock.once('close', () => {
    if (timer) clearTimeout(timer);
  });
}

/**
 * The http.Agent behind dockerode: each HTTP connection it wants becomes one stream-local channel
 * to the Docker socket on the SSH connection.
 *
 * It describes itself briefly to util.inspect. docker-modem formats the options of every request,
 * this agent among them, with `util.inspect(options, { showHidden: true, depth: null })` for a debug
 * line, whether debugging is on or not. Without this, that walks every channel in the agent and,
 * through each, the whole ssh2 client with all its channels again (util.inspect spots only cycles,
 * not shared objects): with 25 Docker calls in flight, ~19 MB of text and ~1.7 s of blocked event
 * loop per request, which stalled every other operation on the connection too.
 */
class StreamLocalAgent extends Agent {
  constructor(
    private readonly openStream: () => Promise<Duplex>,
    private readonly socketPath: string,
    options: AgentOptions,
    private readonly where: string = 'the host',
  ) {
    super(options);
  }

  override createConnection(
    _options: unknown,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    this.openStream().then(
      (s) => {
        // http.Agent's keep-alive bookkeeping expects socket methods a channel lacks.
        const sock = s as Duplex & {
          setKeepAlive?: () => void;
          setNoDelay?: () => void;
          setTimeout?: (ms?: number) => void;
          ref?: () => void;
          unref?: () => void;
        };
        sock.setKeepAlive ??= () => undefined;
        sock.setNoDelay ??= () => undefined;
        if (!sock.setTimeout) withCallDeadline(sock, this.where);
        sock.ref ??= () => undefined;
        sock.unref ??= () => undefined;
        callback?.(null, sock);
      },
      // On an error http.Agent reads only the error (the typings insist on a stream).
      (e: Error) => callback?.(e, undefined as unknown as Duplex),
    );
    return undefined;
  }

  [inspect.custom](): string {
    const count = (m: NodeJS.ReadOnlyDict<unknown[]>): number =>
      Object.values(m).reduce((n, l) => n + (l?.length ?? 0), 0);
    return `StreamLocalAgent { socket: ${this.socketPath}, channels: ${count(this.sockets)}, free: ${count(this.freeSockets)}, queued: ${count(this.requests)} }`;
  }
}

/** A Docker Engine API client over `agent`'s connections; `timeoutMs` is docker-modem's per-call deadline. */
export function dockerViaAgent(agent: Agent, timeoutMs?: number): Docker {
  return new Docker({
    protocol: 'http',
    host: 'docker',
    port: 80,
    agent,
    ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}),
  } as Docker.DockerOptions);
}

/** A Docker Engine API client whose every HTTP connection is a stream from `openStream` (a stream-local channel). */
export function dockerOverStreams(
  openStream: () => Promise<Duplex>,
  socketPath: string,
  where: string,
  timeoutMs?: number,
): Docker {
  return dockerViaAgent(new StreamLocalAgent(openStream, socketPath, { keepAlive: false }, where), timeoutMs);
}

/** Why a stream to a unix socket on the host was not opened. */
export function streamLocalError(err: Error, where: string, socketPath: string): CoreError {
  // RFC 4254 reason 1: administratively prohibited. OpenSSH answers 2 ("open failed") both when it
  // forbids stream forwarding and when the socket cannot be opened; facts.ts tells them apart.
  const prohibited = (err as Error & { reason?: number }).reason === 1;
  return prohibited
    ? new CoreError(
        'ssh.streamlocal-prohibited',
        `${where} does not allow streams to unix sockets such as ${socketPath}.`,
        'Allow it in the host\'s sshd_config: "AllowStreamLocalForwarding yes", then reload sshd.',
      )
    : new CoreError(
        'ssh.streamlocal-failed',
        `${where} could not open ${socketPath}: ${err.message}`,
        'Check that the socket exists and that the SSH user may open it.',
      );
}
