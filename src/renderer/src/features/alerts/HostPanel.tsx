/**
 * One host's alerting: where its agent sends messages (Telegram chats, the token set or not,
 * what waits, what Telegram refused, why nothing can be sent), its silences and maintenance
 * windows with "End now", a test message, its settings, and the rules in force (read-only).
 */
import { useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { AlertRule, AlertsView } from '../../../../shared/agent/alerts';
import { BusyButton } from '../../kit/DetailParts';
import { Button } from '../../kit/Button';
import { Callout } from '../../kit/Callout';
import { Fact } from '../../kit/Fact';
import { WarningIcon } from '../../kit/Icons';
import type { HostAlerts } from './alerts';
import { useAlerts } from './alertsStore';
import { MaintenanceDialog } from './AlertDialogs';
import { Moment, useAlertFormat, useNow } from './AlertText';
import { SettingsDialog } from './SettingsDialog';

function Delivery({ host, view }: { host: string; view: AlertsView }): ReactElement {
  const { t } = useTranslation();
  const f = useAlertFormat();
  const c = view.config;
  const d = view.delivery;
  const chats = c?.telegram ?? [];
  return (
    <div
      className="alert-delivery"
      data-testid={`alerts-delivery-${host}`}
      data-blocked={d.blocked ? 'yes' : 'no'}
    >
      {d.blocked ? (
        <Callout tone="error" testId={`alerts-blocked-${host}`}>
          <WarningIcon />
          <p>{t('alerts.host.blocked', { reason: d.blocked })}</p>
        </Callout>
      ) : null}
      <dl className="facts">
        <Fact label={t('alerts.host.telegram')} testId={`alerts-chats-${host}`}>
          {chats.length === 0 ? (
            <span className="muted">{t('alerts.host.noChats')}</span>
          ) : (
            chats.map((ch, i) => (
              <span key={i} className="chip mono">
                {ch.chatId}
                {ch.threadId !== undefined ? ` · ${t('alerts.host.topic', { thread: ch.threadId })}` : ''}
                {ch.language ? ` · ${ch.language}` : ''}
              </span>
            ))
          )}
        </Fact>
        <Fact
          label={t('alerts.host.token')}
          testId={`alerts-token-${host}`}
          value={{ 'data-set': view.telegramToken ? 'yes' : 'no' }}
        >
          <span className={view.telegramToken ? 'text-ok' : 'text-warning'}>
            {view.telegramToken ? t('alerts.host.tokenSet') : t('alerts.host.tokenNotSet')}
          </span>
        </Fact>
        <Fact label={t('alerts.host.pending')} testId={`alerts-pending-${host}`}>
          {f.num(d.pending)}
        </Fact>
        <Fact label={t('alerts.host.lastSent')} testId={`alerts-last-sent-${host}`}>
          {d.lastSentAt !== null ? <Moment at={d.lastSentAt} /> : t('alerts.host.neverSent')}
        </Fact>
        <Fact label={t('alerts.host.language')}>{c?.language ?? '—'}</Fact>
        <Fact label={t('alerts.host.timeZone')}>{c?.timeZone ?? 'UTC'}</Fact>
        <Fact label={t('alerts.host.quiet')}>
          {c?.quietHours
            ? t('alerts.host.quietValue', {
                from: c.quietHours.from,
                to: c.quietHours.to,
                zone: c.quietHours.timeZone,
              })
            : t('alerts.host.quietNone')}
        </Fact>
        <Fact label={t('alerts.host.evaluated')}>
          {view.evaluatedAt !== null ? <Moment at={view.evaluatedAt} /> : t('alerts.host.notYet')}
        </Fact>
      </dl>
      {d.failures.length > 0 ? (
        <div className="alert-failures" data-testid={`alerts-failures-${host}`}>
          <h4>{t('alerts.host.failures')}</h4>
          <ul>
            {d.failures.slice(-5).map((x, i) => (
              <li key={i} className="text-error small">
                <Moment at={x.at} /> — {t('alerts.host.failure', { chat: x.chatId, error: x.error })}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

function Holds({ host, view }: { host: string; view: AlertsView }): ReactElement {
  const { t } = useTranslation();
  const f = useAlertFormat();
  const busy = useAlerts((s) => s.busy);
  const unhold = useAlerts((s) => s.unhold);
  const now = useNow();
  const silences = view.silences.filter((s) => s.until > now);
  const windows = view.maintenance.filter((w) => w.end > now);
  const endButton = (id: string): ReactElement => {
    const ending = Boolean(busy[`unhold:${host}:${id}`]);
    return (
      <BusyButton
        className="button button-small"
        busy={ending}
        disabled={ending}
        label={t('alerts.host.endNow')}
        busyLabel={t('alerts.host.ending')}
        data-testid={`alerts-unhold-${host}-${id}`}
        data-write=""
        onClick={() => void unhold(host, id)}
      />
    );
  };
  return (
    <div className="alert-holds">
      <h4>{t('alerts.host.silences')}</h4>
      {silences.length === 0 ? (
        <p className="muted small">{t('alerts.host.noSilences')}</p>
      ) : (
        <ul className="alert-hold-list">
          {silences.map((s) => (
            <li key={s.id} data-testid={`alerts-silence-item-${host}-${s.id}`}>
              <span>
                <span className="mono">
                  {t('alerts.host.holdLine', { rule: s.rule, subject: s.subject })}
                </span>
                <span className="muted small">
                  {' '}
                  · {t('alerts.silence.until', { until: f.when(s.until) })} ·{' '}
                  {t('alerts.host.holdBy', { by: s.by })}
                  {s.reason ? ` · ${t('alerts.quoted', { text: s.reason })}` : ''}
                </span>
              </span>
              {endButton(s.id)}
            </li>
          ))}
        </ul>
      )}
      <h4>{t('alerts.host.maintenance')}</h4>
      {windows.length === 0 ? (
        <p className="muted small">{t('alerts.host.noMaintenance')}</p>
      ) : (
        <ul className="alert-hold-list">
          {windows.map((w) => (
            <li
              key={w.id}
              data-testid={`alerts-window-${host}-${w.id}`}
              data-now={w.start <= now ? 'yes' : 'no'}
            >
              <span>
                <span>{t('alerts.host.window', { start: f.when(w.start), end: f.when(w.end) })}</span>
                <span className="muted small">
                  {' '}
                  ·{' '}
                  <span className="mono">
                    {t('alerts.host.holdLine', { rule: w.rule ?? '*', subject: w.subject ?? '*' })}
                  </span>{' '}
                  · {t('alerts.host.holdBy', { by: w.by })}
                  {w.reason ? ` · ${t('alerts.quoted', { text: w.reason })}` : ''}
                </span>
              </span>
              {endButton(w.id)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Rules({ host, rules }: { host: string; rules: readonly AlertRule[] }): ReactElement {
  const { t } = useTranslation();
  const f = useAlertFormat();
  const n = (v: number | undefined): string => (v === undefined ? '—' : f.num(v));
  const after = (ms: number): string => (ms === 0 ? t('alerts.rules.atOnce') : f.duration(ms));
  return (
    <details className="alert-rules" data-testid={`alerts-rules-${host}`}>
      <summary>{t('alerts.host.rules', { count: rules.length })}</summary>
      <div className="table-scroll">
        <table className="table alert-rules-table" aria-label={t('alerts.rules.label', { host })}>
          <thead>
            <tr>
              <th scope="col">{t('alerts.rules.col.rule')}</th>
              <th scope="col">{t('alerts.rules.col.on')}</th>
              <th scope="col">{t('alerts.rules.col.severity')}</th>
              <th scope="col">{t('alerts.rules.col.for')}</th>
              <th scope="col" className="num">
                {t('alerts.rules.col.fire')}
              </th>
              <th scope="col" className="num">
                {t('alerts.rules.col.clear')}
              </th>
              <th scope="col" className="num">
                {t('alerts.rules.col.critical')}
              </th>
              <th scope="col">{t('alerts.rules.col.cooldown')}</th>
              <th scope="col">{t('alerts.rules.col.repeat')}</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.id} data-testid={`alerts-rule-${host}-${r.id}`} data-enabled={r.enabled}>
                <th scope="row">
                  {t(`alerts.kind.${r.kind}`)}{' '}
                  {r.id !== r.kind ? <span className="mono muted">({r.id})</span> : null}
                </th>
                <td>{r.enabled ? t('alerts.rules.yes') : t('alerts.rules.no')}</td>
                <td>{t(`alerts.severity.${r.severity}`)}</td>
                <td>{after(r.forMs)}</td>
                <td className="num">{n(r.fire)}</td>
                <td className="num">{n(r.clear)}</td>
                <td className="num">{n(r.critical)}</td>
                <td>{r.cooldownMs === 0 ? '—' : f.duration(r.cooldownMs)}</td>
                <td>{r.repeatMs === null ? t('alerts.rules.never') : f.duration(r.repeatMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">{t('alerts.rules.note')}</p>
    </details>
  );
}

/** What the host's panel did last: a test message queued, its settings saved. */
function DoneLine({ host }: { host: string }): ReactElement | null {
  const { t } = useTranslation();
  const done = useAlerts((s) => s.done[host]);
  if (!done) return null;
  return (
    <p className="text-ok small" role="status" data-testid={`alerts-done-${host}`} data-what={done.what}>
      {done.what === 'test'
        ? t('alerts.host.testQueued', { count: done.count })
        : t('alerts.settings.saved', { host })}
    </p>
  );
}

export function HostPanel({ host, entry }: { host: string; entry: HostAlerts | undefined }): ReactElement {
  const { t } = useTranslation();
  const testing = useAlerts((s) => Boolean(s.busy[`test:${host}`]));
  const test = useAlerts((s) => s.test);
  const [dialog, setDialog] = useState<'settings' | 'maintenance' | null>(null);
  const view = entry?.view ?? null;
  return (
    <section
      className="card alert-host"
      aria-labelledby={`alerts-host-title-${host}`}
      data-testid={`alerts-host-${host}`}
    >
      <header className="alert-host-header">
        <h3 id={`alerts-host-title-${host}`}>{host}</h3>
        <div className="alert-host-actions" data-write="">
          <BusyButton
            className="button button-small"
            busy={testing}
            disabled={testing || !view}
            label={t('alerts.host.test')}
            busyLabel={t('alerts.host.testing')}
            data-testid={`alerts-test-${host}`}
            onClick={() => void test(host)}
          />
          <Button
            small
            testId={`alerts-maintenance-${host}`}
            disabled={!view}
            onClick={() => setDialog('maintenance')}
          >
            {t('alerts.maintenance.button')}
          </Button>
          <Button
            small
            testId={`alerts-settings-${host}`}
            disabled={!view}
            onClick={() => setDialog('settings')}
          >
            {t('alerts.host.settings')}
          </Button>
        </div>
      </header>
      <DoneLine host={host} />
      {entry?.error ? (
        <Callout tone="warning" testId={`alerts-host-error-${host}`}>
          <WarningIcon />
          <p>
            {t('alerts.host.readFailed', { message: entry.error.message })}
            {entry.error.hint ? <span className="muted small"> {entry.error.hint}</span> : null}
          </p>
        </Callout>
      ) : null}
      {view ? (
        <>
          {view.config === null ? (
            <p className="muted" data-testid={`alerts-not-configured-${host}`}>
              {t('alerts.host.notConfigured')}
            </p>
          ) : null}
          <Delivery host={host} view={view} />
          {view.problems.length > 0 ? (
            <Callout tone="warning" testId={`alerts-problems-${host}`}>
              <WarningIcon />
              <div>
                <p>{t('alerts.host.problems')}:</p>
                <ul>
                  {view.problems.map((p, i) => (
                    <li key={i}>{p}</li>
                  ))}
                </ul>
              </div>
            </Callout>
          ) : null}
          <Holds host={host} view={view} />
          <Rules host={host} rules={view.rules} />
        </>
      ) : null}
      {dialog === 'settings' ? (
        <SettingsDialog host={host} view={view} onClose={() => setDialog(null)} />
      ) : null}
      {dialog === 'maintenance' ? <MaintenanceDialog host={host} onClose={() => setDialog(null)} /> : null}
    </section>
  );
}
