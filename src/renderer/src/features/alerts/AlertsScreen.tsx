/**
 * The Alerts screen: every host's alerts in one table — Active, Acknowledged, Silenced and History
 * tabs, a host filter (and a tenant one from the badges), a search — with Acknowledge and Silence
 * per alert; under it each host's delivery, silences and maintenance windows, test message,
 * settings and rules. The address keeps the tab and the filter (`#/alerts/history/host/h1`). Live
 * from `alerts.changed`; read again every 60 s while the screen is visible; the desktop
 * notifications of browser mode are turned on here (never asked for on load).
 */
import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { navigate } from '../../app/navigation';
import { useConsole } from '../../app/store';
import { Button } from '../../kit/Button';
import { Callout } from '../../kit/Callout';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { FilterBar, NoMatch } from '../../kit/FilterBar';
import { hostNamesOf } from '../../kit/HostList';
import { CloseIcon, GlyphIcon, UnreachableIcon, WarningIcon } from '../../kit/Icons';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { FirstRead } from '../../kit/DetailParts';
import { EmptyState, RefreshButton } from '../../kit/States';
import { useFields } from '../../kit/useFields';
import { followHash, startVisiblePolling } from '../../kit/visiblePolling';
import {
  TABS,
  alertRows,
  alertsRouteFromHash,
  filterRows,
  summaryCounts,
  tabCounts,
  tabRows,
} from './alerts';
import type { AlertRow, Tab } from './alerts';
import { AckDialog, SilenceDialog } from './AlertDialogs';
import { AlertTable, useAlertTable } from './AlertTable';
import type { RowAction } from './AlertTable';
import { useAlerts } from './alertsStore';
import { useAlertFormat, useNow } from './AlertText';
import { HostPanel } from './HostPanel';

/** How often the alerts are read again while the screen is visible (the events keep them live between). */
export const ALERTS_REFRESH_MS = 60_000;

const SUMMARY = [
  ['critical', 'error'],
  ['warning', 'warning'],
  ['pending', 'unknown'],
  ['acknowledged', 'unknown'],
  ['silenced', 'unknown'],
] as const;

function NotifyButton(): ReactElement | null {
  const { t } = useTranslation();
  const mode = useAlerts((s) => s.notify);
  const ask = useAlerts((s) => s.askNotify);
  if (mode === 'electron') return null;
  if (mode === 'default')
    return (
      <Button
        testId="alerts-notify"
        data-mode={mode}
        title={t('alerts.notify.enableTitle')}
        onClick={() => void ask()}
      >
        {t('alerts.notify.enable')}
      </Button>
    );
  const text =
    mode === 'granted'
      ? t('alerts.notify.on')
      : mode === 'denied'
        ? t('alerts.notify.denied')
        : t('alerts.notify.unsupported');
  return (
    <span className={`small alert-notify alert-notify-${mode}`} data-testid="alerts-notify" data-mode={mode}>
      {mode === 'granted' ? <GlyphIcon name="ok" /> : null}
      {text}
    </span>
  );
}

function Tabs({
  tab,
  counts,
  onTab,
}: {
  tab: Tab;
  counts: Record<Tab, number>;
  onTab: (t: Tab) => void;
}): ReactElement {
  const { t } = useTranslation();
  return (
    <div className="alert-tabs" role="tablist" aria-label={t('alerts.tabsLabel')}>
      {TABS.map((x, i) => (
        <button
          key={x}
          type="button"
          role="tab"
          id={`alerts-tab-${x}`}
          aria-selected={tab === x}
          aria-controls="alerts-panel"
          tabIndex={tab === x ? 0 : -1}
          className="alert-tab"
          data-testid={`alerts-tab-${x}`}
          data-count={counts[x]}
          onClick={() => onTab(x)}
          onKeyDown={(e) => {
            const move = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
            if (!move) return;
            e.preventDefault();
            const next = TABS[(i + move + TABS.length) % TABS.length] ?? 'active';
            onTab(next);
            document.getElementById(`alerts-tab-${next}`)?.focus();
          }}
        >
          {t(`alerts.tab.${x}`)} <span className="alert-tab-count">{counts[x]}</span>
        </button>
      ))}
    </div>
  );
}

/** Words a row is found by besides its ids: its kind's name in the UI language. */
function useRowWords(): (r: AlertRow) => string {
  const { t } = useTranslation();
  return (r) => t(`alerts.kind.${r.kind}`);
}

const STORE = [
  'hosts',
  'loaded',
  'listError',
  'unreachable',
  'route',
  'text',
  'busy',
  'open',
  'setText',
  'load',
] as const;

export function AlertsScreen(): ReactElement {
  const { t } = useTranslation();
  const { hosts, loaded, listError, unreachable, route, text, busy, open, setText, load } = useFields(
    useAlerts,
    STORE,
  );
  const consoleHosts = useConsole((s) => s.hosts);
  const now = useNow();
  const words = useRowWords();
  const f = useAlertFormat();
  const [action, setAction] = useState<RowAction | null>(null);

  useEffect(
    () => followHash('#/alerts', (hash) => useAlerts.getState().setRoute(alertsRouteFromHash(hash))),
    [],
  );
  useEffect(() => useAlerts.getState().follow(), []);
  useEffect(
    () =>
      startVisiblePolling(ALERTS_REFRESH_MS, () => {
        const s = useAlerts.getState();
        return s.load({ quiet: s.loaded });
      }),
    [],
  );

  // The host and tenant asked for narrow everything (tiles, tabs); the text only the table.
  const every = alertRows(hosts, now);
  const scope = { host: route.host, tenant: route.tenant, text: '' };
  const rows = { live: filterRows(every.live, scope), history: filterRows(every.history, scope) };
  const counts = tabCounts(rows);
  const all = tabRows(rows, route.tab);
  const shown = filterRows(all, { ...scope, text }, words);
  const table = useAlertTable(shown);
  const summary = summaryCounts(rows.live);
  const hostNames = hostNamesOf(
    consoleHosts,
    Object.keys(hosts).map((host) => ({ host })),
  );
  const failed = hostNames.filter((h) => hosts[h]?.error);
  const panelHosts = route.host ? hostNames.filter((h) => h === route.host) : hostNames;

  return (
    <div className="screen alerts-screen" data-testid="screen-alerts" data-tab={route.tab}>
      <ScreenHeader title={t('alerts.title')} subtitle={t('alerts.subtitle')}>
        <RefreshButton
          busy={Boolean(busy['list'])}
          onClick={() => void load()}
          testId="alerts-refresh"
          label={t('alerts.refresh')}
          busyLabel={t('alerts.refreshing')}
        />
        <NotifyButton />
      </ScreenHeader>

      <ErrorBanner scopes={['alerts']} />

      {Object.entries(unreachable).map(([host, u]) => (
        <Callout key={host} tone="error" testId={`alerts-unreachable-${host}`}>
          <UnreachableIcon />
          <p>
            {t('alerts.unreachable', {
              host,
              since: f.when(Date.parse(u.since)),
              minutes: Math.round(u.minutes),
              message: u.error.message,
            })}
          </p>
        </Callout>
      ))}
      {failed.length > 0 ? (
        <Callout tone="warning" testId="alerts-read-failed">
          <WarningIcon />
          <p>{t('alerts.readFailed', { hosts: failed.join(', ') })}</p>
        </Callout>
      ) : null}

      {hostNames.length === 0 ? (
        <EmptyState testId="alerts-no-hosts" text={t('alerts.noHosts')}>
          <button type="button" className="button button-primary" onClick={() => navigate('hosts')}>
            {t('alerts.openHosts')}
          </button>
        </EmptyState>
      ) : !loaded ? (
        <FirstRead
          reading={!listError || Boolean(busy['list'])}
          error={listError}
          text={t('alerts.loading')}
        />
      ) : (
        <>
          <section className="stat-grid alert-stats" aria-label={t('alerts.countsLabel')}>
            {SUMMARY.map(([key, tone]) => (
              <div
                key={key}
                className={`stat stat-${tone}${summary[key] === 0 ? ' stat-zero' : ''}`}
                data-testid={`alerts-summary-${key}`}
                data-count={summary[key]}
              >
                <span className="stat-value">{summary[key]}</span>
                <span className="stat-label">{t(`alerts.count.${key}`)}</span>
              </div>
            ))}
          </section>
          <Tabs tab={route.tab} counts={counts} onTab={(tab) => open({ ...route, tab })} />
          <div id="alerts-panel" role="tabpanel" aria-labelledby={`alerts-tab-${route.tab}`}>
            <FilterBar
              prefix="alerts"
              hostLabel={t('alerts.filterHost')}
              allHostsLabel={t('alerts.allHosts')}
              hostNames={hostNames}
              host={route.host}
              onHost={(host) => open({ ...route, host, tenant: '' })}
              textLabel={t('alerts.filterText')}
              placeholder={t('alerts.filterPlaceholder')}
              text={text}
              onText={setText}
              rowCount={shown.length}
              onFirstRow={() => table.nav.focusRow(0)}
              countText={t('alerts.shown', { shown: shown.length, total: all.length })}
            >
              {route.tenant ? (
                <span className="chip alert-tenant-chip" data-testid="alerts-tenant-filter">
                  {t('alerts.tenantFilter', { tenant: route.tenant })}
                  <button
                    type="button"
                    className="icon-button"
                    aria-label={t('alerts.clearTenant')}
                    title={t('alerts.clearTenant')}
                    data-testid="alerts-tenant-clear"
                    onClick={() => open({ ...route, tenant: '' })}
                  >
                    <CloseIcon />
                  </button>
                </span>
              ) : null}
            </FilterBar>
            {all.length === 0 ? (
              <EmptyState testId={`alerts-empty-${route.tab}`} text={t(`alerts.empty.${route.tab}`)} />
            ) : shown.length === 0 ? (
              <NoMatch
                testId="alerts-no-match"
                text={t('alerts.noMatch')}
                clearLabel={t('alerts.clearFilter')}
                onClear={() => {
                  setText('');
                  open({ ...route, host: '', tenant: '' });
                }}
              />
            ) : (
              <AlertTable
                rows={shown}
                history={route.tab === 'history'}
                now={now}
                busy={busy}
                table={table}
                onAction={setAction}
              />
            )}
            <p className="muted small table-note">{t('alerts.keyboardHint')}</p>
          </div>
        </>
      )}

      {hostNames.length > 0 ? (
        <section className="alert-hosts" aria-labelledby="alerts-hosts-title" data-testid="alerts-hosts">
          <h2 id="alerts-hosts-title">{t('alerts.host.sectionTitle')}</h2>
          <p className="muted">{t('alerts.host.sectionIntro')}</p>
          <div className="alert-host-grid">
            {panelHosts.map((h) => (
              <HostPanel key={h} host={h} entry={hosts[h]} />
            ))}
          </div>
        </section>
      ) : null}

      {action?.kind === 'ack' ? <AckDialog row={action.row} onClose={() => setAction(null)} /> : null}
      {action?.kind === 'silence' ? <SilenceDialog row={action.row} onClose={() => setAction(null)} /> : null}
    </div>
  );
}
