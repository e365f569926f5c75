/**
 * The renderer's logic for a fleet update, kept apart from React so it is unit tested: the form
 * (which tenants: a host, a host label, or tenants ticked one by one; modules to add or remove;
 * concurrency; when to stop), the tenants it would touch, the operation's id, and the live table
 * built from `fleet.progress` events of that id, then from the outcomes the call returns.
 */
import { FleetSelectionSchema, commands } from '../../../../shared/contract';
import type {
  AppEvent,
  CommandInput,
  CommandOutput,
  ErrorInfo,
  HostView,
  TenantView,
} from '../../../../shared/contract';
import type { Tone } from '../tenants/tenants';
import { newOpId as newOperationId } from '../../kit/opId';
import type { FromDraft } from '../../kit/fromDraft';

export type FleetProgressEvent = Extract<AppEvent, { type: 'fleet.progress' }>;
export type FleetRowState = FleetProgressEvent['state'];
export type FleetResult = CommandOutput<'fleet.update'>;
export type FleetOutcome = FleetResult['outcomes'][number];
export type FleetInput = CommandInput<'fleet.update'>;

export const FLEET_STATES: readonly FleetRowState[] = [
  'queued',
  'backup',
  'updating',
  'health',
  'rolling-back',
  'updated',
  'rolled-back',
  'failed',
  'skipped',
];

/** Where a tenant's update ended. */
export const FINAL_STATES: readonly FleetRowState[] = ['updated', 'rolled-back', 'failed', 'skipped'];

export function isFinal(state: FleetRowState): boolean {
  return FINAL_STATES.includes(state);
}

/**
 * A row's colour: updated green; rolled back amber (the update failed, the tenant is as it was);
 * failed red; skipped and queued grey; backup, updating and health checks blue (working); rolling
 * back amber (working).
 */
export function fleetStateTone(state: FleetRowState): Tone {
  switch (state) {
    case 'updated':
      return 'ok';
    case 'rolled-back':
    case 'rolling-back':
      return 'warning';
    case 'failed':
      return 'error';
    case 'backup':
    case 'updating':
    case 'health':
      return 'info';
    default:
      return 'unknown';
  }
}

/** States shown with a spinner: something is being done to the tenant now. */
export function fleetStateBusy(state: FleetRowState): boolean {
  return !isFinal(state) && state !== 'queued';
}

// ---------- the form ----------

export type SelectionMode = 'host' | 'label' | 'tenants';

export interface FleetDraft {
  mode: SelectionMode;
  host: string;
  /** key=value */
  label: string;
  /** Ticked tenants, by slug (slugs are unique across the fleet). */
  slugs: string[];
  addModules: string[];
  removeModules: string[];
  concurrency: string;
  stopAfterFailures: string;
}

export const emptyFleetDraft: FleetDraft = {
  mode: 'host',
  host: '',
  label: '',
  slugs: [],
  addModules: [],
  removeModules: [],
  concurrency: '1',
  stopAfterFailures: '1',
};

export type FleetField = 'host' | 'label' | 'slugs' | 'concurrency' | 'stopAfterFailures';
/** Per field: a message key of the UI (`updates.errors.*`), or a contract message. */
export type FleetErrors = Partial<Record<FleetField, { key: string } | { schema: string }>>;

/** A module goes to at most one of the lists: ticking "add" unticks "remove" and the reverse. */
export function setModuleChange(
  d: FleetDraft,
  name: string,
  change: 'add' | 'remove' | null,
): Pick<FleetDraft, 'addModules' | 'removeModules'> {
  const addModules = d.addModules.filter((m) => m !== name);
  const removeModules = d.removeModules.filter((m) => m !== name);
  if (change === 'add') addModules.push(name);
  if (change === 'remove') removeModules.push(name);
  return { addModules: addModules.sort(), removeModules: removeModules.sort() };
}

export function toggleSlug(d: FleetDraft, slug: string, on: boolean): string[] {
  const rest = d.slugs.filter((s) => s !== slug);
  return on ? [...rest, slug].sort() : rest;
}

function hasLabel(h: Pick<HostView, 'labels'>, label: string): boolean {
  const i = label.indexOf('=');
  if (i <= 0) return false;
  const key = label.slice(0, i).trim();
  const value = label.slice(i + 1).trim();
  return h.labels[key] === value;
}

/**
 * The tenants the update would touch, as far as this console knows them: every tenant of the
 * host, of the hosts with the label, or the ticked ones. The core decides for itself.
 */
export function selectedTenants(
  d: FleetDraft,
  tenants: readonly TenantView[],
  hosts: readonly Pick<HostView, 'name' | 'labels'>[],
): TenantView[] {
  switch (d.mode) {
    case 'host':
      return d.host ? tenants.filter((t) => t.host === d.host) : [];
    case 'label': {
      const names = new Set(hosts.filter((h) => hasLabel(h, d.label)).map((h) => h.name));
      return tenants.filter((t) => names.has(t.host));
    }
    default:
      return tenants.filter((t) => d.slugs.includes(t.slug));
  }
}

/** Every `key=value` label of the inventory's hosts, sorted, once. */
export function knownLabels(hosts: readonly Pick<HostView, 'labels'>[]): string[] {
  const all = new Set<string>();
  for (const h of hosts) for (const [k, v] of Object.entries(h.labels)) all.add(`${k}=${v}`);
  return [...all].sort();
}

function intField(v: string, min: number, max: number): number | null {
  const s = v.trim();
  if (!/^\d{1,4}$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

const fleetInputSchema = commands['fleet.update'].input;

/** The `fleet.update` input from the form, or what is wrong with it. */
export function fleetInputFromDraft(d: FleetDraft, opId: string): FromDraft<FleetInput, FleetErrors> {
  const errors: FleetErrors = {};
  let selection: FleetInput['selection'];
  if (d.mode === 'host') {
    selection = { host: d.host };
    if (!d.host) errors.host = { key: 'updates.errors.host' };
  } else if (d.mode === 'label') {
    const label = d.label.trim();
    selection = { label };
    if (!label) errors.label = { key: 'updates.errors.label' };
    else {
      const r = FleetSelectionSchema.safeParse(selection);
      if (!r.success) errors.label = { schema: r.error.issues[0]?.message ?? 'A label is key=value.' };
    }
  } else {
    selection = { slugs: [...d.slugs] };
    if (d.slugs.length === 0) errors.slugs = { key: 'updates.errors.slugs' };
  }
  const concurrency = intField(d.concurrency, 1, 16);
  if (concurrency === null) errors.concurrency = { key: 'updates.errors.concurrency' };
  const stopAfterFailures = intField(d.stopAfterFailures, 1, 1000);
  if (stopAfterFailures === null) errors.stopAfterFailures = { key: 'updates.errors.stopAfterFailures' };
  if (Object.keys(errors).length > 0 || concurrency === null || stopAfterFailures === null)
    return { ok: false, errors };
  const input: FleetInput = {
    selection,
    addModules: [...d.addModules],
    removeModules: [...d.removeModules],
    concurrency,
    stopAfterFailures,
    opId,
  };
  const parsed = fleetInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0] === 'selection' ? (d.mode === 'tenants' ? 'slugs' : d.mode) : 'concurrency';
    return { ok: false, errors: { [field]: { schema: issue?.message ?? 'invalid' } } };
  }
  return { ok: true, input };
}

/** A fresh id for one fleet update: its progress events carry it. */
export function newOpId(random?: () => string): string {
  return newOperationId('fleet', random);
}

// ---------- the run ----------

export interface FleetRow {
  host: string;
  slug: string;
  state: FleetRowState;
  detail: string;
  /** From the outcome, once the call returned. */
  backupId: string | null;
  seconds: number | null;
}

export interface FleetRun {
  opId: string;
  input: FleetInput;
  /** How many tenants the console expected before the first event (the preview). */
  expected: number;
  rows: FleetRow[];
  phase: 'running' | 'done' | 'failed';
  stopped: boolean;
  /** The outcomes as the call returned them (null while it runs). */
  outcomes: FleetOutcome[] | null;
  error: ErrorInfo | null;
  startedAt: string;
  finishedAt: string | null;
}

export function initialFleetRun(opId: string, input: FleetInput, expected: number, at: string): FleetRun {
  return {
    opId,
    input,
    expected,
    rows: [],
    phase: 'running',
    stopped: false,
    outcomes: null,
    error: null,
    startedAt: at,
    finishedAt: null,
  };
}

/**
 * Apply one event: only `fleet.progress` of this run's opId counts. A tenant's row is added when
 * it is first heard of and keeps its place; a final state is not undone by a late event of an
 * earlier step.
 */
export function reduceFleet(run: FleetRun, event: AppEvent): FleetRun {
  if (event.type !== 'fleet.progress' || event.opId !== run.opId) return run;
  const i = run.rows.findIndex((r) => r.host === event.host && r.slug === event.slug);
  if (i < 0) {
    const row: FleetRow = {
      host: event.host,
      slug: event.slug,
      state: event.state,
      detail: event.detail,
      backupId: null,
      seconds: null,
    };
    return { ...run, rows: [...run.rows, row] };
  }
  const prev = run.rows[i] as FleetRow;
  if (isFinal(prev.state) && !isFinal(event.state)) return run;
  const rows = [...run.rows];
  rows[i] = { ...prev, state: event.state, detail: event.detail || prev.detail };
  return { ...run, rows };
}

/**
 * The call returned: every outcome is final, whatever events were missed (a reconnect). Tenants
 * it never got to (stopped early) stay as they were heard of, and are counted as skipped when
 * they are still queued.
 */
export function finishFleet(run: FleetRun, result: FleetResult, at: string): FleetRun {
  const rows = [...run.rows];
  for (const o of result.outcomes) {
    const i = rows.findIndex((r) => r.host === o.host && r.slug === o.slug);
    const row: FleetRow = {
      host: o.host,
      slug: o.slug,
      state: o.outcome,
      detail: o.detail,
      backupId: o.backupId,
      seconds: o.seconds,
    };
    if (i < 0) rows.push(row);
    else rows[i] = row;
  }
  const done = new Set(result.outcomes.map((o) => `${o.host}/${o.slug}`));
  for (const [i, r] of rows.entries())
    if (r.state === 'queued' && !done.has(`${r.host}/${r.slug}`)) rows[i] = { ...r, state: 'skipped' };
  return {
    ...run,
    rows,
    phase: 'done',
    stopped: result.stopped,
    outcomes: result.outcomes,
    finishedAt: at,
  };
}

export interface FleetTally {
  total: number;
  finished: number;
  updated: number;
  rolledBack: number;
  failed: number;
  skipped: number;
  working: number;
  queued: number;
  percent: number;
}

/**
 * The overall bar: finished tenants of all expected ones (the larger of what the console
 * previewed and what the core reported). 100 % when the call has returned.
 */
export function tallyFleet(run: FleetRun): FleetTally {
  const count = (s: FleetRowState): number => run.rows.filter((r) => r.state === s).length;
  const finished = run.rows.filter((r) => isFinal(r.state)).length;
  const total = run.phase === 'running' ? Math.max(run.rows.length, run.expected) : run.rows.length;
  const queued = count('queued');
  const percent = run.phase === 'running' ? (total > 0 ? Math.round((finished / total) * 100) : 0) : 100;
  return {
    total,
    finished,
    updated: count('updated'),
    rolledBack: count('rolled-back'),
    failed: count('failed'),
    skipped: count('skipped'),
    working: run.rows.length - finished - queued,
    queued,
    percent: run.phase === 'failed' ? (total > 0 ? Math.round((finished / total) * 100) : 0) : percent,
  };
}
