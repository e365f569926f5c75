/** The progress of one create, followed by its opId, and its log lines. */
import { CREATE_STEPS, type CreateStep } from '../../../../shared/contract';
import type { AppEvent } from '../../../../shared/contract';

// ---------- progress of one create ----------

export function isKnownStep(step: string): step is CreateStep {
  return (CREATE_STEPS as readonly string[]).includes(step);
}

export type StepState = 'pending' | 'running' | 'done' | 'failed';

export interface StepView {
  step: string;
  state: StepState;
  /** What the core said the step does (its first `running` message). */
  title: string | null;
  /** The latest news: a running step's status ("postgres healthy, qdrant starting"), a done step's note, or a failure. */
  message: string | null;
}

export interface CreateProgress {
  slug: string;
  /** The operation followed; null until its first progress event arrives. */
  opId: string | null;
  /** Operations of earlier attempts: never followed again. */
  ignore: string[];
  steps: StepView[];
  stepCount: number;
  /** Index of the step the latest event was about (-1 before any). */
  current: number;
  /** 0–100. */
  percent: number;
  state: 'waiting' | 'running' | 'done' | 'failed';
}

export function createTitle(slug: string): string {
  return `Create tenant ${slug}`;
}

export function initialProgress(slug: string, ignore: readonly string[] = []): CreateProgress {
  return {
    slug,
    opId: null,
    ignore: [...ignore],
    steps: CREATE_STEPS.map((step) => ({ step, state: 'pending', title: null, message: null })),
    stepCount: CREATE_STEPS.length,
    current: -1,
    percent: 0,
    state: 'waiting',
  };
}

/**
 * Apply one event. Only progress events of the create being followed count: before its opId is
 * known, the first progress event titled `Create tenant <slug>` (and not of an earlier attempt)
 * fixes it; from then on events of any other operation are ignored.
 */
export function reduceProgress(p: CreateProgress, event: AppEvent): CreateProgress {
  if (event.type !== 'progress') return p;
  if (p.opId === null) {
    if (event.title !== createTitle(p.slug) || p.ignore.includes(event.opId)) return p;
  } else if (event.opId !== p.opId) {
    return p;
  }
  const count = Math.max(1, event.stepCount);
  const index = Math.max(0, Math.min(event.stepIndex, count - 1));
  const steps: StepView[] = p.steps.slice(0, count);
  for (let i = steps.length; i < count; i++)
    steps.push({ step: CREATE_STEPS[i] ?? `step ${i + 1}`, state: 'pending', title: null, message: null });
  const before = steps[index];
  const same = before && before.step === event.step;
  const prev: StepView = same ? before : { step: event.step, state: 'pending', title: null, message: null };
  let next: StepView;
  if (event.state === 'running') {
    next =
      prev.state === 'pending' || prev.title === null
        ? { ...prev, state: 'running', title: event.message ?? prev.title, message: null }
        : { ...prev, state: 'running', message: event.message ?? prev.message };
  } else if (event.state === 'done') {
    next = { ...prev, state: 'done', message: event.message ?? prev.message };
  } else {
    next = { ...prev, state: 'failed', message: event.message ?? prev.message };
  }
  steps[index] = next;
  // A later step started: the earlier ones are behind us.
  if (event.state !== 'failed')
    for (let i = 0; i < index; i++) {
      const s = steps[i];
      if (s && (s.state === 'running' || s.state === 'pending')) steps[i] = { ...s, state: 'done' };
    }
  const doneUpTo = event.state === 'done' ? index + 1 : index;
  const percent = Math.round((Math.max(0, Math.min(doneUpTo, count)) / count) * 100);
  const state: CreateProgress['state'] =
    event.state === 'failed' ? 'failed' : event.state === 'done' && index === count - 1 ? 'done' : 'running';
  return { ...p, opId: event.opId, steps, stepCount: count, current: index, percent, state };
}

// ---------- log lines ----------

export interface LogLine {
  id: number;
  at: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

export const LOG_LIMIT = 2000;

export function logSource(slug: string): string {
  return `tenant:${slug}`;
}

/** Lines of one tenant's log events; the oldest go beyond `limit`. */
export function appendLog(
  lines: readonly LogLine[],
  event: AppEvent,
  slug: string,
  nextId: number,
  limit = LOG_LIMIT,
): readonly LogLine[] {
  if (event.type !== 'log' || event.source !== logSource(slug)) return lines;
  const next = [...lines, { id: nextId, at: event.at, level: event.level, message: event.message }];
  return next.length > limit ? next.slice(next.length - limit) : next;
}
