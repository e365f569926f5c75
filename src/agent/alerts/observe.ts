/**
 * From what the agent already knows of its containers (the protocol's ContainerHealth records,
 * kept from Docker's events) to what the container rules need: each one's restarts with their
 * times, its newest exit with its code, and whether a stop was asked for. Pure; the tracks are
 * plain JSON, kept by the agent beside the engine's state so a restarted agent still counts the
 * restarts of the last minutes.
 *
 * A restart is a new start of a container (by name: a recreate keeps counting) that nobody asked
 * for: a start after `noteStopRequested` (docker stop/kill/restart, compose down/up, the console)
 * is not one. Docker's RestartCount, when the container is the same, says how many restarts a
 * coalesced look missed.
 */
import type { ContainerHealth } from '../../shared/agent/protocol';
import type { ContainerObservation, ExitObservation } from './observations';

export interface ContainerTrack {
  id: string;
  startedAt: string | null;
  restartCount: number;
  /** Times of restarts nobody asked for, oldest first (the last hour, at most 50). */
  restarts: number[];
  lastExit: ExitObservation | null;
  /** A stop was asked for at this time and no start came since. */
  stopRequestedAt: number | null;
  /** The last time the container was in a list (tracks of vanished containers go after an hour). */
  seenAt: number;
}

export type ContainerTracks = Record<string, ContainerTrack>;

const KEEP_MS = 3600_000;
const KEEP_RESTARTS = 50;

const ms = (iso: string | null): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
};

/** A stop was asked for (Docker's `kill` or `stop` event for this container, or the console's own stop). */
export function noteStopRequested(tracks: ContainerTracks, name: string, at: number): ContainerTracks {
  const t = tracks[name];
  if (!t) return tracks;
  return { ...tracks, [name]: { ...t, stopRequestedAt: t.stopRequestedAt ?? at } };
}

/** An exit, from Docker's `die` event (its exitCode attribute), before an inspect shows it (or when a restart hides it). */
export function noteExit(
  tracks: ContainerTracks,
  name: string,
  exit: { at: number; code: number; oomKilled?: boolean },
): ContainerTracks {
  const t = tracks[name];
  if (!t) return tracks;
  const lastExit: ExitObservation = {
    at: exit.at,
    code: exit.code,
    oomKilled: exit.oomKilled ?? false,
    stopRequested: t.stopRequestedAt !== null && t.stopRequestedAt <= exit.at,
  };
  return { ...tracks, [name]: { ...t, lastExit } };
}

/** The next tracks and the rules' observations, for the containers listed now. */
export function trackContainers(
  tracks: ContainerTracks,
  containers: ContainerHealth[],
  now: number,
): { tracks: ContainerTracks; observations: ContainerObservation[] } {
  const next: ContainerTracks = {};
  const observations: ContainerObservation[] = [];
  for (const c of containers) {
    if (c.service === 'agent' && c.tenant === null) continue; // the agent does not watch itself
    const prev = tracks[c.name];
    const t: ContainerTrack = prev
      ? { ...prev, restarts: prev.restarts.filter((r) => r > now - KEEP_MS) }
      : {
          id: c.id,
          startedAt: c.startedAt,
          restartCount: c.restarts,
          restarts: [],
          lastExit: null,
          stopRequestedAt: null,
          seenAt: now,
        };
    const started = ms(c.startedAt);
    const prevStarted = prev ? ms(prev.startedAt) : null;
    if (prev && started !== null && (prevStarted === null || started > prevStarted)) {
      const missed = prev.id === c.id && c.restarts > prev.restartCount ? c.restarts - prev.restartCount : 1;
      if (t.stopRequestedAt === null || t.stopRequestedAt > started)
        for (let i = 0; i < Math.min(missed, KEEP_RESTARTS); i++) t.restarts.push(started);
      t.stopRequestedAt = null;
    }
    if (t.restarts.length > KEEP_RESTARTS) t.restarts = t.restarts.slice(-KEEP_RESTARTS);
    const finished = ms(c.finishedAt);
    if ((c.state === 'exited' || c.state === 'dead') && c.exitCode !== null && finished !== null) {
      const known = t.lastExit;
      if (!known || known.code !== c.exitCode || Math.abs(known.at - finished) > 5_000) {
        t.lastExit = {
          at: finished,
          code: c.exitCode,
          oomKilled: c.oomKilled,
          stopRequested: t.stopRequestedAt !== null && t.stopRequestedAt <= finished,
        };
      } else if (c.oomKilled && !known.oomKilled) t.lastExit = { ...known, oomKilled: true };
    }
    t.id = c.id;
    t.startedAt = c.startedAt;
    t.restartCount = c.restarts;
    t.seenAt = now;
    next[c.name] = t;
    observations.push({
      name: c.name,
      tenant: c.tenant,
      service: c.service,
      state: c.state,
      health: c.health,
      healthOutput: c.healthOutput,
      startedAt: started,
      lastExit: t.lastExit,
      stopRequested: t.stopRequestedAt !== null && c.state !== 'running',
      restartTimes: t.restarts.slice(),
    });
  }
  for (const [name, t] of Object.entries(tracks)) if (!next[name] && t.seenAt > now - KEEP_MS) next[name] = t;
  return { tracks: next, observations };
}
