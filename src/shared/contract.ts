/**
 * The one contract between the renderer and the core, merged from the features' slices.
 *
 * Each feature declares its commands in its slice (`src/shared/contract/<feature>.ts`): a zod
 * schema for the input and the output, and the command's effect (read, write or danger). The core
 * validates every input against these schemas and asks its policy about the effect before
 * anything runs (`src/main/core/dispatch.ts`); the renderer gets the static types from the same
 * place. Events (progress, logs, status) flow the other way and are typed by `AppEvent`.
 *
 * Adding a feature: write its slice, add it to `SLICES` below. Nothing else here changes.
 */
import type { z } from 'zod';
import { alertsSlice } from './contract/alerts';
import { kbSlice } from './contract/kb';
import { costSlice } from './contract/cost';
import { auditSlice } from './contract/audit';
import { accessSlice } from './contract/access';
import { inboxSlice } from './contract/inbox';
import { privacySlice } from './contract/privacy';
import { appSlice } from './contract/app';
import { backupsSlice } from './contract/backups';
import { edgeSlice } from './contract/edge';
import { fleetSlice } from './contract/fleet';
import { healthSlice } from './contract/health';
import { hostsSlice } from './contract/hosts';
import { opsSlice } from './contract/ops';
import { imagesSlice } from './contract/images';
import { mergeSlices, type ErrorInfo, type Effect } from './contract/kernel';
import { tenantsSlice } from './contract/tenants';
import { eventsSlice, type AppEvent } from './contract/events';

export * from './contract/kernel';
export * from './contract/app';
export * from './contract/hosts';
export * from './contract/edge';
export * from './contract/images';
export * from './contract/tenants';
export * from './contract/backups';
export * from './contract/health';
export * from './contract/fleet';
export * from './contract/events';
export * from './contract/ops';
export * from './contract/alerts';
export * from './contract/kb';
export * from './contract/cost';
export * from './contract/audit';
export * from './contract/access';
export * from './contract/inbox';
export * from './contract/privacy';

// ---------- commands: the registration list ----------

export const SLICES = [
  appSlice,
  eventsSlice,
  opsSlice,
  hostsSlice,
  edgeSlice,
  imagesSlice,
  tenantsSlice,
  backupsSlice,
  fleetSlice,
  healthSlice,
  alertsSlice,
  kbSlice,
  costSlice,
  auditSlice,
  accessSlice,
  inboxSlice,
  privacySlice,
] as const;

export const commands = mergeSlices(...SLICES);

export type Commands = typeof commands;
export type CommandName = keyof Commands & string;
export type CommandInput<N extends CommandName> = z.input<Commands[N]['input']>;
export type CommandOutput<N extends CommandName> = z.output<Commands[N]['output']>;

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commands, name);
}

/** What a command does: read, write or danger (see `Effect`). */
export function effectOf(name: CommandName): Effect {
  return commands[name].effect;
}

// ---------- transport envelope ----------

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/** What the preload exposes on `window.truffles` and what the browser bridge client implements. */
export interface TrufflesApi {
  invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<Result<CommandOutput<N>>>;
  onEvent(listener: (event: AppEvent) => void): () => void;
}

export { IPC_EVENT, IPC_INVOKE } from './ipc';
