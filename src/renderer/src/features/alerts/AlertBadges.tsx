/**
 * The alerts' small parts other screens use too: a severity and a state with colour, icon and
 * word; the count of firing alerts of a host or a tenant linking to the Alerts screen filtered
 * (Fleet rows, the tenant page); and the sidebar's count, which also holds the live feed while the
 * console runs.
 */
import { useEffect } from 'react';
import type { MouseEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { GlyphIcon, Icon } from '../../kit/Icons';
import { badgeHash, firingCount } from './alerts';
import type { Mark, RowState } from './alerts';
import { useAlerts } from './alertsStore';

const MARK_TONE: Record<Mark, 'error' | 'warning' | 'unknown'> = {
  critical: 'error',
  warning: 'warning',
  pending: 'unknown',
};

/** Critical red, warning amber, pending grey — with an icon and the word. */
export function SeverityBadge({ mark, testId }: { mark: Mark; testId?: string }): ReactElement {
  const { t } = useTranslation();
  const tone = MARK_TONE[mark];
  return (
    <span
      className={`tag tag-${tone} alert-severity`}
      data-testid={testId}
      data-severity={mark}
      data-tone={tone}
    >
      <GlyphIcon name={tone} />
      {t(`alerts.severity.${mark}`)}
    </span>
  );
}

const STATE_TONE: Record<RowState, string> = {
  active: 'alert-state-active',
  acknowledged: 'alert-state-acknowledged',
  silenced: 'alert-state-silenced',
  resolved: 'alert-state-resolved',
};

export function StateBadge({ state, testId }: { state: RowState; testId?: string }): ReactElement {
  const { t } = useTranslation();
  return (
    <span className={`alert-state ${STATE_TONE[state]}`} data-testid={testId} data-state={state}>
      {t(`alerts.state.${state}`)}
    </span>
  );
}

/** Opens the Alerts screen at `hash` (the row under the badge is not opened too). */
function openAlerts(e: MouseEvent<HTMLAnchorElement>, hash: string): void {
  e.preventDefault();
  e.stopPropagation();
  location.hash = hash;
}

/**
 * How many alerts fire on a host, or for a tenant there: nothing when none. Red while an
 * unhandled critical fires, amber for an unhandled warning, grey when all are acknowledged or silenced.
 */
export function AlertBadge({ host, tenant }: { host: string; tenant?: string }): ReactElement | null {
  const { t } = useTranslation();
  const hosts = useAlerts((s) => s.hosts);
  const { count, tone } = firingCount(hosts, tenant === undefined ? { host } : { host, tenant });
  if (count === 0) return null;
  const hash = badgeHash(host, tenant);
  return (
    <a
      href={hash}
      className={`alert-count alert-count-${tone}`}
      data-testid={tenant === undefined ? `alert-badge-host-${host}` : `alert-badge-tenant-${tenant}`}
      data-count={count}
      data-tone={tone}
      aria-label={
        tenant === undefined
          ? t('alerts.badge.host', { host, count })
          : t('alerts.badge.tenant', { tenant, count })
      }
      title={
        tenant === undefined
          ? t('alerts.badge.host', { host, count })
          : t('alerts.badge.tenant', { tenant, count })
      }
      onClick={(e) => openAlerts(e, hash)}
      onKeyDown={(e) => e.stopPropagation()}
    >
      <Icon name="AlertsIcon" />
      {count}
    </a>
  );
}

/**
 * The sidebar's count of firing alerts. It holds the `alerts.changed` feed for as long as the
 * console runs (the badges and the desktop notifications live on it) and reads every host once.
 */
export function AlertsNavBadge(): ReactElement | null {
  const { t } = useTranslation();
  const hosts = useAlerts((s) => s.hosts);
  useEffect(() => {
    const stop = useAlerts.getState().follow();
    void useAlerts.getState().load({ quiet: true });
    return stop;
  }, []);
  const { count, tone } = firingCount(hosts);
  if (count === 0) return null;
  return (
    <span
      className={`nav-count alert-count-${tone}`}
      data-testid="nav-alerts-count"
      data-count={count}
      data-tone={tone}
      title={t('alerts.badge.nav', { count })}
    >
      <span aria-hidden="true">{count}</span>
      <span className="visually-hidden">{t('alerts.badge.nav', { count })}</span>
    </span>
  );
}
