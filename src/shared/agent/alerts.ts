/**
 * Alerts (issue 14): the types the host agent's rule engine keeps and the console will read and
 * change. Plain types and constants, no dependency (the agent's bundle stays small), like
 * protocol.ts. Times are milliseconds since the epoch (numbers), so the state is plain JSON.
 *
 * An alert is one rule about one subject: its key is `<rule id>@<subject key>`, e.g.
 * `disk@mount=/var/lib/docker` or `service-down@tenant=acme,service=postgres`. Each time a
 * condition starts being watched it gets an episode `id` (a number, unique on its host), the id
 * people acknowledge.
 */

export type AlertSeverity = 'warning' | 'critical';

export type AlertKind =
  | 'service-down'
  | 'container-exited'
  | 'restart-loop'
  | 'disk'
  | 'memory'
  | 'load'
  | 'backup-stale'
  | 'backup-failed'
  | 'drill'
  | 'offsite-failed'
  | 'cert-expiry'
  | 'firewall'
  | 'fail2ban'
  | 'ssh-password'
  | 'budget';

export const ALERT_KINDS: readonly AlertKind[] = [
  'service-down',
  'container-exited',
  'restart-loop',
  'disk',
  'memory',
  'load',
  'backup-stale',
  'backup-failed',
  'drill',
  'offsite-failed',
  'cert-expiry',
  'firewall',
  'fail2ban',
  'ssh-password',
  'budget',
];

/** A glob over rule ids or subject keys: `*` is any run of characters (none included), everything else itself. */
export function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return re.test(text);
}

/** `tenant=acme,service=postgres`, `mount=/`, `cert=bot.example.com`; `host` for the host itself. */
export function subjectKey(s: AlertSubject): string {
  const parts: string[] = [];
  if (s.tenant) parts.push(`tenant=${s.tenant}`);
  if (s.service) parts.push(`service=${s.service}`);
  if (s.mount) parts.push(`mount=${s.mount}`);
  if (s.cert) parts.push(`cert=${s.cert}`);
  return parts.length ? parts.join(',') : 'host';
}

/** What an alert is about, on its host (the host itself when every field is absent). */
export interface AlertSubject {
  tenant?: string;
  /** A compose service (postgres, n8n …) or, for a container of no tenant, its name. */
  service?: string;
  /** A filesystem's mount point. */
  mount?: string;
  /** A certificate's name (its main domain). */
  cert?: string;
}

/** Kind-specific knobs; each kind reads the ones it names (kinds.ts). */
export interface RuleParams {
  /** restart-loop: the window restarts are counted in. */
  windowMs?: number;
  /** container-exited: how long a container must run again before the alert clears. */
  stableMs?: number;
  /** drill: a tenant younger than this that was never drilled is not alerted. */
  graceMs?: number;
  /** drill: the newest successful drill must be younger than this. */
  maxAgeMs?: number;
  /** firewall: the TCP ports the world may reach. */
  allowedPorts?: number[];
}

/** A rule's settings; overrides change any of them per host or tenant. */
export interface RuleSettings {
  enabled: boolean;
  /** The severity it fires with (numeric rules escalate to critical past `critical`). */
  severity: AlertSeverity;
  /** How long the condition must hold before the alert fires. */
  forMs: number;
  /** How long the clear condition must hold before it resolves (0: at once). */
  clearForMs: number;
  /** After a resolve, the same alert does not fire again for this long. */
  cooldownMs: number;
  /** A firing, notified, unacknowledged alert is sent again after this long; null: never. */
  repeatMs: number | null;
  /** Numeric rules: fire when the value reaches `fire`, clear once it is back past `clear`. */
  fire?: number;
  clear?: number;
  /** Numeric rules: escalate to critical when the value reaches this. */
  critical?: number;
  params?: RuleParams;
}

export interface AlertRule extends RuleSettings {
  /** Unique on a host; the default rules' ids are their kinds. */
  id: string;
  kind: AlertKind;
}

/** Changes to a rule for one host and/or one tenant (both given: that tenant on that host). */
export interface RuleOverride {
  rule: string;
  host?: string;
  tenant?: string;
  set: Partial<Omit<RuleSettings, 'params'>> & { params?: RuleParams };
}

/** Non-critical alerts are held in these hours (local time of `timeZone`, an IANA name). */
export interface QuietHours {
  /** "HH:MM"; `from` after `to` spans midnight. */
  from: string;
  to: string;
  timeZone: string;
}

export type AlertLanguage = 'en' | 'ru';

export interface TelegramDestination {
  /** A chat id (`-100…` for a supergroup) or `@channelname`. */
  chatId: string;
  /** A forum topic. */
  threadId?: number;
  language?: AlertLanguage;
}

/** The alert settings an agent runs with (the bot token is a secret and is not in here). */
export interface AlertsConfig {
  /** The host's name, as the console knows it (messages and overrides use it). */
  host: string;
  /** Rules besides the defaults, or replacing a default with the same id. */
  rules?: AlertRule[];
  overrides?: RuleOverride[];
  quietHours?: QuietHours | null;
  language?: AlertLanguage;
  /** The time zone messages show times in (IANA name; default UTC). */
  timeZone?: string;
  telegram?: TelegramDestination[];
  /**
   * The Bot API's base URL: default https://api.telegram.org; a site that reaches the internet only
   * through a relay (air-gapped installs) names its relay here.
   */
  telegramApi?: string;
  /** More messages than this from the host within a minute go as one digest (default 5). */
  digestAfter?: number;
}

export interface AlertAck {
  by: string;
  at: number;
  note?: string;
}

/** A silence: matching alerts are not sent (they still fire and show) until `until`. */
export interface Silence {
  id: string;
  /** A glob over rule ids (`*` any run of characters). */
  rule: string;
  /** A glob over subject keys, e.g. `tenant=acme*` or `*`. */
  subject: string;
  until: number;
  by: string;
  at: number;
  reason?: string;
}

/** A maintenance window: like a silence, from `start` to `end` (scheduled ahead). */
export interface MaintenanceWindow {
  id: string;
  start: number;
  end: number;
  /** Globs as in Silence; default `*`. */
  rule?: string;
  subject?: string;
  by: string;
  reason?: string;
}

/** An alert being watched (pending) or firing. */
export interface AlertRecord {
  id: number;
  key: string;
  ruleId: string;
  kind: AlertKind;
  subject: AlertSubject;
  subjectKey: string;
  phase: 'pending' | 'firing';
  severity: AlertSeverity;
  pendingSince: number;
  firingSince: number | null;
  /** Firing, and the clear condition has held since then. */
  clearingSince: number | null;
  /** The last value seen (numeric rules), and the worst while firing. */
  value: number | null;
  peak: number | null;
  /** Facts for the message (exit code, ports, error text …), by kind. */
  facts: Record<string, string | number | boolean | null>;
  /** A fix code (templates.ts turns it into text), when there is one. */
  fix: string | null;
  /** The severity people were told of; null: nothing sent yet (held or suppressed). */
  notifiedSeverity: AlertSeverity | null;
  lastNotifiedAt: number | null;
  repeats: number;
  ack: AlertAck | null;
}

/** A finished episode (kept for the history screen; bounded). */
export interface AlertEpisode {
  id: number;
  key: string;
  ruleId: string;
  kind: AlertKind;
  subject: AlertSubject;
  severity: AlertSeverity;
  firedAt: number;
  resolvedAt: number;
  /** Why it ended: the condition cleared, the subject went away, or its rule was disabled. */
  reason: 'cleared' | 'gone' | 'disabled';
  peak: number | null;
  notified: boolean;
  ack: AlertAck | null;
}

/** The engine's whole state: plain JSON, saved by the agent after every change. */
export interface AlertState {
  version: 1;
  /** The last episode id given. */
  seq: number;
  records: Record<string, AlertRecord>;
  /** key → when it last resolved (for cooldowns). */
  resolvedAt: Record<string, number>;
  silences: Silence[];
  maintenance: MaintenanceWindow[];
  history: AlertEpisode[];
}

export const ALERT_STATE_VERSION = 1;
export const ALERT_HISTORY_LIMIT = 500;

/** What the engine asks to be sent. `id` is stable: the same notice made twice has the same id. */
export interface AlertNotice {
  id: string;
  type: 'fire' | 'escalate' | 'repeat' | 'resolve';
  at: number;
  host: string;
  /** Sent without sound (warnings, and every resolve). */
  silent: boolean;
  alert: AlertRecord;
  /** resolve: when and why. */
  resolvedAt?: number;
  reason?: AlertEpisode['reason'];
}

// ---------------------------------------------------------------------------------------------
// The agent's door for alerts (methods beside ping/snapshot/history; the console's alerts slice
// calls them). Every change names who made it (`by`); the agent keeps it in the alert's state.

/** A message the delivery queue gave up on (Telegram refused it: 400/403), for the screen. */
export interface DeliveryFailure {
  ids: string[];
  chatId: string;
  threadId?: number;
  at: number;
  error: string;
}

/** Everything about a host's alerts, in one answer. */
export interface AlertsView {
  /** The config the agent runs with; null: never configured (the default rules run, nothing is sent). */
  config: AlertsConfig | null;
  /** Whether a Telegram bot token is set (the token itself never leaves the host). */
  telegramToken: boolean;
  /** The rules in force: the defaults with the config's rules. */
  rules: AlertRule[];
  /** Pending and firing alerts. */
  active: AlertRecord[];
  silences: Silence[];
  maintenance: MaintenanceWindow[];
  /** Finished episodes, newest first (at most `limit` asked, default 100). */
  history: AlertEpisode[];
  delivery: {
    /** Messages waiting to be sent. */
    pending: number;
    failures: DeliveryFailure[];
    /** Why nothing can be sent now (no token, Telegram refuses the token, no destination), or null. */
    blocked: string | null;
    lastSentAt: number | null;
  };
  /** When the rules were last evaluated. */
  evaluatedAt: number | null;
  /** What the agent could not read for the rules (a corrupt state file, backup records …). */
  problems: string[];
}

export interface AlertsMethods {
  alerts: { params: { limit?: number }; result: AlertsView };
  /** `ref`: an alert's episode id or its key. */
  'alerts.ack': { params: { ref: number | string; by: string; note?: string }; result: AlertRecord };
  'alerts.silence': {
    params: { rule: string; subject: string; until: number; by: string; reason?: string };
    result: Silence;
  };
  'alerts.maintenance': {
    params: { start: number; end: number; rule?: string; subject?: string; by: string; reason?: string };
    result: MaintenanceWindow;
  };
  /** End a silence or a maintenance window early. */
  'alerts.unhold': { params: { id: string; by: string }; result: { removed: boolean } };
  /** Replace the config; `token`: a new bot token, null to remove it, absent to keep it. */
  'alerts.configure': { params: { config: AlertsConfig; token?: string | null }; result: AlertsView };
  /** One test message through every configured destination. */
  'alerts.test': { params: { by: string }; result: { queued: number } };
}
