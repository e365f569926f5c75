/**
 * Knowledge-base reads through the agent (issue 17): the listing of a tenant's documents and jobs,
 * a document's chunks, and the test search, asked of the host's knowledge-base worker on its own
 * socket (`<stateDir>/kb/run/kb.sock`, read through the host's `/`). Operators reach the worker
 * directly; these are here so the support door can serve them (redacted there), as a support
 * account can reach nothing but that door. Only the four reads pass, each with the parameters it
 * needs and nothing else; the worker checks them again. Uploads, deletes, re-indexing and asking
 * the bot (which spends on the tenant's LLM) are not served here at all.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import type { AgentFrame } from '../shared/agent/protocol';
import { LineSplitter, MAX_FRAME_BYTES } from '../shared/agent/protocol';
import { RequestError } from './server';
import type { MethodHandler } from './server';
import { TENANT_SLUG } from './tenantenv';

type Params = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The most a reply of the worker may be (its frames are bounded the same way). */
const MAX_REPLY_BYTES = MAX_FRAME_BYTES;

/** Where the host's worker listens, as this agent sees the host's `/`. */
export function kbSocketPath(rootfs: string, stateDir: string): string {
  return join(rootfs, stateDir, 'kb', 'run', 'kb.sock');
}

/**
 * One request to the worker on its socket: its hello, then our one frame, then its answer to it.
 * The worker's refusals keep their code (`bad-request`, `not-found`…); a worker that is not there
 * is `unavailable`, with what to do.
 */
export function askWorker(
  socketPath: string,
  method: string,
  params: Params,
  timeoutMs: number,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const split = new LineSplitter();
    let greeted = false;
    let settled = false;
    const finish = (err: Error | null, value?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(
      () =>
        finish(
          new RequestError(
            'unavailable',
            `The knowledge-base worker did not answer ${method} within ${Math.round(timeoutMs / 1000)} s.`,
          ),
        ),
      timeoutMs,
    );
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(
        new RequestError(
          'unavailable',
          err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
            ? 'No knowledge-base worker runs on this host: an operator installs it (truffles kb install HOST).'
            : `The knowledge-base worker could not be reached: ${err.message}`,
        ),
      ),
    );
    socket.on('close', () =>
      finish(new RequestError('unavailable', 'The knowledge-base worker closed the connection.')),
    );
    socket.on('data', (chunk: Buffer) => {
      if (split.pending + chunk.length > MAX_REPLY_BYTES) {
        finish(
          new RequestError('internal', 'The knowledge-base worker answered more than a frame may hold.'),
        );
        return;
      }
      for (const line of split.push(chunk)) {
        if (!line) continue;
        let frame: AgentFrame;
        try {
          frame = JSON.parse(line) as AgentFrame;
        } catch {
          finish(new RequestError('internal', 'The knowledge-base worker answered something unreadable.'));
          return;
        }
        if (!greeted) {
          if (!('hello' in frame)) {
            finish(new RequestError('internal', 'The knowledge-base worker did not greet.'));
            return;
          }
          greeted = true;
          socket.write(`${JSON.stringify({ id: 1, method, params })}\n`);
          continue;
        }
        if (!('id' in frame) || frame.id !== 1) continue;
        if ('result' in frame) finish(null, frame.result);
        else if ('error' in frame) finish(new RequestError(frame.error.code, frame.error.message));
        else
          finish(new RequestError('internal', `The knowledge-base worker answered ${method} with a stream.`));
        return;
      }
    });
  });
}

function tenantOf(p: Params): string {
  const slug = p['tenant'];
  if (typeof slug !== 'string' || !TENANT_SLUG.test(slug))
    throw new RequestError('bad-request', 'tenant is missing or not a tenant slug.');
  return slug;
}

function documentOf(p: Params): string {
  const id = p['document'];
  if (typeof id !== 'string' || !UUID.test(id))
    throw new RequestError('bad-request', 'document is not a document id (UUID).');
  return id;
}

function numberOf(p: Params, key: string, min: number, max: number): Record<string, number> {
  const v = p[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw new RequestError('bad-request', `${key} must be a number from ${min} to ${max}.`);
  return { [key]: v };
}

/** The four knowledge-base reads, each passed on to the worker with only the parameters it takes. */
export function kbReadMethods(socketPath: () => string): Record<string, MethodHandler> {
  const ask = (method: string, params: Params, timeoutMs = 60_000): Promise<unknown> =>
    askWorker(socketPath(), method, params, timeoutMs);
  return {
    'kb.documents': (p) => ask('kb.documents', { tenant: tenantOf(p) }),
    'kb.jobs': (p) => ask('kb.jobs', { tenant: tenantOf(p) }),
    'kb.chunks': (p) =>
      ask('kb.chunks', {
        tenant: tenantOf(p),
        document: documentOf(p),
        ...numberOf(p, 'offset', 0, 1_000_000),
        ...numberOf(p, 'limit', 1, 500),
      }),
    'kb.search': (p) => {
      const query = p['query'];
      if (typeof query !== 'string' || !query.trim() || query.length > 4096)
        throw new RequestError('bad-request', 'query must be 1 to 4096 characters.');
      return ask(
        'kb.search',
        { tenant: tenantOf(p), query, ...numberOf(p, 'topK', 1, 50), ...numberOf(p, 'minScore', -1, 1) },
        120_000,
      );
    },
  };
}
