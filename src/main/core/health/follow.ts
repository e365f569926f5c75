/**
 * The live health feed: while a screen subscribes to `health.changed`, the core follows every
 * host's agent (one `watch` stream per host, over that host's one SSH connection) and turns what
 * the agents see into `health.changed` events — a full picture when a host's stream opens, then
 * only what changed. Nothing is polled: a Docker event on a host reaches the screen through its
 * agent. A host whose agent cannot be followed is reported with the reason and tried again.
 */
import type { AppEvent } from '../../../shared/contract';
import type { WatchEvent } from '../../../shared/agent/protocol';
import { toErrorInfo } from '../errors';
import type { HealthService } from './service';

const RETRY_MIN_MS = 2_000;
const RETRY_MAX_MS = 30_000;
const HOSTS_EVERY_MS = 30_000;

export function followFleet(
  health: HealthService,
  hostNames: () => Promise<string[]>,
  emit: (e: AppEvent) => void,
): () => void {
  const followers = new Map<string, () => void>();
  let stopped = false;

  const sync = async (): Promise<void> => {
    const names = new Set(await hostNames().catch(() => [...followers.keys()]));
    if (stopped) return;
    for (const [name, stop] of followers)
      if (!names.has(name)) {
        stop();
        followers.delete(name);
      }
    for (const name of names) if (!followers.has(name)) followers.set(name, followHost(health, name, emit));
  };
  void sync();
  const timer = setInterval(() => void sync(), HOSTS_EVERY_MS);
  timer.unref?.();
  return () => {
    stopped = true;
    clearInterval(timer);
    for (const stop of followers.values()) stop();
    followers.clear();
  };
}

function followHost(health: HealthService, host: string, emit: (e: AppEvent) => void): () => void {
  let stopped = false;
  let closeStream: (() => void) | null = null;
  let wake: (() => void) | null = null;
  const loop = async (): Promise<void> => {
    let retry = RETRY_MIN_MS;
    while (!stopped) {
      try {
        const stream = await health.watch(host, (e) => emit(toAppEvent(host, e)));
        closeStream = () => stream.close();
        if (stopped) stream.close();
        // The picture as it is now, then the changes the stream brings.
        const snap = await health.snapshot(host);
        emit({
          type: 'health.changed',
          host,
          containers: snap.containers,
          ...(snap.host ? { hostHealth: snap.host } : {}),
          eventsConnected: snap.agent.eventsConnected,
        });
        retry = RETRY_MIN_MS;
        await stream.ended;
      } catch (err) {
        if (!stopped) emit({ type: 'health.changed', host, error: toErrorInfo(err) });
      }
      closeStream = null;
      if (stopped) return;
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, retry).unref?.();
      });
      retry = Math.min(retry * 2, RETRY_MAX_MS);
    }
  };
  void loop();
  return () => {
    stopped = true;
    closeStream?.();
    wake?.();
  };
}

function toAppEvent(host: string, e: WatchEvent): AppEvent {
  switch (e.kind) {
    case 'containers':
      return { type: 'health.changed', host, containers: e.containers };
    case 'removed':
      return { type: 'health.changed', host, removed: e.ids };
    case 'host':
      return { type: 'health.changed', host, hostHealth: e.host };
    case 'gap':
      return { type: 'health.changed', host, eventsConnected: e.eventsConnected };
    case 'alerts':
      return { type: 'alerts.changed', host, notices: e.notices, active: e.active };
  }
}
