/**
 * The alert methods of the agent's door (AlertsMethods in src/shared/agent/alerts.ts): each
 * request's params checked by hand (the agent has no schema library), then handed to the Alerter.
 * A refusal is a RequestError with a message that says what was wrong.
 */
import type { AlertsConfig } from '../shared/agent/alerts';
import type { Alerter } from './alerts/alerter';
import { RequestRefused } from './alerts/alerter';
import { RequestError } from './server';

type Params = Record<string, unknown>;
type Method = (p: Params) => unknown;

function str(p: Params, key: string, max = 4096): string {
  const v = p[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    throw new RequestError('bad-request', `${key} must be a text of 1 to ${max} characters.`);
  return v;
}

function optStr(p: Params, key: string, max = 1000): string | undefined {
  return p[key] === undefined ? undefined : str(p, key, max);
}

function time(p: Params, key: string): number {
  const v = p[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new RequestError('bad-request', `${key} must be a time in milliseconds since the epoch.`);
  return v;
}

/** Alerter refusals become door refusals; anything else stays an internal error. */
async function refused<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof RequestRefused) throw new RequestError(err.code, err.message);
    throw err;
  }
}

function config(p: Params): AlertsConfig {
  const c = p['config'];
  if (!c || typeof c !== 'object' || Array.isArray(c))
    throw new RequestError('bad-request', 'config must be an object (AlertsConfig).');
  const o = c as Record<string, unknown>;
  if (typeof o['host'] !== 'string' || !o['host'])
    throw new RequestError('bad-request', 'config.host must name the host.');
  for (const k of ['rules', 'overrides', 'telegram'])
    if (o[k] !== undefined && !Array.isArray(o[k]))
      throw new RequestError('bad-request', `config.${k} must be a list.`);
  if (o['telegramApi'] !== undefined && !/^https?:\/\/[^\s]+$/.test(String(o['telegramApi'])))
    throw new RequestError('bad-request', 'config.telegramApi must be an http(s) URL.');
  return o as unknown as AlertsConfig;
}

export function alertsMethods(alerter: Alerter): Record<string, Method> {
  return {
    alerts: (p) => {
      const limit = p['limit'];
      return alerter.view(typeof limit === 'number' && limit > 0 ? Math.min(limit, 1000) : 100);
    },
    'alerts.ack': (p) => {
      const ref = p['ref'];
      if (!(typeof ref === 'number' && Number.isInteger(ref)) && !(typeof ref === 'string' && ref))
        throw new RequestError('bad-request', "ref must be an alert's id (a number) or its key.");
      return refused(() => alerter.ack(ref, str(p, 'by', 256), optStr(p, 'note')));
    },
    'alerts.silence': (p) =>
      refused(() =>
        alerter.silence({
          rule: str(p, 'rule', 512),
          subject: str(p, 'subject', 512),
          until: time(p, 'until'),
          by: str(p, 'by', 256),
          ...(optStr(p, 'reason') ? { reason: optStr(p, 'reason')! } : {}),
        }),
      ),
    'alerts.maintenance': (p) =>
      refused(() =>
        alerter.maintenance({
          start: time(p, 'start'),
          end: time(p, 'end'),
          ...(optStr(p, 'rule', 512) ? { rule: optStr(p, 'rule', 512)! } : {}),
          ...(optStr(p, 'subject', 512) ? { subject: optStr(p, 'subject', 512)! } : {}),
          by: str(p, 'by', 256),
          ...(optStr(p, 'reason') ? { reason: optStr(p, 'reason')! } : {}),
        }),
      ),
    'alerts.unhold': (p) => refused(() => alerter.unhold(str(p, 'id', 64))),
    'alerts.configure': (p) => {
      const token = p['token'];
      if (
        token !== undefined &&
        token !== null &&
        (typeof token !== 'string' || !/^\d{3,20}:[\w-]{20,100}$/.test(token))
      )
        throw new RequestError(
          'bad-request',
          'token must be a bot token (123456789:AA…), or null to remove it.',
        );
      return refused(() => alerter.configure(config(p), token as string | null | undefined));
    },
    'alerts.test': () => refused(() => alerter.test()),
  };
}
