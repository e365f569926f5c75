/**
 * The live health feed: while a screen subscribes to `health.changed` or `alerts.changed`, the
 * core follows every
 * host's agent (one `watch` stream per host, over that host's one SSH connection) and turns what
 * the agents see into `health.changed` events — a full picture when a host's stream opens, then
 * only what changed. Nothing is polled: a Docker event on a host reaches the screen through its
 * agent. A host whose agent cannot be followed is reported with the reason and tried again, and
 * after N minutes (the console's own alert rule, alerts/unreachable.ts) as `alerts.changed`.
 */
import type { AppEvent } from '../../../shared/contract';
import type { WatchEvent } from '../../../shared/agent/protocol';
import { UnreachableRule, type UnreachableOptions } from '../alerts/unreachable';
import { CoreError, toErrorInfo } from '../errors';
import type { HealthService } from './service';

const RETRY_MIN_MS = 2_000;
const RETRY_MAX_MS = 30_000;
const HOSTS_EVERY_MS = 30_000;

/** The live feed's knobs: the console's unreachable rule's clock and N (tests inject them). */
export type FollowOptions = UnreachableOptions;

export function followFleet(
  health: HealthService,
  hostNames: () => Promise<string[]>,
  emit: (e: AppEvent) => void,
  options: FollowOptions = {},
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
    for (const name of names)
      if (!followers.has(name)) followers.set(name, followHost(health, name, emit, options));
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

/**
 * Follow one host's agent until stopped: its stream's events, a full picture each time it opens,
 * and, while it cannot be followed, the reason (each try) and — after N minutes — the console's
 * unreachable alert, resolved when it can be followed again.
 */
export function followHost(
  health: Pick<HealthService, 'watch' | 'snapshot'>,
  host: string,
  emit: (e: AppEvent) => void,
  options: FollowOptions = {},
): () => void {
  let stopped = false;
  let closeStream: (() => void) | null = null;
  let wake: (() => void) | null = null;
  const unreachable = new UnreachableRule(host, emit, options);
  const loop = async (): Promise<void> => {
    let retry = RETRY_MIN_MS;
    while (!stopped) {
      try {
        const stream = await health.watch(host, (e) => emit(toAppEvent(host, e)));
        closeStream = () => stream.close();
        if (stopped) stream.close();
        // The picture as it is now, then the changes the stream brings.
        const snap = await health.snapshot(host);
        if (stopped) return;
        emit({
          type: 'health.changed',
          host,
          containers: snap.containers,
          ...(snap.host ? { hostHealth: snap.host } : {}),
          eventsConnected: snap.agent.eventsConnected,
        });
        unreachable.up();
        retry = RETRY_MIN_MS;
        const ended = await stream.ended;
        // Lost: counted from now; a reconnection within N minutes passes unsaid.
        if (!stopped) await unreachable.down(toErrorInfo(ended ?? streamEnded(host)));
      } catch (err) {
        closeStream?.();
        if (!stopped) {
          const info = toErrorInfo(err);
          emit({ type: 'health.changed', host, error: info });
          await unreachable.down(info);
        }
      }
      closeStream = null;
      if (stopped) return;
      // Wake in time for the unreachable rule, whatever the back-off.
      const due = unreachable.msUntilDue();
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, due === null ? retry : Math.min(retry, due)).unref?.();
      });
      if (stopped) return;
      await unreachable.check();
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

function streamEnded(host: string): CoreError {
  return new CoreError(
    'agent.stream-ended',
    `The agent on '${host}' ended the live feed.`,
    'The console follows it again; if it keeps ending, check it with `truffles agent status`.',
  );
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
