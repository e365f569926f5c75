import type { AppEvent, CommandOutput } from '../../../shared/contract';
import type { HostService } from '../hosts/service';
import type { HostTransport } from '../hosts/transport';
import type { HostRecord } from '../store/schema';
import { readConfig, sweep } from './agent';
import type {
  AgentConfig,
  BackupEntry,
  BackupRun,
  BackupSchedule,
  KeyStatus,
  RestoreReport,
  ScheduleInput,
} from './config';
import type { BackupDeps, TenantAccess } from './context';
import { create, runAgent } from './create';
import { drill, runDueDrills } from './drills';
import type { BackupKeys } from './keys';
import { keyStatus, list, overview, scheduleInfo } from './queries';
import { addRecipient, offsiteKeyLine, rekey, removeRecipient } from './recipients';
import { restore } from './restore';
import { schedule } from './schedule';

/**
 * Backups (issue 5). The work of taking a backup is the host's: an agent script
 * (templates/backup/truffles-backup) installed by the console into <state>/agent/ and run by a
 * systemd timer or cron job — or on demand by the console — writes archives encrypted to the
 * fleet's public key. Everything that needs the private key (restore, drill) happens here: the
 * archive streams from the host, is decrypted and checked part by part on this machine, and the
 * checked parts stream back into a staging folder on the host. Only when the whole archive has
 * checked out is anything of the tenant touched.
 *
 * This class only composes the feature's parts (one job each, beside it): queries.ts (what is
 * there), create.ts (taking a backup), restore.ts, drills.ts, schedule.ts, recipients.ts; the
 * commands they send are built in commands.ts and datacommands.ts.
 */

export type {
  AgentConfig,
  BackupEntry,
  BackupRun,
  BackupSchedule,
  OffsiteInput,
  RestoreReport,
  ScheduleInput,
} from './config';
export type { TenantAccess } from './context';
export { REQUIRED_TOOLS } from './commands';
export { inPostgres } from './datacommands';
export { drillCompose, drillName, drillsDir, DRILL_NAME } from './drillstack';
export { OFFSITE_RECEIVER } from './recipients';

export class BackupService {
  private readonly d: BackupDeps;

  /** How long staging may go without progress before it fails (`backup.stalled`); a test seam. */
  stallMs = 10 * 60_000;

  constructor(
    hosts: HostService,
    tenants: TenantAccess,
    keys: BackupKeys,
    emit: (event: AppEvent) => void,
    templatesDir: () => string,
  ) {
    this.d = { hosts, tenants, keys, emit, templatesDir, stallMs: () => this.stallMs, drilling: new Set() };
  }

  async hasKey(): Promise<boolean> {
    return (await this.d.keys.info()) !== null;
  }

  readConfig(t: HostTransport, host: HostRecord): Promise<AgentConfig | null> {
    return readConfig(t, host);
  }

  // ---------- who can read a host's backups (issue 11, item 8) ----------

  keyStatus(hostName: string): Promise<KeyStatus> {
    return keyStatus(this.d, hostName);
  }

  addRecipient(input: {
    host: string;
    recipient?: string | undefined;
    label?: string | undefined;
  }): Promise<KeyStatus> {
    return addRecipient(this.d, input);
  }

  removeRecipient(input: { host: string; recipient: string }): Promise<KeyStatus> {
    return removeRecipient(this.d, input);
  }

  rekey(input: { host: string; confirm: string }): Promise<KeyStatus> {
    return rekey(this.d, input);
  }

  // ---------- the schedule ----------

  schedule(input: ScheduleInput): Promise<BackupSchedule> {
    return schedule(this.d, input);
  }

  offsiteKeyLine(input: {
    host: string;
    receiver?: string | undefined;
  }): Promise<CommandOutput<'backups.offsiteKeyLine'>> {
    return offsiteKeyLine(this.d, input);
  }

  scheduleInfo(hostName: string): Promise<BackupSchedule> {
    return scheduleInfo(this.d, hostName);
  }

  // ---------- taking backups ----------

  create(
    slug: string,
    hostName?: string,
    kind: 'manual' | 'safety' | 'pre-update' | 'final' = 'manual',
    signal?: AbortSignal,
  ): Promise<BackupEntry> {
    return create(this.d, slug, hostName, kind, signal);
  }

  runAgent(
    t: HostTransport,
    host: HostRecord,
    slug: string,
    kind: 'manual' | 'safety' | 'pre-update' | 'final' | 'scheduled',
    options: { lockHeld?: boolean; signal?: AbortSignal } = {},
  ): Promise<BackupEntry> {
    return runAgent(this.d, t, host, slug, kind, options);
  }

  // ---------- reading what is there ----------

  list(
    slug: string,
    hostName?: string,
  ): Promise<{ backups: BackupEntry[]; runs: BackupRun[]; restores: RestoreReport[] }> {
    return list(this.d, slug, hostName);
  }

  overview(hostName?: string): Promise<CommandOutput<'backups.overview'>> {
    return overview(this.d, hostName);
  }

  // ---------- restore, leftovers, drills ----------

  restore(input: {
    slug: string;
    host?: string | undefined;
    backupId: string;
    confirm: string;
    skipSafetyBackup?: boolean | undefined;
  }): Promise<RestoreReport> {
    return restore(this.d, input);
  }

  sweep(t: HostTransport, host: HostRecord, held: string): Promise<void> {
    return sweep(this.d, t, host, held);
  }

  runDueDrills(now = new Date()): Promise<RestoreReport[]> {
    return runDueDrills(this.d, now);
  }

  drill(input: {
    slug: string;
    host?: string | undefined;
    backupId?: string | undefined;
    into?: string | undefined;
  }): Promise<RestoreReport> {
    return drill(this.d, input);
  }
}
