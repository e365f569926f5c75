/**
 * The agent's door: a Unix socket speaking the protocol of src/shared/agent/protocol.ts. One
 * connection per console (over its SSH connection); each request answered once, each stream
 * fed until the console cancels it or closes the socket. Nothing listens on the network.
 */
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { dirname } from 'node:path';
import type { AgentErrorCode, AgentFrame, Hello } from '../shared/agent/protocol';
import { LineSplitter, MAX_FRAME_BYTES } from '../shared/agent/protocol';

export class RequestError extends Error {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Who is asking, as the door established it (the support door: from the key that logged in). */
export interface Caller {
  actor: string | null;
}

/** A single answer. */
export type MethodHandler = (params: Record<string, unknown>, caller: Caller) => Promise<unknown> | unknown;
/**
 * A stream: call `send` per item (false: the console's socket is full — wait for `drained`
 * before sending more), `end` when there is no more (with the error when it failed); return the
 * function that stops it (the console cancelled, or its socket closed).
 */
export type StreamHandler = (
  params: Record<string, unknown>,
  send: (event: unknown) => boolean,
  ctx: { end(err?: Error): void; drained(): Promise<void>; caller: Caller },
) => () => void;

export interface Door {
  hello(): Hello;
  methods: Record<string, MethodHandler>;
  streams: Record<string, StreamHandler>;
}

export interface DoorOptions {
  /**
   * The door's first frame from the client names who it serves — `{"door":{"actor":"anna"}}` —
   * and nothing is answered before it (the support door: its bridge on the host writes it from
   * the key that logged in; the client's own frames come after and cannot change it).
   */
  identified?: boolean;
}

/** Serve `door` on `socketPath` (mode 0660, group `gid` when given); resolves once listening. */
export async function serveDoor(
  socketPath: string,
  door: Door,
  gid: number | null,
  options: DoorOptions = {},
): Promise<Server> {
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o750 });
  await rm(socketPath, { force: true }); // a socket left by a killed agent
  const server = createServer((socket) => serveConnection(socket, door, options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o660);
  if (gid !== null) {
    await chown(socketPath, 0, gid);
    await chown(dirname(socketPath), 0, gid);
  }
  return server;
}

/** An actor named by the door's bridge: a person's name from the access list. */
const ACTOR = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function serveConnection(socket: Socket, door: Door, options: DoorOptions): void {
  const streams = new Map<number, () => void>();
  const caller: Caller = { actor: null };
  let identified = !options.identified;
  const send = (frame: AgentFrame): boolean => {
    if (socket.destroyed) return false;
    return socket.write(`${JSON.stringify(frame)}\n`);
  };
  const drained = (): Promise<void> =>
    socket.destroyed || !socket.writableNeedDrain
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.on('drain', done);
          socket.on('close', done);
        });
  const fail = (id: number, code: AgentErrorCode, message: string): void => {
    send({ id, error: { code, message } });
  };
  const endAll = (): void => {
    for (const stop of streams.values()) stop();
    streams.clear();
  };
  socket.on('close', endAll);
  socket.on('error', () => socket.destroy());
  if (!options.identified) send({ hello: door.hello() });

  const splitter = new LineSplitter();
  socket.on('data', (chunk: Buffer) => {
    for (const line of splitter.push(chunk)) if (line.trim()) handleFrame(line);
    if (splitter.pending > MAX_FRAME_BYTES) {
      send({
        id: 0,
        error: { code: 'bad-request', message: `A frame is longer than ${MAX_FRAME_BYTES} bytes.` },
      });
      socket.end();
    }
  });

  function handleFrame(line: string): void {
    let frame: { id?: unknown; method?: unknown; params?: unknown; cancel?: unknown; door?: unknown };
    try {
      frame = JSON.parse(line) as typeof frame;
    } catch {
      fail(0, 'bad-request', 'A frame is not JSON.');
      if (!identified) socket.end();
      return;
    }
    if (!identified) {
      const actor = (frame.door as { actor?: unknown } | undefined)?.actor;
      if (typeof actor !== 'string' || !ACTOR.test(actor)) {
        fail(0, 'forbidden', 'This door serves only people its bridge names.');
        socket.end();
        return;
      }
      caller.actor = actor;
      identified = true;
      send({ hello: door.hello() });
      return;
    }
    const id = frame.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
      fail(0, 'bad-request', 'A frame needs an "id": a positive integer.');
      return;
    }
    if (frame.cancel === true) {
      streams.get(id)?.();
      if (streams.delete(id)) send({ id, end: true });
      return;
    }
    const method = frame.method;
    const params = frame.params ?? {};
    if (
      typeof method !== 'string' ||
      typeof params !== 'object' ||
      params === null ||
      Array.isArray(params)
    ) {
      fail(id, 'bad-request', 'A request needs a "method" (a string) and optional "params" (an object).');
      return;
    }
    const p = params as Record<string, unknown>;
    const stream = Object.hasOwn(door.streams, method) ? door.streams[method] : undefined;
    if (stream) {
      if (streams.has(id)) return fail(id, 'bad-request', `Stream ${id} is already open.`);
      let ended = false;
      const end = (err?: Error): void => {
        if (ended) return;
        ended = true;
        streams.delete(id);
        if (err) fail(id, codeOf(err), messageOf(err));
        else send({ id, end: true });
      };
      try {
        const stop = stream(p, (event) => !ended && send({ id, event }), { end, drained, caller });
        if (ended) stop();
        else streams.set(id, stop);
      } catch (err) {
        end(err instanceof Error ? err : new Error(String(err)));
      }
      return;
    }
    const handler = Object.hasOwn(door.methods, method) ? door.methods[method] : undefined;
    if (!handler) {
      const known = [...Object.keys(door.methods), ...Object.keys(door.streams)].join(', ');
      fail(id, 'unknown-method', `This agent does not know "${method}" (it knows: ${known}).`);
      return;
    }
    Promise.resolve()
      .then(() => handler(p, caller))
      .then(
        (result) => send({ id, result }),
        (err: unknown) => fail(id, codeOf(err), messageOf(err)),
      );
  }
}

function codeOf(err: unknown): AgentErrorCode {
  return err instanceof RequestError ? err.code : 'internal';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
