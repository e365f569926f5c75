/**
 * What the rule engine looks at: one observation of the host, put together by the agent from
 * what it already watches (containers, /proc, filesystems) and from what it reads on the side
 * (backup runs, the edge's certificates, the host's posture, the cost rollup).
 *
 * A section that is absent was not observed this time: the alerts of its kinds are left as they
 * are (neither fired nor cleared). A section that is present is the whole truth: an alert whose
 * subject is not in it has gone (the container was removed, the tenant deleted) and resolves.
 */

export type ContainerRunState =
  'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ExitObservation {
  at: number;
  code: number;
  oomKilled: boolean;
  /** A stop was asked for (docker stop/kill, compose down, the console) before the exit. */
  stopRequested: boolean;
}

export interface ContainerObservation {
  name: string;
  tenant: string | null;
  service: string;
  state: ContainerRunState;
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  /** The last health check's output, for the message. */
  healthOutput?: string | null;
  /** When it last started (null: never). */
  startedAt: number | null;
  /** The newest exit seen, with its code. */
  lastExit: ExitObservation | null;
  /** It is stopped because someone asked (not down). */
  stopRequested: boolean;
  /** Times of its (re)starts seen by the agent, oldest first (the first start is not one). */
  restartTimes: number[];
}

export interface HostObservation {
  cores: number;
  memTotalBytes: number;
  memAvailableBytes: number;
  load1: number;
}

export interface DiskObservation {
  mount: string;
  totalBytes: number;
  usedBytes: number;
  availBytes: number;
}

export interface RunObservation {
  at: number;
  ok: boolean;
  error?: string | null;
}

export interface BackupObservation {
  tenant: string;
  /** When the tenant was created (or first seen); null: unknown (treated as old). */
  createdAt: number | null;
  lastSuccessAt: number | null;
  /** The newest run that was not skipped (a skipped run — tenant busy — is neither). */
  lastRun: RunObservation | null;
  /** The newest run's offsite copy; null when no offsite target is set. */
  offsite: RunObservation | null;
  /** The newest restore drill; null: never drilled. */
  drill: RunObservation | null;
  /** Is a drill weekday set for this host (else nobody drills it: the fix says so). */
  drillsScheduled?: boolean;
}

export interface CertObservation {
  /** Its main domain. */
  name: string;
  tenant?: string | null;
  notAfter: number;
}

/**
 * Each part: absent, not read this time (its alert is left as it is); null, nothing to judge (its
 * alert, if any, ends). No firewall tool at all is `{active: false, tool: 'none', openPorts: []}`.
 */
export interface SecurityObservation {
  /** `openPorts`: TCP ports reachable from anywhere; `openAll`: every port is (a default of accept, or allow any). */
  firewall?: { active: boolean; tool: string; openPorts: number[]; openAll?: boolean } | null;
  fail2ban?: { running: boolean; sshJail: boolean; tool: string } | null;
  sshd?: { passwordAuthentication: boolean } | null;
}

export interface BudgetObservation {
  tenant: string;
  spent: number;
  budget: number;
  currency?: string;
  period?: string;
}

export interface Observation {
  containers?: ContainerObservation[];
  host?: HostObservation;
  disks?: DiskObservation[];
  backups?: BackupObservation[];
  certs?: CertObservation[];
  security?: SecurityObservation;
  budgets?: BudgetObservation[];
}

/** One subject key and one glob for the agent, the console and the renderer. */
export { globMatch, subjectKey } from '../../shared/agent/alerts';
