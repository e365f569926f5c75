/**
 * What an alert says in words on the screen: a line per kind from the record's facts (the same
 * facts the agent's Telegram message is made from, src/agent/alerts/words.ts), and the fix for a
 * fix code — a sentence in the UI language and the exact commands to run, each shown as code.
 * Pure: the words come from i18n keys, the numbers and dates from the caller's formatters.
 */
import type { AlertRecord } from '../../../../shared/agent/alerts';
import type { alerts as en } from '../../i18n/en/alerts';

export type WhatKey = keyof (typeof en)['alerts']['what'];
/** A fix code the screen words (`unknown` is the words for any other). */
export type FixCode = Exclude<keyof (typeof en)['alerts']['fix'], 'unknown'>;

/** Every fix code the agent sets (src/agent/alerts/kinds.ts); a unit test keeps it in step. */
export const FIX_CODES: readonly FixCode[] = [
  'raise-memory',
  'disk',
  'backup-run',
  'backup-schedule',
  'drill-run',
  'drill-schedule',
  'offsite',
  'cert',
  'firewall-enable',
  'firewall-default',
  'firewall-ports',
  'fail2ban-install',
  'fail2ban-jail',
  'ssh-password',
  'budget',
];

export function isFixCode(code: string): code is FixCode {
  return (FIX_CODES as readonly string[]).includes(code);
}

/** How numbers and moments are written (the UI language's, from the caller). */
export interface Formatters {
  num(n: number): string;
  /** A day, from milliseconds since the epoch. */
  date(ms: number): string;
}

/** The names the sentences interpolate (an object of known fields, as i18next's typed `t` wants). */
type VarName =
  | 'service'
  | 'state'
  | 'output'
  | 'code'
  | 'count'
  | 'minutes'
  | 'mount'
  | 'pct'
  | 'load'
  | 'cores'
  | 'hours'
  | 'error'
  | 'date'
  | 'days'
  | 'ports'
  | 'spent'
  | 'budget'
  | 'host'
  | 'tenant';
export type WordValues = { [K in VarName]?: string };

export interface Words<K extends string> {
  key: K;
  values: WordValues;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const numOf = (v: unknown): number => (typeof v === 'number' ? v : Number(v) || 0);

/** One line about a live alert, from its kind and facts. */
export function describe(
  rec: Pick<AlertRecord, 'kind' | 'facts' | 'value' | 'subject'>,
  f: Formatters,
): Words<WhatKey> {
  const facts = rec.facts;
  const service = rec.subject.service ?? '?';
  const value = rec.value === null ? '—' : f.num(rec.value);
  switch (rec.kind) {
    case 'service-down':
      return facts['state'] === 'running'
        ? { key: 'serviceUnhealthy', values: { service, output: str(facts['output']) } }
        : { key: 'serviceDown', values: { service, state: str(facts['state']) || '?' } };
    case 'container-exited':
      return facts['oomKilled'] === true
        ? { key: 'oomKilled', values: { service } }
        : { key: 'exited', values: { service, code: str(facts['code']) || '?' } };
    case 'restart-loop':
      return {
        key: 'restartLoop',
        values: { service, count: value, minutes: f.num(numOf(facts['windowMin'])) },
      };
    case 'disk':
      return { key: 'disk', values: { mount: rec.subject.mount ?? '', pct: value } };
    case 'memory':
      return { key: 'memory', values: { pct: value } };
    case 'load':
      return {
        key: 'load',
        values: { load: f.num(numOf(facts['load1'])), cores: f.num(numOf(facts['cores'])) },
      };
    case 'backup-stale':
      return facts['never'] === true
        ? { key: 'backupNever', values: {} }
        : { key: 'backupStale', values: { hours: value } };
    case 'backup-failed':
      return facts['error']
        ? { key: 'backupFailedWhy', values: { error: str(facts['error']) } }
        : { key: 'backupFailed', values: {} };
    case 'drill': {
      if (facts['never'] === true) return { key: 'drillNever', values: {} };
      if (facts['failed'] === true)
        return facts['error']
          ? { key: 'drillFailedWhy', values: { error: str(facts['error']) } }
          : { key: 'drillFailed', values: {} };
      const at = facts['lastAt'];
      return { key: 'drillOld', values: { date: typeof at === 'number' ? f.date(at) : '?' } };
    }
    case 'offsite-failed':
      return facts['error']
        ? { key: 'offsiteFailedWhy', values: { error: str(facts['error']) } }
        : { key: 'offsiteFailed', values: {} };
    case 'cert-expiry': {
      const date = f.date(numOf(facts['notAfter']));
      return rec.value !== null && rec.value <= 0
        ? { key: 'certExpired', values: { date } }
        : { key: 'certExpires', values: { days: value, date } };
    }
    case 'firewall':
      return facts['active'] !== true
        ? { key: 'firewallOff', values: {} }
        : { key: 'firewallPorts', values: { ports: str(facts['extraPorts']).replace(/,/g, ', ') } };
    case 'fail2ban':
      return facts['running'] !== true
        ? { key: 'fail2banOff', values: {} }
        : { key: 'fail2banNoJail', values: {} };
    case 'ssh-password':
      return { key: 'sshPassword', values: {} };
    case 'budget': {
      const cur = facts['currency'] ? ` ${str(facts['currency'])}` : '';
      return {
        key: 'budget',
        values: {
          spent: `${f.num(numOf(facts['spent']))}${cur}`,
          budget: `${f.num(numOf(facts['budget']))}${cur}`,
        },
      };
    }
  }
}

export interface FixText extends Words<FixCode | 'unknown'> {
  /** The commands to run, in order (shown as code, copied as is). */
  commands: string[];
}

const DEFAULT_ALLOWED = [22, 80, 443];

/** The ports a firewall finding allows (its `allowed` fact, `22,80,443`), else SSH, HTTP and HTTPS. */
function allowedPorts(facts: AlertRecord['facts']): number[] {
  const ports = str(facts['allowed'])
    .split(',')
    .map((p) => Number(p.trim()))
    .filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
  return ports.length ? ports : DEFAULT_ALLOWED;
}

/** The fix of an alert: what to do, and what to run (on the host, or here with the `truffles` CLI). */
export function fixText(rec: Pick<AlertRecord, 'fix' | 'facts' | 'subject'>, host: string): FixText | null {
  const code = rec.fix;
  if (!code) return null;
  const tenant = rec.subject.tenant ?? 'TENANT';
  const values = { host, tenant };
  const plain = (c: FixCode, commands: string[] = []): FixText => ({ key: c, values, commands });
  if (!isFixCode(code)) return { key: 'unknown', values: { code }, commands: [] };
  switch (code) {
    case 'disk':
      return plain(code, ['docker system prune']);
    case 'backup-run':
      return plain(code, [`truffles backup list ${tenant}`, `truffles backup create ${tenant}`]);
    case 'backup-schedule':
      return plain(code, [`truffles backup schedule ${host} --at 03:00`]);
    case 'drill-run':
      return plain(code, [`truffles backup drill ${tenant}`]);
    case 'drill-schedule':
      return plain(code, [`truffles backup schedule ${host} --drill-weekday 0`]);
    case 'offsite':
      return plain(code, [`truffles backup offsite-key-line ${host}`]);
    case 'firewall-enable':
      return plain(code, [
        [
          'ufw default deny incoming',
          ...allowedPorts(rec.facts).map((p) => `ufw allow ${p}/tcp`),
          'ufw enable',
        ].join(' && '),
      ]);
    case 'firewall-default':
      return plain(code, ['ufw default deny incoming && ufw status numbered']);
    case 'firewall-ports': {
      const ports = str(rec.facts['extraPorts'])
        .split(',')
        .map((p) => p.trim())
        .filter((p) => /^\d+$/.test(p));
      return {
        key: code,
        values: { ...values, ports: ports.join(', ') },
        commands: ports.map((p) => `ufw delete allow ${p}/tcp`),
      };
    }
    case 'fail2ban-install':
      return plain(code, ['apt-get install -y fail2ban && systemctl enable --now fail2ban']);
    case 'fail2ban-jail':
      return plain(code, [
        'printf "[sshd]\\nenabled = true\\n" > /etc/fail2ban/jail.d/sshd.local && systemctl reload fail2ban',
      ]);
    case 'ssh-password':
      return plain(code, ['sshd -t && systemctl reload ssh']);
    case 'raise-memory':
    case 'cert':
    case 'budget':
      return plain(code);
  }
}
