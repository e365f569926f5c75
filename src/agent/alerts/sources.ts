/**
 * What the alert rules look at beside the containers and /proc, read from the host's own files
 * (its / mounted read-only at `rootfs`) and from the edge: the backup agent's runs and drills per
 * tenant, the certificates the edge serves for the tenants' domains, and the host's security
 * posture (sshd, UFW, fail2ban and its process names). Each reader answers null when it cannot
 * read at all (the section is then "not observed": its alerts stay as they are), and says why.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import type { BackupObservation, CertObservation, RunObservation, SecurityObservation } from './observations';
import type { FileMap } from './posture';
import { readPosture } from './posture';

export interface SourcePaths {
  /** The host's / (read-only). */
  rootfs: string;
  /** The host's /proc. */
  procRoot: string;
  /** The console's state folder on the host (`/opt/truffles`), as the host names it. */
  stateDir: string;
}

/** What a reader got, and what it could not read (for the agent's problems list). */
export interface Read<T> {
  value: T | null;
  problem: string | null;
}

async function text(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch {
    return null;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch {
    return [];
  }
}

/** The last `n` JSON lines of a file that parse, oldest first (a line cut by a crash is skipped). */
async function lastJsonLines(path: string, n: number): Promise<Array<Record<string, unknown>>> {
  const t = await text(path);
  if (!t) return [];
  const out: Array<Record<string, unknown>> = [];
  for (const line of t.split('\n').slice(-n - 1)) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object') out.push(v as Record<string, unknown>);
    } catch {
      // a torn last line
    }
  }
  return out;
}

const ms = (v: unknown): number | null => {
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
};

export interface TenantInfo {
  slug: string;
  domain: string | null;
  createdAt: number | null;
}

/** The tenants on this host, from their records (`<state>/tenants/<slug>/tenant.json`). */
export async function readTenants(p: SourcePaths): Promise<TenantInfo[]> {
  const dir = join(p.rootfs, p.stateDir, 'tenants');
  const out: TenantInfo[] = [];
  for (const slug of (await list(dir)).sort()) {
    const t = await text(join(dir, slug, 'tenant.json'));
    if (!t) continue;
    try {
      const r = JSON.parse(t) as { slug?: unknown; domain?: unknown; createdAt?: unknown; state?: unknown };
      if (r.state === 'deleting' || r.state === 'creating') continue;
      out.push({
        slug: typeof r.slug === 'string' ? r.slug : slug,
        domain: typeof r.domain === 'string' ? r.domain : null,
        createdAt: ms(r.createdAt),
      });
    } catch {
      // a record being written: next time
    }
  }
  return out;
}

function run(line: Record<string, unknown> | undefined): RunObservation | null {
  const at = ms(line?.['at']);
  if (!line || at === null) return null;
  return { at, ok: line['ok'] === true, error: typeof line['error'] === 'string' ? line['error'] : null };
}

/**
 * Each tenant's backups as the backup agent recorded them (`<backupDir>/<slug>/runs.jsonl`,
 * `restores.jsonl`), with its settings (`<state>/agent/backup.json`: the folder, whether an
 * offsite copy and drills are set). Null when backups were never set up on this host.
 */
export async function readBackups(p: SourcePaths, tenants: TenantInfo[]): Promise<Read<BackupObservation[]>> {
  const settingsText = await text(join(p.rootfs, p.stateDir, 'agent', 'backup.json'));
  if (settingsText === null) return { value: null, problem: null };
  let settings: { backupDir?: unknown; offsite?: unknown; drillWeekday?: unknown };
  try {
    settings = JSON.parse(settingsText) as typeof settings;
  } catch {
    return { value: null, problem: 'The backup settings (agent/backup.json) are not JSON.' };
  }
  const backupDir = typeof settings.backupDir === 'string' ? settings.backupDir : join(p.stateDir, 'backups');
  const offsiteSet = settings.offsite !== null && settings.offsite !== undefined;
  const drillsScheduled = typeof settings.drillWeekday === 'number';
  const out: BackupObservation[] = [];
  for (const t of tenants) {
    const dir = join(p.rootfs, backupDir, t.slug);
    const runs = (await lastJsonLines(join(dir, 'runs.jsonl'), 200)).filter((r) => r['skipped'] !== true);
    const ok = [...runs].reverse().find((r) => r['ok'] === true);
    const last = runs[runs.length - 1];
    const offsite = last?.['offsite'] as { ok?: unknown; error?: unknown } | null | undefined;
    const drills = (await lastJsonLines(join(dir, 'restores.jsonl'), 200)).filter(
      (r) => r['kind'] === 'drill',
    );
    out.push({
      tenant: t.slug,
      createdAt: t.createdAt,
      lastSuccessAt: ms(ok?.['at']),
      lastRun: run(last),
      offsite:
        offsiteSet && last && offsite
          ? {
              at: ms(last['at']) ?? 0,
              ok: offsite.ok === true,
              error: typeof offsite.error === 'string' ? offsite.error : null,
            }
          : null,
      drill: run(drills[drills.length - 1]),
      drillsScheduled,
    });
  }
  return { value: out, problem: null };
}

/** The certificate the edge serves for `domain` (TLS with that SNI), when it is one for that domain. */
export function servedCertificate(
  domain: string,
  opts: { host: string; port: number; timeoutMs: number },
): Promise<{ notAfter: number } | null> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: { notAfter: number } | null): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(v);
    };
    const socket = tls.connect({
      host: opts.host,
      port: opts.port,
      servername: domain,
      // We read the certificate, we do not trust it: expiry is what is asked, not validity.
      rejectUnauthorized: false,
    });
    socket.setTimeout(opts.timeoutMs, () => finish(null));
    socket.on('error', () => finish(null));
    socket.on('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const names = [
        ...String(cert.subjectaltname ?? '')
          .split(',')
          .map((s) => s.trim().replace(/^DNS:/, '')),
        typeof cert.subject?.CN === 'string' ? cert.subject.CN : '',
      ].filter(Boolean);
      const covers = names.some(
        (n) =>
          n === domain ||
          (n.startsWith('*.') &&
            domain.endsWith(n.slice(1)) &&
            domain.split('.').length === n.split('.').length),
      );
      const notAfter = Date.parse(cert.valid_to ?? '');
      // The edge's default certificate (no certificate for this domain yet) is not this domain's.
      finish(covers && Number.isFinite(notAfter) ? { notAfter } : null);
    });
  });
}

/** The certificates the edge serves for the tenants' domains (those it has one for). */
export async function readCerts(
  tenants: TenantInfo[],
  edge: { host: string; port: number },
): Promise<Read<CertObservation[]>> {
  const out: CertObservation[] = [];
  const withDomain = tenants.filter((t): t is TenantInfo & { domain: string } => t.domain !== null);
  for (let i = 0; i < withDomain.length; i += 8) {
    const batch = withDomain.slice(i, i + 8);
    const got = await Promise.all(
      batch.map((t) => servedCertificate(t.domain, { ...edge, timeoutMs: 3_000 })),
    );
    batch.forEach((t, j) => {
      const c = got[j];
      if (c) out.push({ name: t.domain, tenant: t.slug, notAfter: c.notAfter });
    });
  }
  return { value: out, problem: null };
}

/** The files the posture rules read, under rootfs, by their path on the host. */
const POSTURE_FILES = [
  '/etc/ssh/sshd_config',
  '/etc/default/ufw',
  '/etc/ufw/ufw.conf',
  '/etc/ufw/user.rules',
  '/etc/ufw/user6.rules',
  '/etc/fail2ban/jail.conf',
  '/etc/fail2ban/jail.local',
];
const POSTURE_DIRS = ['/etc/ssh/sshd_config.d', '/etc/fail2ban/jail.d'];

/** The host's security posture: its sshd, firewall and brute-force guard, from files and process names. */
export async function readSecurity(p: SourcePaths): Promise<Read<SecurityObservation>> {
  const files: FileMap = {};
  for (const f of POSTURE_FILES) {
    const t = await text(join(p.rootfs, f));
    if (t !== null) files[f] = t;
  }
  for (const d of POSTURE_DIRS)
    for (const name of await list(join(p.rootfs, d))) {
      const t = await text(join(p.rootfs, d, name));
      if (t !== null) files[`${d}/${name}`] = t;
    }
  const comms: string[] = [];
  for (const pid of await list(p.procRoot)) {
    if (!/^\d+$/.test(pid)) continue;
    const c = await text(join(p.procRoot, pid, 'comm'));
    if (c) comms.push(c.trim());
  }
  if (comms.length === 0) return { value: null, problem: "The host's processes cannot be read." };
  return { value: readPosture(files, comms), problem: null };
}
