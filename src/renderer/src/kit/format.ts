/** Human formatting of sizes, durations and times, in the UI language. */
import type { HostCheck, HostStatus, HostView, Language } from '../../../shared/contract';

export interface UnitLabels {
  B: string;
  KiB: string;
  MiB: string;
  GiB: string;
  TiB: string;
  day: string;
  hour: string;
  minute: string;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

function locale(lng: Language): string {
  return lng === 'ru' ? 'ru-RU' : 'en-GB';
}

export function formatNumber(value: number, lng: Language, maxFractionDigits = 1): string {
  return new Intl.NumberFormat(locale(lng), { maximumFractionDigits: maxFractionDigits }).format(value);
}

/** 1024-based sizes: "3.8 GiB" / "3,8 ГиБ". */
export function formatBytes(bytes: number, lng: Language, units: UnitLabels): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < BYTE_UNITS.length - 1) {
    value /= 1024;
    i += 1;
  }
  const unit = BYTE_UNITS[i] ?? 'B';
  const digits = i === 0 ? 0 : value < 10 ? 1 : 0;
  return `${formatNumber(value, lng, digits)} ${units[unit]}`;
}

/** "12 d 3 h", "3 h 12 min", "5 min". */
export function formatUptime(seconds: number, units: UnitLabels): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d} ${units.day} ${h} ${units.hour}`;
  if (h > 0) return `${h} ${units.hour} ${m} ${units.minute}`;
  return `${m} ${units.minute}`;
}

export function formatDateTime(iso: string, lng: Language): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Intl.DateTimeFormat(locale(lng), { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(t),
  );
}

/** "5 minutes ago" / "5 минут назад". */
export function formatRelative(iso: string, lng: Language, now: number = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const diff = Math.round((t - now) / 1000);
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(locale(lng), { numeric: 'auto' });
  if (abs < 45) return rtf.format(diff, 'second');
  if (abs < 45 * 60) return rtf.format(Math.round(diff / 60), 'minute');
  if (abs < 22 * 3600) return rtf.format(Math.round(diff / 3600), 'hour');
  return rtf.format(Math.round(diff / 86400), 'day');
}

export function percent(used: number, total: number): number {
  if (!Number.isFinite(used) || !Number.isFinite(total) || total <= 0) return 0;
  return Math.max(0, Math.min(100, (used / total) * 100));
}

/** Disk fill level: amber above 85 %, red above 95 %. */
export function diskLevel(pct: number): 'ok' | 'warning' | 'error' {
  if (pct > 95) return 'error';
  if (pct > 85) return 'warning';
  return 'ok';
}

/** The file whose fingerprint `ssh-keygen -lf` should print on the host, by key algorithm. */
export function hostKeyFile(algorithm: string): string {
  const a = algorithm.toLowerCase();
  if (a.includes('rsa')) return '/etc/ssh/ssh_host_rsa_key.pub';
  if (a.includes('ecdsa')) return '/etc/ssh/ssh_host_ecdsa_key.pub';
  return '/etc/ssh/ssh_host_ed25519_key.pub';
}

/** The newest of: the last check, and a status event that came after it. */
export function effectiveStatus(
  host: HostView,
  check: HostCheck | undefined,
  live: { status: HostStatus; at: string } | undefined,
): HostStatus {
  // An SSH host with no pinned key (imported without a trusted one) is not connected to at all.
  if (host.kind === 'ssh' && !host.fingerprint) return 'key-unconfirmed';
  const last = newerCheck(check, host.lastCheck);
  if (live && (!last || Date.parse(live.at) >= Date.parse(last.checkedAt))) return live.status;
  return last?.status ?? 'unknown';
}

/** The later of two checks (the one the renderer ran, the one the core stored). */
export function newerCheck(
  a: HostCheck | null | undefined,
  b: HostCheck | null | undefined,
): HostCheck | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return Date.parse(a.checkedAt) >= Date.parse(b.checkedAt) ? a : b;
}

/** The colour a status is shown in: green, amber, red, or grey. */
export type Tone = 'ok' | 'warning' | 'error' | 'unknown';

export function statusTone(status: HostStatus): Tone {
  switch (status) {
    case 'ok':
      return 'ok';
    case 'warning':
    case 'key-unconfirmed':
      return 'warning';
    case 'error':
    case 'unreachable':
    case 'key-changed':
      return 'error';
    default:
      return 'unknown';
  }
}

/** What the operator must do about a host's key, if anything: the button it gets. */
export function keyAction(status: HostStatus): 'review' | 'confirm' | null {
  if (status === 'key-changed') return 'review';
  if (status === 'key-unconfirmed') return 'confirm';
  return null;
}

/** One of the three things a check tells at a glance. `na`: does not apply (local socket). */
export type Signal = 'ok' | 'warning' | 'error' | 'unknown' | 'na';

export interface CheckSignals {
  reachable: Signal;
  key: Signal;
  docker: Signal;
  latencyMs: number | null;
  dockerVersion: string | null;
}

/**
 * Reachable, key OK and Docker OK from a host's last check (and, when newer, its live status).
 * Unknown (grey) where the check did not get far enough to tell.
 */
export function checkSignals(
  host: Pick<HostView, 'kind'>,
  check: HostCheck | null | undefined,
  status: HostStatus,
): CheckSignals {
  const local = host.kind === 'local';
  const out: CheckSignals = {
    reachable: 'unknown',
    key: local ? 'na' : 'unknown',
    docker: 'unknown',
    latencyMs: null,
    dockerVersion: null,
  };
  // A status event newer than the check says what the key or the network does now.
  if (status === 'key-unconfirmed') return { ...out, key: 'warning' };
  if (status === 'key-changed') return { ...out, reachable: 'ok', key: 'error' };
  if (status === 'unreachable') return { ...out, reachable: 'error' };
  if (!check) return out;
  out.latencyMs = check.latencyMs;
  if (check.keyStatus === 'ok') out.key = 'ok';
  else if (check.keyStatus === 'changed') out.key = 'error';
  else if (check.keyStatus === 'unconfirmed') out.key = 'warning';
  if (check.facts || check.latencyMs != null) out.reachable = 'ok';
  else if (check.error) out.reachable = 'error';
  if (check.facts) {
    const dockerProblem = check.problems.find((p) => p.code.startsWith('docker.'));
    out.dockerVersion = check.facts.docker?.version ?? null;
    if (dockerProblem) out.docker = dockerProblem.severity === 'error' ? 'error' : 'warning';
    else out.docker = check.facts.docker ? 'ok' : 'error';
  }
  return out;
}

/** "bastion → gw": a jump chain, first hop first. */
export function jumpChainText(jump: readonly string[]): string {
  return jump.join(' → ');
}

/** Labels as `name=value`, sorted by name. */
export function labelChips(labels: Readonly<Record<string, string>>): string[] {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k] ?? ''}`);
}

function shortValue(v: unknown, max: number): string {
  let s: string;
  if (v === null || v === undefined) s = '—';
  else if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else if (Array.isArray(v))
    s = v.length === 0 ? '—' : v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
  else s = JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * An audit line's details in one line: `from: SHA256:… → to: SHA256:…` style pairs, each value
 * shortened; the full JSON goes in a tooltip.
 */
export function auditDetailsSummary(details: Readonly<Record<string, unknown>>, max = 200): string {
  const parts = Object.keys(details).map((k) => `${k}: ${shortValue(details[k], 60)}`);
  const s = parts.join(' · ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
