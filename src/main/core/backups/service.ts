import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import {
  BackupEntrySchema,
  DRILL_PREFIX,
  BackupRunSchema,
  RestoreReportSchema,
  type AppEvent,
  type CommandOutput,
} from '../../../shared/contract';
import { CoreError, toErrorInfo } from '../errors';
import { appendAudit } from '../hosts/audit';
import type { HostService } from '../hosts/service';
import type { HostTransport } from '../hosts/transport';
import type { ExecOptions, ExecResult } from '../ssh/connection';
import { probeHostKey } from '../ssh/connection';
import { shellJoin } from '../ssh/quote';
import type { HostRecord } from '../store/schema';
import { parseHostCatalog, resolveImages, type ImageKey } from '../tenants/catalog';
import { mkdirHost, readHostFile, removeInside, tenantDir, writeHostFile } from '../tenants/hostfs';
import { acquireTenantLock, endsWithStdin, guardedByLock, locksDir } from '../tenants/lock';
import { renderEnv } from '../tenants/render';
import { compose, DATA_SERVICES, parseEnvFile, type TenantService } from '../tenants/service';
import { readArchive, type BackupManifest } from './archive';
import { auditActor } from '../hosts/audit';
import { RECIPIENT, type BackupKeys } from './keys';

/**
 * Backups (issue 5). The work of taking a backup is the host's: an agent script
 * (templates/backup/truffles-backup) installed by the console into <state>/agent/ and run by a
 * systemd timer or cron job — or on demand by the console — writes archives encrypted to the
 * fleet's public key. Everything that needs the private key (restore, drill) happens here: the
 * archive streams from the host, is decrypted and checked part by part on this machine, and the
 * checked parts stream back into a staging folder on the host. Only when the whole archive has
 * checked out is anything of the tenant touched.
 */

export type BackupEntry = CommandOutput<'backups.create'>;
export type BackupRun = z.infer<typeof BackupRunSchema>;
export type RestoreReport = z.infer<typeof RestoreReportSchema>;
export type BackupSchedule = CommandOutput<'backups.scheduleInfo'>;
type Emit = (event: AppEvent) => void;

const AGENT_FILE = 'truffles-backup';
const CRON_MARK = '# truffles-backup';
const TIMER_UNIT = 'truffles-backup.timer';
export const REQUIRED_TOOLS = ['docker', 'age', 'jq', 'curl', 'tar', 'sha256sum', 'flock'] as const;

const RecipientEntrySchema = z.object({
  recipient: z.string().regex(RECIPIENT, 'not an age public key'),
  label: z.string().default(''),
  addedAt: z.string().default(''),
  addedBy: z.string().default(''),
});
type RecipientEntry = z.infer<typeof RecipientEntrySchema>;
/** Hosts' agents encrypt to at most this many keys (one per operator, plus recovery keys). */
const MAX_RECIPIENTS = 20;

const AgentConfigSchema = z.object({
  version: z.literal(1),
  stateDir: z.string(),
  backupDir: z.string(),
  /** The first of `recipients`, kept for agents before version 7 (they read only this one). */
  recipient: z.string(),
  /**
   * Every public key the agent encrypts to (issue 11, item 8): `age -r` once per key, so any one
   * of the private keys reads the archive. Settings written before this list existed have only
   * `recipient`; they read as a list of that one key.
   */
  recipients: z.array(RecipientEntrySchema).max(MAX_RECIPIENTS).optional(),
  at: z.string().regex(/^\d\d:\d\d$/),
  retention: z.object({ daily: z.number().int().min(1), weekly: z.number().int().min(0) }),
  offsite: z
    .object({
      target: z.string(),
      port: z.number().int(),
      path: z.string(),
      identityFile: z.string(),
      /** Days the reserve's receiver keeps archives (its forced command's argument). */
      keep: z.number().int().min(1),
      /** The reserve's host key, pinned from the console on the operator's confirmation. */
      hostKey: z.object({ line: z.string(), fingerprint: z.string() }).optional(),
    })
    .nullable()
    .default(null),
  /** Read by consoles, not by the agent: drills need the private key. */
  drillWeekday: z.number().int().min(0).max(6).nullable().default(null),
});
export type AgentConfig = z.infer<typeof AgentConfigSchema> & { recipients: RecipientEntry[] };

function withRecipients(c: z.infer<typeof AgentConfigSchema>): AgentConfig {
  const recipients = c.recipients?.length
    ? c.recipients
    : [{ recipient: c.recipient, label: '', addedAt: '', addedBy: '' }];
  return { ...c, recipients, recipient: recipients[0]?.recipient ?? c.recipient };
}

/** The host's agent does not encrypt to this console's key: refused, never re-keyed silently. */
function keyMismatch(host: HostRecord, config: AgentConfig, ours: string): CoreError {
  const theirs = config.recipients.map((r) => `${r.recipient}${r.label ? ` (${r.label})` : ''}`);
  return new CoreError(
    'backup.key-mismatch',
    `The backups on ${host.name} are encrypted to ${theirs.join(', ')}, not to this console's key ${ours}.`,
    `This console could not read them. Import the fleet's key (truffles backup key init --identity-file FILE --replace), ` +
      `or add this console's key beside the others: truffles backup key add-recipient ${host.name}; ` +
      `to replace every key on purpose: truffles backup key rekey ${host.name} --confirm ${host.name}`,
    { host: host.name, recipients: config.recipients.map((r) => r.recipient), ours },
  );
}

const SidecarSchema = BackupEntrySchema.omit({ host: true, provenAt: true });

/**
 * Run a command that must succeed; otherwise an error that says what failed, with the end of
 * the command's own message (which names the cause: a full disk, a refused statement…).
 */
async function execOk(
  t: HostTransport,
  code: string,
  what: string,
  argv: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const r = await t.exec(argv, options);
  if (r.code !== 0)
    throw new CoreError(
      code,
      `${what} failed: ${r.stderr.trim().slice(-400) || `exit ${String(r.code)}`}`,
      'That is the host’s own message: fix its cause, then run the same command again.',
    );
  return r;
}

/** Tables whose counts a restore must find again: the application's, and n8n's workflows and credentials. */
function comparedTable(name: string): boolean {
  return name.startsWith('public.') || name === 'n8n.workflow_entity' || name === 'n8n.credentials_entity';
}

const COUNT_SQL =
  "select n.nspname || '.' || c.relname, (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', n.nspname, c.relname), false, true, '')))[1]::text from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r','p') and n.nspname in ('public','n8n') order by 1";

/** Where the restore puts the dump inside the database container (pg_restore -j needs a file). */
const IN_CONTAINER_DUMP = '/tmp/truffles-restore.dump';

/** argv that runs a sh script in the tenant's database container, with args as $1, $2…. */
export function inPostgres(dir: string, slug: string, script: string, ...args: string[]): string[] {
  return compose(
    dir,
    slug,
    'exec',
    '-T',
    'postgres',
    'sh',
    '-c',
    script,
    ...(args.length ? ['sh', ...args] : []),
  );
}

const ABS_PATH = /^\/[A-Za-z0-9._/-]*$/;

/** The longest a restore's or drill's staging (archive read, parts written) may take in all. */
const STAGE_TIMEOUT_MS = 6 * 3600_000;

/**
 * A drill's throw-away stack is named `drill--` + 12 hex digits: a tenant slug can never hold "--"
 * (SlugSchema), so no real tenant — nor a real `drill-…` tenant — ever shares its name, compose
 * project, volumes or networks.
 */
export function drillName(): string {
  return `${DRILL_PREFIX}${randomBytes(6).toString('hex')}`;
}
export const DRILL_NAME = /^drill--[0-9a-f]{12}$/;

/** Where a drill's stack lives on its host: outside tenants/, so it is never listed, backed up or routed. */
export function drillsDir(stateDir: string): string {
  return posix.join(stateDir, 'drills');
}

/**
 * The compose file of a drill's stack, made from the backup's own: only the data services
 * (PostgreSQL, Qdrant, Redis), on the host's current images, with no Traefik label, not on
 * web_gateway and without the tenant label — nothing routes to it and nothing takes it for a tenant.
 */
export function drillCompose(
  backupCompose: string,
  name: string,
  images: Partial<Record<ImageKey, string>>,
): string {
  const doc = (parseYaml(backupCompose) ?? {}) as {
    name?: string;
    services?: Record<string, Record<string, unknown>>;
    networks?: Record<string, unknown>;
    volumes?: Record<string, unknown>;
  };
  const services = doc.services ?? {};
  for (const [svc, def] of Object.entries(services)) {
    if (!DATA_SERVICES.includes(svc)) {
      delete services[svc];
      continue;
    }
    const image = images[svc as ImageKey];
    if (image) def.image = image;
    const labels: Record<string, string> = {};
    const raw = def.labels;
    const entries: [string, string][] = Array.isArray(raw)
      ? (raw as string[]).map((l) => {
          const i = String(l).indexOf('=');
          return i < 0 ? [String(l), ''] : [String(l).slice(0, i), String(l).slice(i + 1)];
        })
      : Object.entries((raw ?? {}) as Record<string, string>).map(([k, v]) => [k, String(v)]);
    for (const [k, v] of entries) if (!k.startsWith('traefik.') && k !== 'org.truffles.tenant') labels[k] = v;
    labels['org.truffles.drill'] = name;
    def.labels = labels;
    if (Array.isArray(def.networks))
      def.networks = (def.networks as string[]).filter((n) => n !== 'web_gateway');
    else if (def.networks && typeof def.networks === 'object')
      delete (def.networks as Record<string, unknown>).web_gateway;
    delete def.depends_on;
  }
  if (doc.networks) delete doc.networks.web_gateway;
  if (doc.volumes) delete doc.volumes.n8n_data;
  doc.name = name;
  return `# A restore drill's throw-away stack (Truffles Console): unrouted, removed after the drill.\n${stringifyYaml(doc)}`;
}

/** Where the receiver is on a reserve server unless the operator says otherwise. */
export const OFFSITE_RECEIVER = '/usr/local/bin/truffles-offsite-receive';
const OFFSITE_KNOWN_HOSTS = 'offsite_known_hosts';

/** The key type inside an SSH public key blob (its first string): what a known_hosts line names. */
function keyType(blob: Buffer): string {
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('ascii');
}

export interface OffsiteInput {
  target: string;
  port: number;
  path: string;
  identityFile: string;
  keep: number;
  /** The reserve's host key fingerprint as the operator verified it. */
  acceptFingerprint?: string | undefined;
}

export interface ScheduleInput {
  host: string;
  at?: string | undefined;
  daily?: number | undefined;
  weekly?: number | undefined;
  backupDir?: string | undefined;
  offsite?: OffsiteInput | null | undefined;
  drillWeekday?: number | null | undefined;
}

export class BackupService {
  constructor(
    private readonly hosts: HostService,
    private readonly tenants: TenantService,
    private readonly keys: BackupKeys,
    private readonly emit: Emit,
    private readonly templatesDir: () => string,
  ) {}

  private log(slug: string, level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', source: `backup:${slug}`, level, message, at: new Date().toISOString() });
  }

  /** Where a tenant's backups are: its host, even after the tenant was deleted (its final backup stays). */
  private async where(
    slug: string,
    hostName?: string,
  ): Promise<{
    host: HostRecord;
    t: HostTransport;
    record: { plan: 'starter' | 'pro' | 'enterprise' } | null;
  }> {
    if (!hostName) return this.tenants.locate(slug);
    const host = await this.hosts.get(hostName);
    const t = await this.hosts.transport(hostName);
    const record = await this.tenants
      .locate(slug, hostName)
      .then((x) => x.record)
      .catch(() => null);
    return { host, t, record };
  }

  async hasKey(): Promise<boolean> {
    return (await this.keys.info()) !== null;
  }

  // ---------- the agent on the host ----------

  private agentDir(host: HostRecord): string {
    return posix.join(host.stateDir, 'agent');
  }

  async readConfig(t: HostTransport, host: HostRecord): Promise<AgentConfig | null> {
    const text = await readHostFile(t, posix.join(this.agentDir(host), 'backup.json'));
    if (text === null) return null;
    try {
      return withRecipients(AgentConfigSchema.parse(JSON.parse(text)));
    } catch (err) {
      throw new CoreError(
        'backup.config-invalid',
        `The backup agent's settings on ${host.name} are not valid: ${(err as Error).message.slice(0, 200)}.`,
        `Write them again: truffles backup schedule ${host.name}`,
      );
    }
  }

  private defaultConfig(host: HostRecord, recipient: string): AgentConfig {
    return {
      version: 1,
      stateDir: host.stateDir,
      backupDir: posix.join(host.stateDir, 'backups'),
      recipient,
      recipients: recipient
        ? [{ recipient, label: auditActor(), addedAt: new Date().toISOString(), addedBy: auditActor() }]
        : [],
      at: '03:00',
      retention: { daily: 7, weekly: 4 },
      offsite: null,
      drillWeekday: null,
    };
  }

  private async missingTools(t: HostTransport): Promise<string[]> {
    const r = await t.exec(
      [
        'sh',
        '-c',
        'for x in "$@"; do command -v "$x" >/dev/null 2>&1 || printf "%s\\n" "$x"; done',
        'sh',
        ...REQUIRED_TOOLS,
      ],
      { timeoutMs: 15_000 },
    );
    return r.stdout.split('\n').filter(Boolean);
  }

  /** Put the agent script and its settings on the host (the script is replaced when it differs). */
  private async installAgent(t: HostTransport, host: HostRecord, config: AgentConfig): Promise<void> {
    const missing = await this.missingTools(t);
    if (missing.length)
      throw new CoreError(
        'backup.agent-tools',
        `${host.name} lacks what the backup agent needs: ${missing.join(', ')}.`,
        `On the host (Debian/Ubuntu): sudo apt-get install ${missing.filter((m) => m !== 'docker').join(' ') || 'docker.io'}`,
        { missing },
      );
    await mkdirHost(t, this.agentDir(host));
    const script = await readFile(join(this.templatesDir(), 'backup', AGENT_FILE));
    await t.upload(Readable.from([script]), posix.join(this.agentDir(host), AGENT_FILE), { mode: 0o750 });
    await writeHostFile(
      t,
      posix.join(this.agentDir(host), 'backup.json'),
      JSON.stringify(config, null, 2) + '\n',
      0o640,
    );
    await mkdirHost(t, config.backupDir);
  }

  /**
   * The agent's settings as they are (installed with this console's key when absent). Refused
   * when the host's agent does not encrypt to this console's key: another console set the host
   * up, and re-keying it silently would make every later backup unreadable to that console.
   */
  private async ensureAgent(t: HostTransport, host: HostRecord): Promise<AgentConfig> {
    const recipient = await this.keys.recipient();
    const current = await this.readConfig(t, host);
    if (current && !current.recipients.some((r) => r.recipient === recipient))
      throw keyMismatch(host, current, recipient);
    const config = current ?? this.defaultConfig(host, recipient);
    const installedVersion = await this.agentVersion(t, host);
    const ours = await this.bundledVersion();
    if (!current || installedVersion !== ours) await this.installAgent(t, host, config);
    return config;
  }

  // ---------- who can read a host's backups (issue 11, item 8) ----------

  async keyStatus(hostName: string): Promise<CommandOutput<'backups.keyStatus'>> {
    const host = await this.hosts.get(hostName);
    const t = await this.hosts.transport(hostName);
    return this.statusOf(host, await this.readConfig(t, host));
  }

  private async statusOf(
    host: HostRecord,
    config: AgentConfig | null,
  ): Promise<CommandOutput<'backups.keyStatus'>> {
    const ours = (await this.keys.info())?.recipient ?? null;
    const recipients = (config?.recipients ?? []).map((r) => ({ ...r, ours: r.recipient === ours }));
    return {
      host: host.name,
      configured: config !== null,
      ours,
      matches: recipients.some((r) => r.ours),
      recipients,
    };
  }

  /** Write new recipients into the host's settings (the agent installed when absent) and audit it. */
  private async writeRecipients(
    t: HostTransport,
    host: HostRecord,
    current: AgentConfig | null,
    recipients: RecipientEntry[],
    audit: { action: string; details: Record<string, unknown> },
  ): Promise<CommandOutput<'backups.keyStatus'>> {
    const first = recipients[0];
    if (!first) throw new Error('no recipients');
    const config: AgentConfig = {
      ...(current ?? this.defaultConfig(host, first.recipient)),
      recipient: first.recipient,
      recipients,
    };
    await this.installAgent(t, host, config);
    await appendAudit(t, host, {
      action: audit.action,
      subject: `host:${host.name}`,
      details: audit.details,
    });
    return this.statusOf(host, config);
  }

  /**
   * Add a public key the host's agent encrypts to: this console's own (the default: an operator
   * joining the fleet with a key of their own) or another one (an offline recovery key).
   */
  async addRecipient(input: {
    host: string;
    recipient?: string | undefined;
    label?: string | undefined;
  }): Promise<CommandOutput<'backups.keyStatus'>> {
    const host = await this.hosts.get(input.host);
    const t = await this.hosts.transport(input.host);
    const key = input.recipient ?? (await this.keys.recipient());
    const current = await this.readConfig(t, host);
    const list = current?.recipients ?? [];
    if (list.some((r) => r.recipient === key)) return this.statusOf(host, current);
    if (list.length >= MAX_RECIPIENTS)
      throw new CoreError(
        'backup.recipients-full',
        `${host.name} already encrypts to ${MAX_RECIPIENTS} keys.`,
        `Remove one first: truffles backup key remove-recipient ${host.name} --recipient age1…`,
      );
    const entry: RecipientEntry = {
      recipient: key,
      label: input.label ?? (input.recipient ? '' : auditActor()),
      addedAt: new Date().toISOString(),
      addedBy: auditActor(),
    };
    return this.writeRecipients(t, host, current, [...list, entry], {
      action: 'backup.recipient-add',
      details: { recipient: key, label: entry.label, recipients: list.length + 1 },
    });
  }

  async removeRecipient(input: {
    host: string;
    recipient: string;
  }): Promise<CommandOutput<'backups.keyStatus'>> {
    const host = await this.hosts.get(input.host);
    const t = await this.hosts.transport(input.host);
    const current = await this.readConfig(t, host);
    const list = current?.recipients ?? [];
    if (!list.some((r) => r.recipient === input.recipient))
      throw new CoreError(
        'backup.recipient-unknown',
        `${host.name} does not encrypt to ${input.recipient}.`,
        `See its keys: truffles backup key status ${host.name}`,
      );
    const rest = list.filter((r) => r.recipient !== input.recipient);
    if (!rest.length)
      throw new CoreError(
        'backup.recipient-last',
        `${input.recipient} is the only key ${host.name} encrypts to; without it no backup could be read.`,
        `Add another first (truffles backup key add-recipient ${host.name}), or replace it: truffles backup key rekey ${host.name} --confirm ${host.name}`,
      );
    return this.writeRecipients(t, host, current, rest, {
      action: 'backup.recipient-remove',
      details: { recipient: input.recipient, recipients: rest.length },
    });
  }

  /**
   * Replace every key the host encrypts to with this console's: what an operator does on purpose
   * when the old keys are lost. Archives made before stay readable only with the old keys.
   */
  async rekey(input: { host: string; confirm: string }): Promise<CommandOutput<'backups.keyStatus'>> {
    if (input.confirm !== input.host)
      throw new CoreError(
        'backup.confirm',
        `To re-key the backups of '${input.host}', confirm with the host's name (got '${input.confirm}').`,
        `Add --confirm ${input.host}`,
      );
    const host = await this.hosts.get(input.host);
    const t = await this.hosts.transport(input.host);
    const ours = await this.keys.recipient();
    const current = await this.readConfig(t, host);
    return this.writeRecipients(
      t,
      host,
      current,
      [{ recipient: ours, label: auditActor(), addedAt: new Date().toISOString(), addedBy: auditActor() }],
      {
        action: 'backup.rekey',
        details: { from: (current?.recipients ?? []).map((r) => r.recipient), to: ours },
      },
    );
  }

  private async bundledVersion(): Promise<string> {
    const text = await readFile(join(this.templatesDir(), 'backup', AGENT_FILE), 'utf8');
    return /^AGENT_VERSION=(\S+)$/m.exec(text)?.[1] ?? '?';
  }

  private async agentVersion(t: HostTransport, host: HostRecord): Promise<string | null> {
    const r = await t.exec([posix.join(this.agentDir(host), AGENT_FILE), 'version'], { timeoutMs: 15_000 });
    return r.code === 0 ? r.stdout.trim() : null;
  }

  /** Install or change the daily schedule (systemd timer when the SSH user may, else the user's crontab). */
  async schedule(input: ScheduleInput): Promise<BackupSchedule> {
    const host = await this.hosts.get(input.host);
    const t = await this.hosts.transport(input.host);
    if (input.backupDir !== undefined && (!ABS_PATH.test(input.backupDir) || input.backupDir.includes('..')))
      throw new CoreError(
        'backup.dir-invalid',
        `'${input.backupDir}' is not an absolute path of letters, digits, ".", "_", "-" and "/".`,
        'Give a plain absolute path, e.g. /srv/backups/truffles.',
      );
    const recipient = await this.keys.recipient();
    const existing = await this.readConfig(t, host);
    if (existing && !existing.recipients.some((r) => r.recipient === recipient))
      throw keyMismatch(host, existing, recipient);
    const current = existing ?? this.defaultConfig(host, recipient);
    const config: AgentConfig = {
      ...current,
      at: input.at ?? current.at,
      backupDir: input.backupDir ?? current.backupDir,
      retention: {
        daily: input.daily ?? current.retention.daily,
        weekly: input.weekly ?? current.retention.weekly,
      },
      offsite:
        input.offsite === undefined
          ? current.offsite
          : input.offsite === null
            ? null
            : await this.pinReserve(host, input.offsite),
      drillWeekday: input.drillWeekday !== undefined ? input.drillWeekday : current.drillWeekday,
    };
    if (config.offsite) {
      const ssh = await t.exec(['sh', '-c', 'command -v ssh'], { timeoutMs: 15_000 });
      if (ssh.code !== 0)
        throw new CoreError(
          'backup.agent-tools',
          `${host.name} has no ssh client for the offsite copy.`,
          'On the host (Debian/Ubuntu): sudo apt-get install openssh-client',
          { missing: ['ssh'] },
        );
    }
    await this.installAgent(t, host, config);
    await this.writeReserveKey(t, host, config.offsite);
    const [hh, mm] = config.at.split(':');
    const agent = posix.join(this.agentDir(host), AGENT_FILE);
    const logFile = posix.join(this.agentDir(host), 'agent.log');
    const how = await t.exec(
      [
        'sh',
        '-c',
        'if [ "$(id -u)" = 0 ] && [ -d /run/systemd/system ]; then echo systemd; elif command -v crontab >/dev/null 2>&1; then echo cron; else echo none; fi',
      ],
      { timeoutMs: 15_000 },
    );
    const via = how.stdout.trim();
    if (via === 'systemd') {
      const service = [
        '[Unit]',
        'Description=Truffles tenant backups',
        'After=docker.service',
        '',
        '[Service]',
        'Type=oneshot',
        `ExecStart=${agent} run --kind scheduled`,
        '',
      ].join('\n');
      const timer = [
        '[Unit]',
        'Description=Truffles tenant backups, daily',
        '',
        '[Timer]',
        `OnCalendar=*-*-* ${hh ?? '03'}:${mm ?? '00'}:00`,
        'Persistent=true',
        '',
        '[Install]',
        'WantedBy=timers.target',
        '',
      ].join('\n');
      await writeHostFile(t, '/etc/systemd/system/truffles-backup.service', service, 0o644);
      await writeHostFile(t, '/etc/systemd/system/truffles-backup.timer', timer, 0o644);
      const r = await t.exec(
        ['sh', '-c', 'systemctl daemon-reload && systemctl enable --now truffles-backup.timer'],
        {
          timeoutMs: 60_000,
        },
      );
      if (r.code !== 0)
        throw new CoreError(
          'backup.schedule',
          `systemd refused the timer: ${r.stderr.trim()}`,
          'See the message.',
        );
    } else if (via === 'cron') {
      const line = `${String(Number(mm))} ${String(Number(hh))} * * * ${shellJoin([agent, 'run', '--kind', 'scheduled'])} >>${shellJoin([logFile])} 2>&1 ${CRON_MARK}`;
      const r = await t.exec(
        [
          'sh',
          '-c',
          '{ crontab -l 2>/dev/null | grep -v -F -e "$2" || true; printf "%s\\n" "$1"; } | crontab -',
          'sh',
          line,
          CRON_MARK,
        ],
        { timeoutMs: 30_000 },
      );
      if (r.code !== 0)
        throw new CoreError(
          'backup.schedule',
          `The crontab of ${host.user} on ${host.name} could not be written: ${r.stderr.trim()}`,
          'Check /etc/cron.allow and /etc/cron.deny on the host.',
        );
    }
    await appendAudit(t, host, {
      action: 'backup.schedule',
      subject: `host:${host.name}`,
      details: {
        at: config.at,
        via,
        backupDir: config.backupDir,
        retention: config.retention,
        offsite: config.offsite
          ? { target: config.offsite.target, fingerprint: config.offsite.hostKey?.fingerprint ?? null }
          : null,
      },
    }).catch(() => undefined);
    return this.scheduleInfo(input.host);
  }

  /**
   * The reserve server's host key, read from this console (the hosts' probe: handshake only,
   * nothing trusted) and kept only when it is the fingerprint the operator confirmed. The host's
   * agent then connects with StrictHostKeyChecking=yes against exactly this key.
   */
  private async pinReserve(host: HostRecord, o: OffsiteInput): Promise<NonNullable<AgentConfig['offsite']>> {
    const address = o.target.slice(o.target.indexOf('@') + 1);
    const offered = await probeHostKey(address, o.port, 20_000).catch((err: unknown) => {
      throw new CoreError(
        'backup.offsite-unreachable',
        `The reserve server ${address}:${o.port} cannot be reached from this console to read its host key: ${(err as Error).message}`,
        'Check the address and port; the console reads the key the host will have to trust.',
      );
    });
    if (o.acceptFingerprint !== offered.fingerprint)
      throw new CoreError(
        'backup.offsite-fingerprint',
        o.acceptFingerprint
          ? `The reserve server ${address}:${o.port} offers ${offered.fingerprint}, not the confirmed ${o.acceptFingerprint}.`
          : `Confirm the reserve server's host key: ${address}:${o.port} offers ${offered.algorithm} ${offered.fingerprint}.`,
        `Compare it on the reserve (ssh-keygen -lf /etc/ssh/ssh_host_${offered.algorithm.replace(/^ssh-/, '')}_key.pub), then run again with --offsite-fingerprint ${offered.fingerprint}`,
        { fingerprint: offered.fingerprint, algorithm: offered.algorithm, host: host.name },
      );
    const name = o.port === 22 ? address : `[${address}]:${o.port}`;
    return {
      target: o.target,
      port: o.port,
      path: o.path,
      identityFile: o.identityFile,
      keep: o.keep,
      hostKey: {
        line: `${name} ${keyType(offered.key)} ${offered.key.toString('base64')}`,
        fingerprint: offered.fingerprint,
      },
    };
  }

  /** The agent's known_hosts for the reserve: the pinned key, and only it. */
  private async writeReserveKey(
    t: HostTransport,
    host: HostRecord,
    o: AgentConfig['offsite'],
  ): Promise<void> {
    const file = posix.join(this.agentDir(host), OFFSITE_KNOWN_HOSTS);
    if (o?.hostKey) await writeHostFile(t, file, `${o.hostKey.line}\n`, 0o640);
    else if (!o) await t.exec(['rm', '-f', '--', file], { timeoutMs: 15_000 });
  }

  /**
   * The line the operator puts into the reserve user's ~/.ssh/authorized_keys for this host's
   * offsite key: `restrict` (no shell, no forwarding, no pty) and a forced command, the
   * append-only receiver, confined to this host's own folder.
   */
  async offsiteKeyLine(input: {
    host: string;
    receiver?: string | undefined;
  }): Promise<CommandOutput<'backups.offsiteKeyLine'>> {
    const host = await this.hosts.get(input.host);
    const t = await this.hosts.transport(input.host);
    const config = await this.readConfig(t, host);
    const o = config?.offsite;
    if (!o)
      throw new CoreError(
        'backup.no-offsite',
        `${host.name} copies no backups offsite.`,
        `Set it up first: truffles backup schedule ${host.name} --offsite USER@RESERVE:/srv/truffles --offsite-key PATH`,
      );
    const pub = (await readHostFile(t, `${o.identityFile}.pub`))?.trim();
    if (!pub || !/^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$/.test(pub))
      throw new CoreError(
        'backup.offsite-key',
        `There is no public key at ${o.identityFile}.pub on ${host.name}.`,
        `On the host, as ${host.user}: ssh-keygen -t ed25519 -N '' -f ${o.identityFile}`,
      );
    const [type, blob] = pub.split(' ');
    const receiver = input.receiver ?? OFFSITE_RECEIVER;
    const folder = posix.join(o.path, host.name);
    const line = `command="${receiver} ${folder} ${o.keep}",restrict ${type ?? ''} ${blob ?? ''} truffles-offsite:${host.name}`;
    return { host: host.name, line, folder, receiver };
  }

  async scheduleInfo(hostName: string): Promise<BackupSchedule> {
    const host = await this.hosts.get(hostName);
    const t = await this.hosts.transport(hostName);
    const config = await this.readConfig(t, host);
    const missing = await this.missingTools(t);
    const r = await t.exec(
      [
        'sh',
        '-c',
        'if [ -d /run/systemd/system ] && systemctl is-enabled "$1" >/dev/null 2>&1; then echo systemd; elif crontab -l 2>/dev/null | grep -q -F -e "$2"; then echo cron; else echo none; fi',
        'sh',
        TIMER_UNIT,
        CRON_MARK,
      ],
      { timeoutMs: 15_000 },
    );
    const via = (['systemd', 'cron'].includes(r.stdout.trim()) ? r.stdout.trim() : 'none') as
      'systemd' | 'cron' | 'none';
    const base = config ?? this.defaultConfig(host, '');
    return {
      host: hostName,
      installed: config !== null && via !== 'none',
      at: base.at,
      via,
      agentVersion: config ? await this.agentVersion(t, host) : null,
      backupDir: base.backupDir,
      retention: base.retention,
      offsite: base.offsite
        ? {
            target: `${base.offsite.target}:${base.offsite.path}`,
            keep: base.offsite.keep,
            fingerprint: base.offsite.hostKey?.fingerprint ?? null,
          }
        : null,
      recipients: base.recipients,
      drillWeekday: base.drillWeekday,
      missing,
    };
  }

  // ---------- taking backups ----------

  /** Run the agent for one tenant now; resolves with the new backup, or throws with the agent's reason. */
  async create(
    slug: string,
    hostName?: string,
    kind: 'manual' | 'safety' | 'pre-update' | 'final' = 'manual',
    signal?: AbortSignal,
  ): Promise<BackupEntry> {
    const { host, t } = await this.tenants.locate(slug, hostName);
    return this.runAgent(t, host, slug, kind, signal ? { signal } : {});
  }

  /**
   * Runs the agent for one tenant. The agent takes the tenant's lock itself (non-blocking: a busy
   * tenant is refused with `tenant.locked`) unless the caller holds it already (`lockHeld`: the
   * restore's safety backup), which the agent is told so that it does not wait for itself.
   */
  async runAgent(
    t: HostTransport,
    host: HostRecord,
    slug: string,
    kind: 'manual' | 'safety' | 'pre-update' | 'final' | 'scheduled',
    options: { lockHeld?: boolean; signal?: AbortSignal } = {},
  ): Promise<BackupEntry> {
    const config = await this.ensureAgent(t, host);
    this.log(slug, 'info', `Backing up '${slug}' on ${host.name} (${kind})…`);
    let pending = '';
    const r = await t.exec(
      [
        posix.join(this.agentDir(host), AGENT_FILE),
        'run',
        '--tenant',
        slug,
        ...(options.lockHeld ? ['--lock-held'] : []),
        '--kind',
        kind,
        '--recipient',
        config.recipient,
      ],
      {
        timeoutMs: 6 * 3600_000,
        ...(options.signal ? { signal: options.signal } : {}),
        onStderr: (d) => {
          pending += d.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const l of lines) if (l.trim()) this.log(slug, 'info', l);
        },
      },
    );
    const result = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('RESULT '))
      .map((l) => BackupRunSchema.safeParse(JSON.parse(l.slice(7))))
      .find((p) => p.success)?.data;
    if (result?.skipped)
      throw new CoreError(
        'tenant.locked',
        `Tenant '${slug}' was not backed up: ${result.error ?? 'it is busy'}.`,
        'Wait for that operation to finish, then retry. Earlier backups are untouched.',
        { run: result },
      );
    if (r.code !== 0 || !result?.ok || !result.id) {
      const why =
        result?.error ?? (r.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${String(r.code)}`);
      this.log(slug, 'error', `Backup failed: ${why}`);
      throw new CoreError(
        'backup.failed',
        `The backup of '${slug}' on ${host.name} failed: ${why}`,
        /full/i.test(why)
          ? `Free space in ${config.backupDir} on the host (or move backups elsewhere: truffles backup schedule ${host.name} --dir PATH). Earlier backups are untouched.`
          : 'Earlier backups are untouched. Check the tenant’s health (truffles tenant status) and retry.',
        { run: result ?? null },
      );
    }
    const entry = (await this.list(slug, host.name)).backups.find((b) => b.id === result.id);
    if (!entry)
      throw new CoreError(
        'backup.missing',
        `The agent reported backup ${result.id}, but it is not in ${config.backupDir}/${slug}.`,
        'Look at the host’s backup folder.',
      );
    await appendAudit(t, host, {
      action: 'backup.create',
      subject: `tenant:${slug}`,
      details: { id: entry.id, kind, size: entry.size },
    }).catch(() => undefined);
    this.emit({ type: 'backups.changed', host: host.name, slug });
    return entry;
  }

  // ---------- reading what is there ----------

  private async backupDirOf(t: HostTransport, host: HostRecord): Promise<string> {
    return (await this.readConfig(t, host))?.backupDir ?? posix.join(host.stateDir, 'backups');
  }

  async list(
    slug: string,
    hostName?: string,
  ): Promise<{ backups: BackupEntry[]; runs: BackupRun[]; restores: RestoreReport[] }> {
    const { host, t } = await this.where(slug, hostName);
    const dir = posix.join(await this.backupDirOf(t, host), slug);
    const r = await t.exec(
      [
        'sh',
        '-c',
        [
          'cd -- "$1" 2>/dev/null || exit 0',
          'for f in *.json; do [ -f "$f" ] && [ -f "${f%.json}.tar.age" ] && { printf "B "; tr -d "\\n" < "$f"; echo; }; done',
          '[ -f runs.jsonl ] && tail -n 50 runs.jsonl | sed "s/^/R /"',
          '[ -f restores.jsonl ] && tail -n 50 restores.jsonl | sed "s/^/D /"',
          'exit 0',
        ].join('\n'),
        'sh',
        dir,
      ],
      { timeoutMs: 30_000 },
    );
    const backups: BackupEntry[] = [];
    const runs: BackupRun[] = [];
    const restores: RestoreReport[] = [];
    for (const line of r.stdout.split('\n')) {
      const json = (): unknown => {
        try {
          return JSON.parse(line.slice(2));
        } catch {
          return null;
        }
      };
      if (line.startsWith('B ')) {
        const p = SidecarSchema.safeParse(json());
        if (p.success) backups.push({ ...p.data, host: host.name, provenAt: null });
      } else if (line.startsWith('R ')) {
        const p = BackupRunSchema.safeParse(json());
        if (p.success) runs.push(p.data);
      } else if (line.startsWith('D ')) {
        const p = RestoreReportSchema.safeParse(json());
        if (p.success) restores.push(p.data);
      }
    }
    for (const b of backups)
      b.provenAt =
        restores
          .filter((x) => x.backupId === b.id && x.ok)
          .map((x) => x.at)
          .sort()
          .pop() ?? null;
    backups.sort((a, b) => (a.id < b.id ? 1 : -1));
    runs.reverse();
    restores.reverse();
    return { backups, runs, restores };
  }

  async overview(hostName?: string): Promise<CommandOutput<'backups.overview'>> {
    const listed = await this.tenants.list(hostName);
    const tenants: CommandOutput<'backups.overview'>['tenants'] = [];
    await Promise.all(
      listed.tenants.map(async (tv) => {
        try {
          const l = await this.list(tv.slug, tv.host);
          tenants.push({
            host: tv.host,
            slug: tv.slug,
            state: tv.state,
            last: l.backups[0] ?? null,
            lastRun: l.runs[0] ?? null,
            lastDrill: l.restores.find((x) => x.kind === 'drill') ?? null,
            count: l.backups.length,
            bytes: l.backups.reduce((n, b) => n + b.size, 0),
          });
        } catch {
          tenants.push({
            host: tv.host,
            slug: tv.slug,
            state: tv.state,
            last: null,
            lastRun: null,
            lastDrill: null,
            count: 0,
            bytes: 0,
          });
        }
      }),
    );
    tenants.sort((a, b) => (a.host + a.slug < b.host + b.slug ? -1 : 1));
    return {
      tenants,
      unreachable: listed.unreachable.map((u) => ({ host: u.host, error: u.error.message })),
    };
  }

  // ---------- restore ----------

  /**
   * Stream the archive from `src`, decrypt and check it here, and write its parts into a fresh
   * staging folder on `dst`. Resolves with the manifest only when every part checked out; on any
   * failure the staging folder is removed and nothing else was touched.
   */
  private async stage(
    src: { t: HostTransport; host: HostRecord; slug: string; backupId: string },
    dst: { t: HostTransport; host: HostRecord; dir: string },
    expectTenant: string,
  ): Promise<BackupManifest> {
    const identity = await this.keys.identity();
    const srcDir = posix.join(await this.backupDirOf(src.t, src.host), src.slug);
    const archive = posix.join(srcDir, `${src.backupId}.tar.age`);
    const exists = await src.t.exec(['test', '-f', archive], { timeoutMs: 30_000 });
    if (exists.code !== 0)
      throw new CoreError(
        'backup.unknown',
        `There is no backup ${src.backupId} of '${src.slug}' on ${src.host.name}.`,
        `List them: truffles backup list ${src.slug}`,
      );
    await mkdirHost(dst.t, dst.dir, '0700');
    // Every read and write has a deadline: the whole staging STAGE_TIMEOUT_MS, and no progress
    // (nothing read from the archive, which waits on the writes) for stallMs fails it.
    const encrypted = new PassThrough({ highWaterMark: 1 << 20 });
    let lastProgress = Date.now();
    encrypted.on('drain', () => (lastProgress = Date.now()));
    const write = encrypted.write.bind(encrypted);
    encrypted.write = ((chunk: unknown, ...rest: unknown[]) => {
      lastProgress = Date.now();
      return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof encrypted.write;
    const abort = new AbortController();
    const reading = src.t.exec(['cat', '--', archive], {
      stdout: encrypted,
      signal: abort.signal,
      timeoutMs: STAGE_TIMEOUT_MS,
    });
    reading.catch(() => undefined);
    const stallMs = this.stallMs;
    let stalled: CoreError | null = null;
    const watchdog = setInterval(
      () => {
        if (Date.now() - lastProgress < stallMs) return;
        clearInterval(watchdog);
        stalled = new CoreError(
          'backup.stalled',
          `Staging backup ${src.backupId} made no progress for ${Math.round(stallMs / 1000)} s (reading ${src.host.name}, writing ${dst.host.name}).`,
          'Check both hosts (a hung disk, a full disk, a dead connection), then retry. The tenant was not touched.',
        );
        encrypted.destroy(stalled);
        abort.abort();
      },
      Math.min(10_000, Math.max(100, stallMs / 4)),
    );
    watchdog.unref();
    const writers: Promise<unknown>[] = [];
    try {
      const manifest = await readArchive(
        encrypted,
        identity,
        { tenant: expectTenant },
        async (part, data) => {
          const target = posix.join(dst.dir, part.name);
          const writing = dst.t.exec(
            ['sh', '-c', 'umask 077 && mkdir -p -- "$(dirname -- "$1")" && cat > "$1"', 'sh', target],
            { stdin: data, timeoutMs: STAGE_TIMEOUT_MS },
          );
          writers.push(writing.catch(() => undefined));
          const w = await writing;
          if (w.code !== 0)
            throw new CoreError(
              'backup.stage',
              `Writing ${part.name} to ${dst.dir} on ${dst.host.name} failed: ${w.stderr.trim()}`,
              'Free space on the host, then retry. The tenant was not touched.',
            );
        },
      );
      const r = await reading;
      if (r.code !== 0)
        throw new CoreError(
          'backup.read',
          `Reading ${archive} failed: ${r.stderr.trim()}`,
          'Check the file.',
        );
      return manifest;
    } catch (err) {
      abort.abort();
      encrypted.destroy();
      // A part still being written would make its folder again after the removal.
      await Promise.allSettled(writers);
      await removeInside(dst.t, posix.dirname(dst.dir), dst.dir).catch(() => undefined);
      throw stalled ?? err;
    } finally {
      clearInterval(watchdog);
    }
  }

  /** Counts as the tenant's database and Qdrant hold them now. */
  private async countsNow(
    t: HostTransport,
    dir: string,
    slug: string,
    env: Record<string, string>,
  ): Promise<{ tables: Record<string, number>; points: Record<string, number> }> {
    const r = await execOk(
      t,
      'backup.count',
      `Counting the rows of '${slug}'`,
      inPostgres(
        dir,
        slug,
        'exec psql -X -At -F "\t" -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$1"',
        COUNT_SQL,
      ),
      { timeoutMs: 30 * 60_000 },
    );
    const tables: Record<string, number> = {};
    for (const line of r.stdout.split('\n')) {
      const [name, n] = line.split('\t');
      if (name && n !== undefined) tables[name] = Number(n);
    }
    const ip = await this.tenants.containerIp(t, slug, 'qdrant');
    const q = await execOk(
      t,
      'backup.count',
      `Counting the Qdrant points of '${slug}'`,
      [
        'sh',
        '-c',
        [
          'set -e',
          'hdr=$(mktemp); trap \'rm -f "$hdr"\' EXIT; cat > "$hdr"',
          'for c in $(curl -fsS -H @"$hdr" "http://$1:6333/collections" | jq -r ".result.collections[].name"); do',
          '  n=$(curl -fsS -H @"$hdr" -H "content-type: application/json" -d \'{"exact":true}\' "http://$1:6333/collections/$c/points/count" | jq -r ".result.count")',
          '  printf "%s\\t%s\\n" "$c" "$n"',
          'done',
        ].join('\n'),
        'sh',
        ip,
      ],
      { timeoutMs: 10 * 60_000, stdin: Readable.from([`api-key: ${env.QDRANT_API_KEY ?? ''}\n`]) },
    );
    const points: Record<string, number> = {};
    for (const line of q.stdout.split('\n')) {
      const [name, n] = line.split('\t');
      if (name && n && /^\d+$/.test(n)) points[name] = Number(n);
    }
    return { tables, points };
  }

  private compare(
    manifest: BackupManifest,
    now: { tables: Record<string, number>; points: Record<string, number> },
  ): { checked: number; mismatches: RestoreReport['mismatches'] } {
    const mismatches: RestoreReport['mismatches'] = [];
    let checked = 0;
    for (const [name, expected] of Object.entries(manifest.counts.tables)) {
      if (!comparedTable(name)) continue;
      checked += 1;
      const actual = now.tables[name] ?? null;
      if (actual !== expected) mismatches.push({ what: `rows ${name}`, expected, actual });
    }
    for (const [name, expected] of Object.entries(manifest.counts.points)) {
      checked += 1;
      const actual = now.points[name] ?? null;
      if (actual !== expected) mismatches.push({ what: `points ${name}`, expected, actual });
    }
    return { checked, mismatches };
  }

  /**
   * Put a tenant's data back from a staged backup: PostgreSQL (database recreated, then
   * pg_restore), Qdrant (collections replaced by snapshot upload, priority=snapshot) at the same
   * time — with n8n stopped and the data services up (recreated if the backup's compose differs) —
   * and compare the counts before n8n starts.
   */
  private async restoreData(
    t: HostTransport,
    dir: string,
    slug: string,
    stageDir: string,
    manifest: BackupManifest,
  ): Promise<{ checked: number; mismatches: RestoreReport['mismatches'] }> {
    const env = parseEnvFile((await readHostFile(t, posix.join(dir, '.env'))) ?? '');
    await execOk(
      t,
      'backup.restore-start',
      `Starting the database`,
      compose(dir, slug, 'up', '-d', '--no-deps', ...DATA_SERVICES),
      {
        timeoutMs: 10 * 60_000,
      },
    );
    await this.tenants.waitHealthy(t, slug, undefined, DATA_SERVICES);
    // pg_restore -j reads a file it can seek in, inside the database container: copied there (after
    // compose up, which may have recreated the container) and before the database is dropped, so
    // a full disk stops the restore while the data is still the tenant's own.
    let lifted: { container: string; cpus: string } | null = null;
    try {
      const jobs = await this.copyDumpIn(t, dir, slug, stageDir);
      lifted = await this.liftCpuLimit(t, dir, slug);
      return await this.restoreDatabase(t, dir, slug, stageDir, manifest, env, jobs);
    } finally {
      if (lifted) await this.putCpuLimitBack(t, slug, lifted);
      // Also after a copy that failed half-way (a full disk): what it wrote goes.
      await t
        .exec(inPostgres(dir, slug, 'rm -f -- "$1"', IN_CONTAINER_DUMP), {
          timeoutMs: 60_000,
        })
        .catch(() => undefined);
    }
  }

  /**
   * Copies the staged dump into the database container (as the container's user, through exec,
   * so pg_restore there can read it). Returns how many pg_restore jobs to run: the host's CPUs, 1–4.
   */
  private async copyDumpIn(t: HostTransport, dir: string, slug: string, stageDir: string): Promise<number> {
    this.log(slug, 'info', 'Copying the dump into the database container');
    const r = await execOk(
      t,
      'backup.restore-copy',
      `Copying the dump into the database container of '${slug}' (Docker's disk needs room for one more copy of the dump)`,
      [
        'sh',
        '-c',
        `${shellJoin(inPostgres(dir, slug, 'cat > "$1"', IN_CONTAINER_DUMP))} < "$1" && nproc`,
        'sh',
        posix.join(stageDir, 'postgres.dump'),
      ],
      { timeoutMs: 60 * 60_000 },
    );
    const cpus = Number(r.stdout.trim().split('\n').pop());
    return Number.isInteger(cpus) && cpus > 0 ? Math.min(cpus, 4) : 1;
  }

  /**
   * While n8n is stopped nothing else of the tenant wants the CPU its plan allows PostgreSQL
   * (0.5 CPU on starter), and pg_restore — COPY and the index builds — is bound by it: the
   * container may use every CPU of the host for the restore (under contention the kernel still
   * shares them out among containers by weight). Returns the container and the limit its compose
   * file declares (what goes back afterwards, also when an earlier restore died before putting it
   * back), or null when there is no limit or Docker refused (the restore then runs at the limit).
   */
  private async liftCpuLimit(
    t: HostTransport,
    dir: string,
    slug: string,
  ): Promise<{ container: string; cpus: string } | null> {
    const r = await t.exec(
      [
        'sh',
        '-c',
        [
          'set -e',
          `c=$(${shellJoin(compose(dir, slug, 'ps', '-q', 'postgres'))})`,
          `want=$(${shellJoin(compose(dir, slug, 'config', '--format', 'json'))} | jq -r '.services.postgres.deploy.resources.limits.cpus // empty')`,
          'n=$(nproc)',
          '[ -n "$c" ] && [ -n "$want" ] || exit 0',
          `awk -v w="$want" -v n="$n" 'BEGIN { exit !(w > 0 && w < n) }' || exit 0`,
          'docker update --cpus "$n" "$c" >/dev/null',
          'printf "%s %s %s\\n" "$c" "$want" "$n"',
        ].join('\n'),
      ],
      { timeoutMs: 60_000 },
    );
    if (r.code !== 0) {
      this.log(
        slug,
        'warn',
        `PostgreSQL keeps its CPU limit for the restore: ${r.stderr.trim().slice(-200)}`,
      );
      return null;
    }
    const [container, cpus, n] = r.stdout.trim().split(' ');
    if (!container || !cpus || !n || !/^[0-9a-f]{12,64}$/.test(container) || !/^[0-9.]+$/.test(cpus))
      return null;
    this.log(slug, 'info', `PostgreSQL may use ${n} CPUs during the restore (its limit: ${cpus})`);
    return { container, cpus };
  }

  private async putCpuLimitBack(
    t: HostTransport,
    slug: string,
    lifted: { container: string; cpus: string },
  ): Promise<void> {
    const r = await t
      .exec(['docker', 'update', '--cpus', lifted.cpus, lifted.container], { timeoutMs: 60_000 })
      .catch((e: unknown) => ({ code: 1, stdout: '', stderr: (e as Error).message }));
    if (r.code !== 0)
      this.log(
        slug,
        'error',
        `PostgreSQL's CPU limit could not be put back to ${lifted.cpus}: ${r.stderr.trim().slice(-200)}. The next restore puts it back, or: docker update --cpus ${lifted.cpus} ${lifted.container}`,
      );
  }

  private async restoreDatabase(
    t: HostTransport,
    dir: string,
    slug: string,
    stageDir: string,
    manifest: BackupManifest,
    env: Record<string, string>,
    jobs: number,
  ): Promise<{ checked: number; mismatches: RestoreReport['mismatches'] }> {
    this.log(slug, 'info', 'PostgreSQL: recreating the database and restoring the dump');
    await execOk(
      t,
      'backup.restore-pg',
      `Recreating the database`,
      inPostgres(
        dir,
        slug,
        // psql fills :"var" only in what it reads, not in -c: the statements come on its input.
        'printf "%s\\n" \'DROP DATABASE IF EXISTS :"db" WITH (FORCE);\' \'CREATE DATABASE :"db" OWNER :"owner";\' | psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -v db="$POSTGRES_DB" -v owner="$POSTGRES_USER"',
      ),
      { timeoutMs: 10 * 60_000 },
    );
    // Under the tenant's lock: pg_restore (in the container) stops when the lock goes (issue 11, item 4).
    const pgRestore = execOk(
      t,
      'backup.restore-pg',
      `pg_restore`,
      guardedByLock(
        t,
        slug,
        inPostgres(
          dir,
          slug,
          endsWithStdin(
            'exec pg_restore --exit-on-error --no-owner --no-acl -j "$2" -U "$POSTGRES_USER" -d "$POSTGRES_DB" "$1"',
          ),
          IN_CONTAINER_DUMP,
          String(jobs),
        ),
        'pg_restore',
        { stdinFromLock: true },
      ),
      { timeoutMs: 6 * 3600_000 },
    );
    // Qdrant is restored at the same time, on its own channel of the same connection.
    this.log(slug, 'info', 'Qdrant: replacing collections from their snapshots');
    const qdrant = this.restoreQdrant(t, slug, stageDir, manifest, env);
    const [pg, qd] = await Promise.allSettled([pgRestore, qdrant]);
    if (pg.status === 'rejected') throw pg.reason;
    if (qd.status === 'rejected') throw qd.reason;
    return this.compare(manifest, await this.countsNow(t, dir, slug, env));
  }

  /** Every Qdrant collection the backup has replaces the live one (snapshot upload, priority=snapshot); others go. */
  private async restoreQdrant(
    t: HostTransport,
    slug: string,
    stageDir: string,
    manifest: BackupManifest,
    env: Record<string, string>,
  ): Promise<void> {
    const ip = await this.tenants.containerIp(t, slug, 'qdrant');
    const wanted = manifest.parts
      .filter((p) => p.name.startsWith('qdrant/') && p.name.endsWith('.snapshot'))
      .map((p) => p.name.slice('qdrant/'.length, -'.snapshot'.length));
    await execOk(
      t,
      'backup.restore-qdrant',
      `Restoring Qdrant`,
      guardedByLock(
        t,
        slug,
        [
          'sh',
          '-c',
          [
            'set -e',
            'ip=$1; stage=$2; shift 2',
            'hdr=$(mktemp); trap \'rm -f "$hdr"\' EXIT; cat > "$hdr"',
            // Collections the backup does not have go; the backup's replace what is there.
            'for c in $(curl -fsS -H @"$hdr" "http://$ip:6333/collections" | jq -r ".result.collections[].name"); do',
            '  curl -fsS -X DELETE -H @"$hdr" "http://$ip:6333/collections/$c" >/dev/null',
            'done',
            'for c in "$@"; do',
            // A stalled upload (nothing sent or received for 10 minutes) fails the restore instead of
            // holding the tenant's lock until the exec timeout.
            '  curl -fsS --speed-limit 1 --speed-time 600 -H @"$hdr" -F "snapshot=@$stage/qdrant/$c.snapshot" "http://$ip:6333/collections/$c/snapshots/upload?priority=snapshot&wait=true" >/dev/null',
            'done',
          ].join('\n'),
          'sh',
          ip,
          stageDir,
          ...wanted,
        ],
        'Qdrant snapshot upload',
      ),
      { timeoutMs: 6 * 3600_000, stdin: Readable.from([`api-key: ${env.QDRANT_API_KEY ?? ''}\n`]) },
    );
  }

  /** n8n answers its webhooks some seconds after it reports ready: wait for the edge to route to it. */
  private async waitRouted(t: HostTransport, host: HostRecord, slug: string, domain: string): Promise<void> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const route = await this.tenants.checkRoute(t, host.stateDir, slug, domain);
      if (route.ok) return;
      if (Date.now() > deadline)
        throw new CoreError(
          'tenant.route',
          `The edge does not route ${domain} after the restore: ${route.detail}`,
          'Check the edge: truffles edge status.',
        );
      await sleep(1000);
    }
  }

  private async recordReport(
    t: HostTransport,
    host: HostRecord,
    slug: string,
    report: RestoreReport,
  ): Promise<void> {
    const dir = posix.join(await this.backupDirOf(t, host), slug);
    await t
      .exec(
        [
          'sh',
          '-c',
          'mkdir -p -- "$1" && printf "%s\\n" "$2" >> "$1/restores.jsonl"',
          'sh',
          dir,
          JSON.stringify(report),
        ],
        {
          timeoutMs: 15_000,
        },
      )
      .catch(() => undefined);
  }

  async restore(input: {
    slug: string;
    host?: string | undefined;
    backupId: string;
    confirm: string;
    skipSafetyBackup?: boolean | undefined;
  }): Promise<RestoreReport> {
    const { slug, backupId } = input;
    if (input.confirm !== slug)
      throw new CoreError(
        'backup.confirm',
        `To restore '${slug}', confirm with its slug (got '${input.confirm}').`,
        `Add --confirm ${slug}`,
      );
    const started = Date.now();
    const { host, t, record } = await this.tenants.locate(slug, input.host);
    const dir = tenantDir(host.stateDir, slug);
    const lock = await acquireTenantLock(t, host.stateDir, slug, 'restore');
    // Leftovers first: a restore or drill cut off earlier left decrypted data behind.
    await this.ensureAgent(t, host)
      .then(() => this.sweep(t, host, slug))
      .catch((e: unknown) => this.log(slug, 'warn', `No sweep before the restore: ${(e as Error).message}`));
    const stageDir = posix.join(
      await this.backupDirOf(t, host),
      slug,
      `.restore-${backupId}-${randomBytes(3).toString('hex')}`,
    );
    let safety: string | null = null;
    let touched = false;
    try {
      this.log(slug, 'info', `Checking backup ${backupId} (decrypting here, every part against its sha256)…`);
      const manifest = await this.stage({ t, host, slug, backupId }, { t, host, dir: stageDir }, slug);
      if (!input.skipSafetyBackup) {
        this.log(slug, 'info', 'Taking a safety backup of the current state…');
        safety = (await this.runAgent(t, host, slug, 'safety', { lockHeld: true })).id;
      }
      // Only what uses the data stops (n8n and anything but the three data services): PostgreSQL,
      // Qdrant and Redis keep running, the database is dropped and recreated under them.
      this.log(slug, 'info', 'Stopping n8n');
      touched = true;
      await execOk(
        t,
        'backup.restore-stop',
        `Stopping '${slug}'`,
        [
          'sh',
          '-c',
          `set -e; s=$(${shellJoin(compose(dir, slug, 'config', '--services'))} | grep -vxE '${DATA_SERVICES.join('|')}' || true); [ -z "$s" ] || ${shellJoin(compose(dir, slug, 'stop'))} $s`,
        ],
        { timeoutMs: 5 * 60_000 },
      );
      // The tenant's files as they were (its .env holds the n8n key its credentials were encrypted with).
      await execOk(
        t,
        'backup.restore-files',
        `Putting the files back`,
        [
          'sh',
          '-c',
          'cp -f -- "$1/files/compose.yaml" "$2/compose.yaml" && install -m 0600 -- "$1/files/env" "$2/.env" && cp -f -- "$1/files/tenant.json" "$2/tenant.json"',
          'sh',
          stageDir,
          dir,
        ],
        { timeoutMs: 60_000 },
      );
      const compared = await this.restoreData(t, dir, slug, stageDir, manifest);
      this.log(slug, 'info', 'Starting the tenant');
      await execOk(t, 'backup.restore-start', `Starting '${slug}'`, compose(dir, slug, 'up', '-d'), {
        timeoutMs: 10 * 60_000,
      });
      this.log(slug, 'info', 'Waiting for every service to be healthy');
      await this.tenants.waitHealthy(t, slug);
      this.log(slug, 'info', 'Healthy; checking the route');
      const restoredRecord = await readHostFile(t, posix.join(dir, 'tenant.json'));
      const restored = restoredRecord
        ? (JSON.parse(restoredRecord) as { state?: string; domain?: string })
        : record;
      if (restored.state === 'suspended')
        await t.exec(compose(dir, slug, 'stop', 'n8n'), { timeoutMs: 5 * 60_000 });
      else await this.waitRouted(t, host, slug, restored.domain ?? record.domain);
      this.log(slug, 'info', 'Recording the report');
      const report: RestoreReport = {
        tenant: slug,
        host: host.name,
        backupId,
        kind: 'restore',
        ok: compared.mismatches.length === 0,
        at: new Date().toISOString(),
        safetyBackupId: safety,
        target: slug,
        seconds: (Date.now() - started) / 1000,
        checked: compared.checked,
        mismatches: compared.mismatches,
        detail:
          compared.mismatches.length === 0
            ? `Restored ${manifest.createdAt}; ${compared.checked} counts match the manifest.`
            : `Restored, but ${compared.mismatches.length} of ${compared.checked} counts differ from the manifest.`,
      };
      await this.recordReport(t, host, slug, report);
      await appendAudit(t, host, {
        action: 'backup.restore',
        subject: `tenant:${slug}`,
        details: { backupId, safety, ok: report.ok },
      }).catch(() => undefined);
      this.emit({ type: 'backups.changed', host: host.name, slug });
      this.emit({ type: 'tenants.changed', host: host.name });
      return report;
    } catch (err) {
      if (touched) {
        const info = toErrorInfo(err);
        await this.recordReport(t, host, slug, {
          tenant: slug,
          host: host.name,
          backupId,
          kind: 'restore',
          ok: false,
          at: new Date().toISOString(),
          safetyBackupId: safety,
          target: slug,
          seconds: (Date.now() - started) / 1000,
          checked: 0,
          mismatches: [],
          detail: info.message,
        });
        throw new CoreError(
          'backup.restore-failed',
          `Restoring '${slug}' from ${backupId} failed: ${info.message}`,
          safety
            ? `The state before the restore is in backup ${safety}: truffles backup restore ${slug} --backup ${safety} --no-safety-backup`
            : info.hint,
          { cause: info, safetyBackupId: safety },
        );
      }
      throw err;
    } finally {
      await removeInside(t, posix.dirname(stageDir), stageDir).catch(() => undefined);
      await lock.release();
    }
  }

  // ---------- leftovers of interrupted restores and drills ----------

  /**
   * Removes decrypted staging folders and drill stacks whose operation no longer holds its lock
   * (the agent's `sweep`; see the agent). Called right after an operation takes its lock and before
   * it stages anything: `held` is that lock, so what is there under it is stale too. A sweep that
   * fails is logged and does not stop the operation (the agent's next run sweeps again).
   */
  async sweep(t: HostTransport, host: HostRecord, held: string): Promise<void> {
    const r = await t
      .exec([posix.join(this.agentDir(host), AGENT_FILE), 'sweep', '--held', held], {
        timeoutMs: 10 * 60_000,
      })
      .catch((e: unknown) => ({ code: 1, stdout: '', stderr: (e as Error).message }));
    for (const l of r.stderr.split('\n')) if (l.startsWith('[sweep] ')) this.log(held, 'info', l.slice(8));
    if (r.code !== 0)
      this.log(held, 'warn', `Sweeping leftovers on ${host.name} failed: ${r.stderr.trim().slice(-300)}`);
  }

  /** A drill's name must be free: no tenant folder, no drill folder, no compose project of that name. */
  private async refuseTaken(t: HostTransport, host: HostRecord, name: string): Promise<void> {
    const r = await t.exec(
      [
        'sh',
        '-c',
        [
          '[ ! -e "$2" ] || echo "folder $2"',
          '[ ! -e "$3" ] || echo "folder $3"',
          'docker ps -aq --filter "label=com.docker.compose.project=$1" | sed "s/^/container /"',
          'docker volume ls -q --filter "label=com.docker.compose.project=$1" | sed "s/^/volume /"',
          'docker network ls -q --filter "label=com.docker.compose.project=$1" | sed "s/^/network /"',
        ].join('\n'),
        'sh',
        name,
        tenantDir(host.stateDir, name),
        posix.join(drillsDir(host.stateDir), name),
      ],
      { timeoutMs: 60_000 },
    );
    const taken = r.stdout.split('\n').filter(Boolean);
    if (r.code !== 0 || taken.length)
      throw new CoreError(
        'backup.drill-name-taken',
        `The drill's name ${name} is already used on ${host.name}: ${taken.join(', ') || r.stderr.trim()}.`,
        'Nothing was touched. Run the drill again (it picks another name).',
      );
  }

  /** The drill's stack from the staged backup's compose file (see drillCompose), fresh secrets in its .env. */
  private async makeDrillStack(
    t: HostTransport,
    host: HostRecord,
    dir: string,
    name: string,
    stageDir: string,
  ): Promise<void> {
    const backupCompose = await readHostFile(t, posix.join(stageDir, 'files', 'compose.yaml'));
    if (backupCompose === null)
      throw new CoreError(
        'backup.drill-files',
        'The backup holds no compose file.',
        'Drill another backup; this one cannot be restored as made.',
      );
    const backupEnv = parseEnvFile((await readHostFile(t, posix.join(stageDir, 'files', 'env'))) ?? '');
    const catalogText = await readHostFile(t, posix.join(host.stateDir, 'catalog.json'));
    const images = resolveImages(
      host,
      parseHostCatalog(catalogText, `${host.name}:${host.stateDir}/catalog.json`),
    ).images;
    const secret = (): string => randomBytes(24).toString('hex');
    const env = {
      CLIENT_SLUG: name,
      TENANT_DOMAIN: '',
      TIMEZONE: backupEnv.TIMEZONE ?? 'UTC',
      POSTGRES_DB: backupEnv.POSTGRES_DB ?? 'truffles',
      POSTGRES_USER: backupEnv.POSTGRES_USER ?? 'truffles',
      POSTGRES_PASSWORD: secret(),
      QDRANT_API_KEY: secret(),
      REDIS_PASSWORD: secret(),
    };
    await mkdirHost(t, drillsDir(host.stateDir), '0750');
    await mkdirHost(t, dir, '0700');
    await writeHostFile(t, posix.join(dir, '.env'), renderEnv(env), 0o600);
    await writeHostFile(t, posix.join(dir, 'compose.yaml'), drillCompose(backupCompose, name, images), 0o640);
  }

  /** The drill's stack down with its volumes, then its folder. */
  private async drillDown(t: HostTransport, host: HostRecord, dir: string, name: string): Promise<void> {
    if (!DRILL_NAME.test(name)) return;
    await t.exec(compose(dir, name, 'down', '--volumes', '--remove-orphans', '--timeout', '10'), {
      timeoutMs: 5 * 60_000,
    });
    await removeInside(t, drillsDir(host.stateDir), dir);
  }

  // ---------- drills ----------

  /**
   * The weekly drills that are due now: on hosts with a drill weekday equal to today's (this
   * machine's calendar), each running tenant with a backup whose last drill is older than six
   * days. Run one after another; the open console calls this hourly, `truffles backup drill-due`
   * does it from an operator's cron.
   */
  async runDueDrills(now = new Date()): Promise<RestoreReport[]> {
    const reports: RestoreReport[] = [];
    const weekAgo = now.getTime() - 6 * 24 * 3600_000;
    for (const h of await this.hosts.list()) {
      let due: string[];
      try {
        const host = await this.hosts.get(h.name);
        const t = await this.hosts.transport(h.name);
        const config = await this.readConfig(t, host);
        if (config?.drillWeekday !== now.getDay()) continue;
        const overview = await this.overview(h.name);
        due = overview.tenants
          .filter(
            (x) =>
              x.host === h.name &&
              x.state === 'running' &&
              x.last !== null &&
              !(x.lastDrill && Date.parse(x.lastDrill.at) > weekAgo),
          )
          .map((x) => x.slug);
      } catch {
        continue; // an unreachable host is drilled when it is back
      }
      for (const slug of due) {
        if (this.drilling.has(`${h.name}/${slug}`)) continue;
        this.drilling.add(`${h.name}/${slug}`);
        try {
          reports.push(await this.drill({ slug, host: h.name }));
        } finally {
          this.drilling.delete(`${h.name}/${slug}`);
        }
      }
    }
    return reports;
  }

  private readonly drilling = new Set<string>();

  /** How long staging may go without progress before it fails (`backup.stalled`); a test seam. */
  stallMs = 10 * 60_000;

  /**
   * Restore a backup into a throw-away tenant (same host, or `into`), compare counts with the
   * manifest, remove the throw-away tenant, and record the result beside the backup.
   */
  async drill(input: {
    slug: string;
    host?: string | undefined;
    backupId?: string | undefined;
    into?: string | undefined;
  }): Promise<RestoreReport> {
    const started = Date.now();
    const src = await this.where(input.slug, input.host);
    const listed = await this.list(input.slug, src.host.name);
    const backupId = input.backupId ?? listed.backups[0]?.id;
    if (!backupId)
      throw new CoreError(
        'backup.none',
        `'${input.slug}' has no backup to drill.`,
        `Make one: truffles backup create ${input.slug}`,
      );
    const into = input.into ?? src.host.name;
    const dstHost = await this.hosts.get(into);
    const dt = await this.hosts.transport(into);
    await this.ensureAgent(dt, dstHost);
    // The drill's own lock, named after its stack: while it is held the stack and its staging are
    // the drill's; once it is gone (console killed, connection cut) the next sweep removes them.
    const target = drillName();
    const lock = await acquireTenantLock(dt, dstHost.stateDir, target, 'drill');
    const stageDir = posix.join(await this.backupDirOf(dt, dstHost), '.drills', target);
    const dir = posix.join(drillsDir(dstHost.stateDir), target);
    let made = false;
    let report: RestoreReport;
    try {
      await this.sweep(dt, dstHost, target);
      await this.refuseTaken(dt, dstHost, target);
      this.log(input.slug, 'info', `Drill: checking backup ${backupId}…`);
      await mkdirHost(dt, posix.dirname(stageDir), '0700');
      const manifest = await this.stage(
        { t: src.t, host: src.host, slug: input.slug, backupId },
        { t: dt, host: dstHost, dir: stageDir },
        input.slug,
      );
      this.log(input.slug, 'info', `Drill: starting the throw-away stack ${target} on ${into} (unrouted)`);
      made = true;
      await this.makeDrillStack(dt, dstHost, dir, target, stageDir);
      const compared = await this.restoreData(dt, dir, target, stageDir, manifest);
      report = {
        tenant: input.slug,
        host: src.host.name,
        backupId,
        kind: 'drill',
        ok: compared.mismatches.length === 0,
        at: new Date().toISOString(),
        safetyBackupId: null,
        target: `${target}@${into}`,
        seconds: 0,
        checked: compared.checked,
        mismatches: compared.mismatches,
        detail:
          compared.mismatches.length === 0
            ? `Restored into ${target} on ${into}; ${compared.checked} counts match.`
            : `Restored into ${target} on ${into}; ${compared.mismatches.length} of ${compared.checked} counts differ.`,
      };
    } catch (err) {
      const info = toErrorInfo(err);
      report = {
        tenant: input.slug,
        host: src.host.name,
        backupId,
        kind: 'drill',
        ok: false,
        at: new Date().toISOString(),
        safetyBackupId: null,
        target: `${target}@${into}`,
        seconds: 0,
        checked: 0,
        mismatches: [],
        detail: `${info.code}: ${info.message}`,
      };
    } finally {
      if (made) await this.drillDown(dt, dstHost, dir, target).catch(() => undefined);
      await removeInside(dt, posix.dirname(stageDir), stageDir).catch(() => undefined);
      await lock.release();
      // A drill's name is never used again: its lock and work-lock files go too.
      await dt
        .exec(
          [
            'rm',
            '-f',
            '--',
            ...['lock', 'work'].map((ext) => posix.join(locksDir(dstHost.stateDir), `${target}.${ext}`)),
          ],
          { timeoutMs: 15_000 },
        )
        .catch(() => undefined);
    }
    report.seconds = (Date.now() - started) / 1000;
    await this.recordReport(src.t, src.host, input.slug, report);
    await appendAudit(src.t, src.host, {
      action: 'backup.drill',
      subject: `tenant:${input.slug}`,
      details: { backupId, into, ok: report.ok },
    }).catch(() => undefined);
    this.emit({ type: 'backups.changed', host: src.host.name, slug: input.slug });
    return report;
  }
}
