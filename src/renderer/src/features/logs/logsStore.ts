/**
 * The live log pane's store: one follow at a time (`logs.follow`), its lines taken from the
 * `logs.lines` events under its stream id into a bounded buffer once per animation frame, and
 * `logs.stop` when the pane goes or the choice (service, since) changes. Actions never throw: a
 * failure to follow is kept in `error` and shown in the pane.
 */
import { create } from 'zustand';
import type { AppEvent, ErrorInfo, LogLine } from '../../../../shared/contract';
import { call, getApi, toErrorInfo } from '../../api';
import { LogBuffer, type LogNotice } from './buffer';
import { frameQueue, type FrameQueue, type Schedule } from './batcher';
import { mergeByTime } from './lines';

/** What the pane follows: a tenant's services merged (`service` null) or one, live or since a span ago. */
export interface LogTarget {
  host: string;
  slug: string;
  service: string | null;
  /** `10m`, `1h`, `24h`; null: the live tail. */
  since: string | null;
}

/** Lines per service to start with: the live tail, and when going back a span of time. */
export const LIVE_TAIL = 200;
export const SINCE_TAIL = 5000;

export type LogsPhase = 'idle' | 'starting' | 'following' | 'ended' | 'failed';

export interface LogsState {
  target: LogTarget | null;
  streamId: string | null;
  /** The tenant's services as the last follow of all of them named them. */
  services: string[];
  phase: LogsPhase;
  error: ErrorInfo | null;
  /** Mutable: read it when `version` changes. */
  buffer: LogBuffer;
  /** Bumped each time entries were added. */
  version: number;
  start(target: LogTarget): Promise<void>;
  stop(): Promise<void>;
}

type Incoming = { lines: LogLine[] } | { notice: LogNotice; text?: string };

const sameTarget = (a: LogTarget | null, b: LogTarget): boolean =>
  !!a && a.host === b.host && a.slug === b.slug && a.service === b.service && a.since === b.since;

/** Makes a store; `schedule` decides when queued lines are taken in (a frame; tests pass their own). */
export function createLogsStore(schedule?: Schedule) {
  return create<LogsState>()((set, get) => {
    /** Each start and stop bumps it: an answer for an older one is stale. */
    let generation = 0;
    let unlisten: (() => void) | null = null;
    /** Events that came while `logs.follow` was still answering (its id not known yet). */
    let early: AppEvent[] = [];

    const queue: FrameQueue<Incoming> = frameQueue((items) => {
      const { buffer } = get();
      // What came in one frame goes in time order (the services' first lines come as one block each).
      let run: LogLine[] = [];
      const flushRun = (): void => {
        if (run.length) buffer.pushLines(mergeByTime(run));
        run = [];
      };
      for (const item of items) {
        if ('lines' in item) {
          for (const l of item.lines) run.push(l);
          continue;
        }
        flushRun();
        buffer.pushNotice(item.notice, item.text);
      }
      flushRun();
      set({ version: get().version + 1 });
    }, schedule);

    function take(event: AppEvent): void {
      if (event.type === 'events.dropped') {
        if (get().streamId) queue.push([{ notice: 'eventsDropped', text: String(event.count) }]);
        return;
      }
      if (event.type !== 'logs.lines') return;
      const { streamId, phase } = get();
      if (phase === 'starting' && !streamId) {
        early.push(event);
        return;
      }
      if (event.streamId !== streamId) return;
      const items: Incoming[] = [];
      if (event.resumed) items.push({ notice: 'resumed' });
      if (event.lines.length) items.push({ lines: event.lines });
      if (event.ended) {
        items.push(event.error ? { notice: 'failed', text: event.error.message } : { notice: 'ended' });
        set({ phase: event.error ? 'failed' : 'ended', error: event.error ?? null });
      }
      queue.push(items);
    }

    function listen(): void {
      unlisten ??= getApi().onEvent(take);
    }

    function unlistenAll(): void {
      unlisten?.();
      unlisten = null;
      early = [];
    }

    async function stopStream(streamId: string | null): Promise<void> {
      if (!streamId) return;
      await call('logs.stop', { streamId }).catch(() => undefined);
    }

    return {
      target: null,
      streamId: null,
      services: [],
      phase: 'idle',
      error: null,
      buffer: new LogBuffer(),
      version: 0,

      async start(target) {
        const s = get();
        if (sameTarget(s.target, target) && (s.phase === 'starting' || s.phase === 'following')) return;
        const gen = ++generation;
        const previous = s.streamId;
        queue.clear();
        early = [];
        const services = s.target?.host === target.host && s.target.slug === target.slug ? s.services : [];
        set({
          target,
          streamId: null,
          services,
          phase: 'starting',
          error: null,
          buffer: new LogBuffer(s.buffer.capacity),
          version: s.version + 1,
        });
        listen();
        void stopStream(previous);
        try {
          const out = await call('logs.follow', {
            host: target.host,
            slug: target.slug,
            ...(target.service ? { service: target.service } : {}),
            ...(target.since ? { since: target.since } : {}),
            tail: target.since ? SINCE_TAIL : LIVE_TAIL,
            follow: true,
          });
          if (gen !== generation) {
            void stopStream(out.streamId);
            return;
          }
          const known = target.service ? [...new Set([...get().services, ...out.services])] : out.services;
          set({ streamId: out.streamId, services: known, phase: 'following' });
          const waiting = early;
          early = [];
          for (const e of waiting) if (e.type === 'logs.lines' && e.streamId === out.streamId) take(e);
        } catch (err) {
          if (gen !== generation) return;
          early = [];
          set({ phase: 'failed', error: toErrorInfo(err) });
        }
      },

      async stop() {
        generation++;
        const { streamId } = get();
        queue.clear();
        unlistenAll();
        set({ streamId: null, phase: 'idle', target: null });
        await stopStream(streamId);
      },
    };
  });
}

export const useLogs = createLogsStore();
