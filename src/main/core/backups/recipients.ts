import { posix } from 'node:path';
import type { CommandOutput } from '../../../shared/contract';
import { CoreError } from '../errors';
import { appendAudit, auditActor } from '../audit/trail';
import type { HostTransport } from '../hosts/transport';
import type { HostRecord } from '../store/schema';
import { readHostFile } from '../tenants/hostfs';
import { installAgent, readConfig } from './agent';
import { authorizedKeyLine } from './commands';
import {
  defaultConfig,
  MAX_RECIPIENTS,
  type AgentConfig,
  type KeyStatus,
  type RecipientEntry,
} from './config';
import type { BackupDeps } from './context';
import { statusOf } from './queries';

/** Who can read a host's backups (issue 11, item 8), and the reserve's authorized_keys line. */

/** Where the receiver is on a reserve server unless the operator says otherwise. */
export const OFFSITE_RECEIVER = '/usr/local/bin/truffles-offsite-receive';

/** Write new recipients into the host's settings (the agent installed when absent) and audit it. */
async function writeRecipients(
  d: BackupDeps,
  t: HostTransport,
  host: HostRecord,
  current: AgentConfig | null,
  recipients: RecipientEntry[],
  audit: { action: string; details: Record<string, unknown> },
): Promise<KeyStatus> {
  const first = recipients[0];
  if (!first) throw new Error('no recipients');
  const config: AgentConfig = {
    ...(current ?? defaultConfig(host, first.recipient)),
    recipient: first.recipient,
    recipients,
  };
  await installAgent(d, t, host, config);
  await appendAudit(t, host, {
    action: audit.action,
    subject: `host:${host.name}`,
    details: audit.details,
  });
  return statusOf(d, host, config);
}

/**
 * Add a public key the host's agent encrypts to: this console's own (the default: an operator
 * joining the fleet with a key of their own) or another one (an offline recovery key).
 */
export async function addRecipient(
  d: BackupDeps,
  input: { host: string; recipient?: string | undefined; label?: string | undefined },
): Promise<KeyStatus> {
  const host = await d.hosts.get(input.host);
  const t = await d.hosts.transport(input.host);
  const key = input.recipient ?? (await d.keys.recipient());
  const current = await readConfig(t, host);
  const list = current?.recipients ?? [];
  if (list.some((r) => r.recipient === key)) return statusOf(d, host, current);
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
  return writeRecipients(d, t, host, current, [...list, entry], {
    action: 'backup.recipient-add',
    details: { recipient: key, label: entry.label, recipients: list.length + 1 },
  });
}

export async function removeRecipient(
  d: BackupDeps,
  input: { host: string; recipient: string },
): Promise<KeyStatus> {
  const host = await d.hosts.get(input.host);
  const t = await d.hosts.transport(input.host);
  const current = await readConfig(t, host);
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
  return writeRecipients(d, t, host, current, rest, {
    action: 'backup.recipient-remove',
    details: { recipient: input.recipient, recipients: rest.length },
  });
}

/**
 * Replace every key the host encrypts to with this console's: what an operator does on purpose
 * when the old keys are lost. Archives made before stay readable only with the old keys.
 */
export async function rekey(d: BackupDeps, input: { host: string; confirm: string }): Promise<KeyStatus> {
  if (input.confirm !== input.host)
    throw new CoreError(
      'backup.confirm',
      `To re-key the backups of '${input.host}', confirm with the host's name (got '${input.confirm}').`,
      `Add --confirm ${input.host}`,
    );
  const host = await d.hosts.get(input.host);
  const t = await d.hosts.transport(input.host);
  const ours = await d.keys.recipient();
  const current = await readConfig(t, host);
  return writeRecipients(
    d,
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

/**
 * The line the operator puts into the reserve user's ~/.ssh/authorized_keys for this host's
 * offsite key: `restrict` (no shell, no forwarding, no pty) and a forced command, the
 * append-only receiver, confined to this host's own folder.
 */
export async function offsiteKeyLine(
  d: BackupDeps,
  input: { host: string; receiver?: string | undefined },
): Promise<CommandOutput<'backups.offsiteKeyLine'>> {
  const host = await d.hosts.get(input.host);
  const t = await d.hosts.transport(input.host);
  const config = await readConfig(t, host);
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
  const line = authorizedKeyLine(receiver, folder, o.keep, type ?? '', blob ?? '', host.name);
  return { host: host.name, line, folder, receiver };
}
