/**
 * The rule engine's state on disk (`data/alerts-state.json`): one JSON object, written atomically
 * (files.ts) after every change. A missing file starts clean; so does a file that cannot be read
 * as a state (torn by hand, another version, garbage) — it is moved aside to `<file>.corrupt`
 * and `problem` says so, for the agent's log. Starting clean loses pending timers, acks and
 * silences, never a message: those are in the delivery queue's journal.
 */
import { promises as fsp } from 'node:fs';
import type { AlertRecord, AlertState } from '../../shared/agent/alerts';
import { ALERT_STATE_VERSION } from '../../shared/agent/alerts';
import { atomicWrite } from './files';
import { emptyState } from './rules';

export interface LoadedState {
  state: AlertState;
  /** Why the file was not used (null: read fine, or there was none). */
  problem: string | null;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function isRecord(v: unknown): v is AlertRecord {
  if (!isObject(v)) return false;
  return (
    typeof v['id'] === 'number' &&
    typeof v['key'] === 'string' &&
    typeof v['ruleId'] === 'string' &&
    typeof v['kind'] === 'string' &&
    isObject(v['subject']) &&
    (v['phase'] === 'pending' || v['phase'] === 'firing') &&
    (v['severity'] === 'warning' || v['severity'] === 'critical') &&
    typeof v['pendingSince'] === 'number' &&
    isObject(v['facts'])
  );
}

/** The state in `text`, or why it is not one. */
export function parseState(text: string): AlertState | string {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (!isObject(o)) return 'not an object';
  if (o['version'] !== ALERT_STATE_VERSION)
    return `version ${JSON.stringify(o['version'])}, expected ${ALERT_STATE_VERSION}`;
  if (typeof o['seq'] !== 'number' || !isObject(o['records']) || !isObject(o['resolvedAt']))
    return 'seq, records or resolvedAt missing';
  for (const k of ['silences', 'maintenance', 'history'] as const)
    if (!Array.isArray(o[k])) return `${k} is not a list`;
  for (const [key, rec] of Object.entries(o['records']))
    if (!isRecord(rec)) return `record ${key} is malformed`;
  return o as unknown as AlertState;
}

export async function loadAlertState(path: string): Promise<LoadedState> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState(), problem: null };
    return {
      state: emptyState(),
      problem: `${path}: cannot be read (${(err as Error).message}); starting clean`,
    };
  }
  const parsed = parseState(text);
  if (typeof parsed !== 'string') return { state: parsed, problem: null };
  let aside = '';
  try {
    await fsp.rename(path, `${path}.corrupt`);
    aside = `, kept as ${path}.corrupt`;
  } catch {
    // left where it is: the next save replaces it
  }
  return { state: emptyState(), problem: `${path}: ${parsed}${aside}; starting clean` };
}

export function saveAlertState(path: string, state: AlertState): Promise<void> {
  return atomicWrite(path, JSON.stringify(state) + '\n');
}

/** Saves in order, the newest state only when several wait (each save is whole). */
export class AlertStateFile {
  private writing: Promise<void> = Promise.resolve();
  private waiting: AlertState | null = null;
  private queued: Promise<void> | null = null;

  constructor(readonly path: string) {}

  load(): Promise<LoadedState> {
    return loadAlertState(this.path);
  }

  save(state: AlertState): Promise<void> {
    this.waiting = state;
    this.queued ??= this.writing.then(async () => {
      const s = this.waiting!;
      this.waiting = null;
      this.queued = null;
      await saveAlertState(this.path, s);
    });
    this.writing = this.queued.catch(() => {});
    return this.queued;
  }
}
