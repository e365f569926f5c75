/**
 * Alerts (issue 14), the console's side: each host's agent evaluates the rules and sends the
 * Telegram messages with no console open; the console reads them and changes them through the
 * agent's door — acknowledge, silence, maintenance windows, settings, a test message — naming
 * who did it (this console's audit actor). Every answer is checked against the contract's schemas
 * before it is used. The bot token is kept here encrypted (the secret provider, per host) and given
 * only to that host's agent; it never appears in an answer, an event, the audit or an error.
 */
import type { AlertRecord, AlertsView, MaintenanceWindow, Silence } from '../../../shared/agent/alerts';
import type { CommandName, Commands, FleetAlerts } from '../../../shared/contract';
import {
  AlertRecordSchema,
  AlertsViewSchema,
  MaintenanceSchema,
  SilenceSchema,
} from '../../../shared/contract';
import { z } from 'zod';
import { CoreError, toErrorInfo } from '../errors';
import type { AgentRequester, DoorMethods } from '../health/client';
import { outdatedAgent } from '../health/outdated';
import { checked } from '../health/service';
import { auditActor } from '../audit/trail';
import type { SecretProvider } from '../secrets/provider';
import type { Store } from '../store/store';
import { mergeConfig, redactError, tokenSecretId, type ConfigChanges } from './config';

export interface AlertsDeps {
  /** The host's agent connection (HealthService.client: one per host, opened on first use). */
  client(host: string): Promise<AgentRequester>;
  /** The inventory's host names. */
  hostNames(): Promise<string[]>;
  store: Store;
  secrets: SecretProvider;
  /** Who is acting, as the agent records it (default: this console's audit actor, user@machine). */
  actor?: () => string;
  now?: () => number;
}

/** A command's input as its handler gets it (validated, defaults applied). */
export type AlertsInput<N extends CommandName> = z.output<Commands[N]['input']>;

const QueuedSchema = z.object({ queued: z.number().int().nonnegative() });
const RemovedSchema = z.object({ removed: z.boolean() });

export class AlertsService {
  private readonly actor: () => string;
  private readonly now: () => number;

  constructor(private readonly deps: AlertsDeps) {
    this.actor = deps.actor ?? auditActor;
    this.now = deps.now ?? Date.now;
  }

  /** One host's alerts: config, rules, active, holds, history (newest first), delivery. */
  async view(host: string, limit?: number): Promise<AlertsView> {
    const raw = await this.call(host, 'alerts', limit === undefined ? {} : { limit });
    return checked(AlertsViewSchema, raw, host, 'alerts');
  }

  /** Every host's alerts (one request per host, all at once), or one host's; a host that fails is a row with its error. */
  async list(host?: string, limit?: number): Promise<FleetAlerts> {
    const names = host !== undefined ? [host] : await this.deps.hostNames();
    const hosts = await Promise.all(
      names.map(async (name) => {
        try {
          return { host: name, view: await this.view(name, limit), error: null };
        } catch (err) {
          return { host: name, view: null, error: toErrorInfo(err) };
        }
      }),
    );
    return { takenAt: new Date(this.now()).toISOString(), hosts };
  }

  /** Acknowledge an alert (its episode id or key): no more repeats of it; recorded with who. */
  async ack(host: string, ref: number | string, note?: string): Promise<AlertRecord> {
    const raw = await this.call(host, 'alerts.ack', { ref, by: this.actor(), ...opt('note', note) });
    return checked(AlertRecordSchema, raw, host, 'alerts.ack');
  }

  /** Silence the alerts matching the globs for `minutes` from now (they still fire and show). */
  async silence(i: AlertsInput<'alerts.silence'>): Promise<Silence> {
    const raw = await this.call(i.host, 'alerts.silence', {
      rule: i.rule,
      subject: i.subject,
      until: this.now() + i.minutes * 60_000,
      by: this.actor(),
      ...opt('reason', i.reason),
    });
    return checked(SilenceSchema, raw, i.host, 'alerts.silence');
  }

  /** A maintenance window from `start` to `end` (ISO 8601 with an offset), scheduled ahead or now. */
  async maintenance(i: AlertsInput<'alerts.maintenance'>): Promise<MaintenanceWindow> {
    const start = Date.parse(i.start);
    const end = Date.parse(i.end);
    if (end <= this.now())
      throw new CoreError(
        'alerts.window-past',
        `That maintenance window ended already (${i.end}).`,
        'Give an end in the future (--to), e.g. two hours from now.',
      );
    const raw = await this.call(i.host, 'alerts.maintenance', {
      start,
      end,
      by: this.actor(),
      ...opt('rule', i.rule),
      ...opt('subject', i.subject),
      ...opt('reason', i.reason),
    });
    return checked(MaintenanceSchema, raw, i.host, 'alerts.maintenance');
  }

  /** End a silence or a maintenance window early. */
  async unhold(host: string, id: string): Promise<{ removed: boolean }> {
    const raw = await this.call(host, 'alerts.unhold', { id, by: this.actor() });
    return checked(RemovedSchema, raw, host, 'alerts.unhold');
  }

  /** One test message through the host's configured destinations; how many were queued. */
  async test(host: string): Promise<{ queued: number }> {
    const raw = await this.call(host, 'alerts.test', { by: this.actor() });
    return checked(QueuedSchema, raw, host, 'alerts.test');
  }

  /**
   * Change a host's alert settings: the fields given are merged into the config its agent runs
   * with (read first), `host` set to the console's name for it. The token: a new one is sealed
   * before anything changes and stored (per host) once the agent took it; null removes it here and
   * there; absent keeps it — and an agent that was never configured and has no token (installed
   * afresh) is given the one the console keeps. (One whose token was removed on purpose still has
   * its config, so a token is never given back behind someone's back.)
   */
  async configure(i: AlertsInput<'alerts.configure'>): Promise<AlertsView> {
    const { host, token, ...changes } = i;
    try {
      return await this.configureWith(host, token, changes);
    } catch (err) {
      throw redactError(err, token);
    }
  }

  private async configureWith(
    host: string,
    token: string | null | undefined,
    changes: ConfigChanges,
  ): Promise<AlertsView> {
    // Seal a new token first: a passphrase refused must change nothing anywhere.
    const sealed = typeof token === 'string' ? await this.deps.secrets.encrypt(token) : null;
    const current = await this.view(host, 1);
    const config = mergeConfig(current.config, host, changes);
    let push: string | null | undefined = token;
    if (token === undefined && current.config === null && !current.telegramToken)
      push = (await this.keptToken(host)) ?? undefined;
    const raw = await this.call(host, 'alerts.configure', {
      config,
      ...(push !== undefined ? { token: push } : {}),
    });
    const view = checked(AlertsViewSchema, raw, host, 'alerts.configure');
    if (token !== undefined)
      await this.deps.store.update((data) => {
        if (!data.hosts.some((h) => h.name === host)) return;
        if (sealed) data.secrets[tokenSecretId(host)] = sealed;
        else delete data.secrets[tokenSecretId(host)];
      });
    return view;
  }

  /** The token the console keeps for a host, or null (none, or one this console cannot open now). */
  private async keptToken(host: string): Promise<string | null> {
    const sealed = (await this.deps.store.read()).secrets[tokenSecretId(host)];
    if (!sealed || sealed.provider !== this.deps.secrets.id) return null;
    return this.deps.secrets.decrypt(sealed).catch(() => null);
  }

  /** One request to a host's agent; an agent without the alert methods is told apart. */
  private async call<M extends keyof DoorMethods>(
    host: string,
    method: M,
    params: DoorMethods[M]['params'],
  ): Promise<unknown> {
    const client = await this.deps.client(host);
    try {
      return await client.request(method, params);
    } catch (err) {
      throw outdatedAgent(err, 'alerts', host, 'alerts', method) ?? err;
    }
  }
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
