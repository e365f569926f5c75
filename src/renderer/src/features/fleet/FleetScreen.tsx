import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { HostStatus } from '../../../../shared/contract';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { StatusIcon } from '../../kit/Icons';
import { StatusBadge } from '../../kit/StatusBadge';
import { effectiveStatus, newerCheck } from '../../kit/format';
import { navigate } from '../../app/navigation';
import { useConsole } from '../../app/store';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { Welcome } from '../hosts/Welcome';
import { SectionLink } from '../../app/SectionLink';
import { useFields } from '../../kit/useFields';
import { RelativeTime } from '../../kit/RelativeTime';
import { FleetHealth } from '../health';

const STATUS_ORDER: readonly HostStatus[] = [
  'ok',
  'warning',
  'error',
  'unreachable',
  'key-changed',
  'key-unconfirmed',
  'unknown',
];
const SEVERITY: Record<HostStatus, number> = {
  'key-changed': 0,
  error: 1,
  unreachable: 2,
  'key-unconfirmed': 3,
  warning: 4,
  unknown: 5,
  ok: 6,
};

const FIELDS = ['hosts', 'hostsLoaded', 'checks', 'liveStatus', 'selectHost'] as const;

export function FleetScreen(): ReactElement {
  const { t } = useTranslation();
  const { hosts, hostsLoaded, checks, liveStatus, selectHost } = useFields(useConsole, FIELDS);

  const rows = hosts
    .map((h) => {
      const check = newerCheck(checks[h.name], h.lastCheck);
      return { host: h, check, status: effectiveStatus(h, check ?? undefined, liveStatus[h.name]) };
    })
    .sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status] || a.host.name.localeCompare(b.host.name));

  const counts = Object.fromEntries(STATUS_ORDER.map((s) => [s, 0])) as Record<HostStatus, number>;
  for (const r of rows) counts[r.status] += 1;
  const needAttention = rows.filter((r) => r.status !== 'ok' && r.status !== 'unknown').length;

  return (
    <div className="screen" data-testid="screen-fleet">
      <ScreenHeader title={t('fleet.title')} subtitle={t('fleet.subtitle')} />
      <ErrorBanner scopes={['hosts']} />
      {hostsLoaded && hosts.length === 0 ? (
        <Welcome />
      ) : (
        <>
          <section aria-label={t('fleet.byStatus')} className="stat-grid">
            <div className="stat stat-total" data-testid="fleet-total">
              <span className="stat-value">{hosts.length}</span>
              <span className="stat-label">{t('fleet.total')}</span>
            </div>
            {STATUS_ORDER.map((s) => (
              <div
                key={s}
                className={`stat stat-${s}${counts[s] === 0 ? ' stat-zero' : ''}`}
                data-testid={`fleet-count-${s}`}
                data-count={counts[s]}
              >
                <span className="stat-value">{counts[s]}</span>
                <span className="stat-label">
                  <StatusIcon status={s} />
                  {t(`status.${s}`)}
                </span>
              </div>
            ))}
          </section>

          <section className="card" aria-labelledby="fleet-hosts-title">
            <div className="card-header">
              <h2 id="fleet-hosts-title">
                {needAttention > 0 ? `${t('fleet.attention')}: ${needAttention}` : t('hosts.title')}
              </h2>
              <SectionLink screen="hosts">{t('fleet.openHosts')} →</SectionLink>
            </div>
            {needAttention === 0 && rows.length > 0 && counts.unknown === 0 ? (
              <p className="muted">{t('fleet.allGood')}</p>
            ) : null}
            <ul className="fleet-list">
              {rows.map(({ host, check, status }) => (
                <li key={host.name} data-testid={`fleet-host-${host.name}`}>
                  <a
                    href="#/hosts"
                    className="fleet-host"
                    onClick={(e) => {
                      e.preventDefault();
                      selectHost(host.name);
                      navigate('hosts');
                    }}
                  >
                    <span className="fleet-host-name">{host.name}</span>
                    <span className="fleet-host-addr mono muted">
                      {host.kind === 'local' ? t('hosts.thisMachine') : `${host.address}:${host.port}`}
                    </span>
                    <StatusBadge status={status} />
                    <span className="fleet-host-check muted">
                      {check ? <RelativeTime at={check.checkedAt} /> : t('fleet.notChecked')}
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          </section>
          <FleetHealth />
        </>
      )}
    </div>
  );
}
