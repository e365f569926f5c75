import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { HostView } from '../../../shared/contract';
import { ErrorBanner } from '../components/ErrorBanner';
import { StatusBadge } from '../components/StatusBadge';
import { effectiveStatus, formatNumber, newerCheck } from '../format';
import { useConsole } from '../store';
import { AddHostForm } from './AddHostForm';
import { HostDetails } from './HostDetails';
import { ScreenHeader } from './ScreenHeader';
import { Welcome } from './Welcome';

function HostRow({ host, selected }: { host: HostView; selected: boolean }): ReactElement {
  const { t, i18n } = useTranslation();
  const lng = i18n.language === 'ru' ? 'ru' : 'en';
  const check = useConsole((s) => newerCheck(s.checks[host.name], host.lastCheck));
  const live = useConsole((s) => s.liveStatus[host.name]);
  const checking = useConsole((s) => Boolean(s.busy[`check:${host.name}`]));
  const selectHost = useConsole((s) => s.selectHost);
  const status = effectiveStatus(host, check ?? undefined, live);
  const docker = check?.facts?.docker?.version;
  return (
    <tr
      data-testid={`host-row-${host.name}`}
      className={selected ? 'row-selected' : undefined}
      onClick={() => selectHost(host.name)}
    >
      <th scope="row">
        <button
          type="button"
          className="row-button"
          aria-current={selected ? 'true' : undefined}
          onClick={() => selectHost(host.name)}
        >
          {host.name}
        </button>
      </th>
      <td className="mono">{host.kind === 'local' ? t('common.none') : `${host.address}:${host.port}`}</td>
      <td className="mono">{host.kind === 'local' ? t('common.none') : host.user}</td>
      <td>{t(`kind.${host.kind}`)}</td>
      <td>
        <StatusBadge status={status} testId={`host-status-${host.name}`} />
        {checking ? (
          <span className="spinner spinner-inline" aria-label={t('details.checking')} role="img" />
        ) : null}
      </td>
      <td className="mono">{docker ?? t('common.none')}</td>
      <td className="num">
        {check?.latencyMs != null
          ? t('hosts.ms', { value: formatNumber(check.latencyMs, lng, 0) })
          : t('common.none')}
      </td>
    </tr>
  );
}

export function HostsScreen(): ReactElement {
  const { t } = useTranslation();
  const hosts = useConsole((s) => s.hosts);
  const hostsLoaded = useConsole((s) => s.hostsLoaded);
  const selectedHost = useConsole((s) => s.selectedHost);
  const addFormOpen = useConsole((s) => s.addFormOpen);
  const openAddForm = useConsole((s) => s.openAddForm);
  const addLocal = useConsole((s) => s.addLocal);
  const info = useConsole((s) => s.info);
  const busyLocal = useConsole((s) => Boolean(s.busy['addLocal']));
  const selected = hosts.find((h) => h.name === selectedHost) ?? null;
  const canAddLocal = Boolean(info?.localDocker.available) && !hosts.some((h) => h.kind === 'local');

  return (
    <div className="screen" data-testid="screen-hosts">
      <ScreenHeader title={t('hosts.title')} subtitle={t('hosts.subtitle')}>
        {hosts.length > 0 && canAddLocal ? (
          <button
            type="button"
            className="button"
            onClick={() => void addLocal()}
            disabled={busyLocal}
            aria-busy={busyLocal}
            data-testid="hosts-add-local"
          >
            {busyLocal ? t('common.working') : t('hosts.addLocal')}
          </button>
        ) : null}
        <button
          type="button"
          className="button button-primary"
          data-testid="add-host"
          onClick={openAddForm}
          aria-expanded={addFormOpen}
        >
          {t('hosts.add')}
        </button>
      </ScreenHeader>

      <ErrorBanner scopes={['hosts']} />

      {addFormOpen ? <AddHostForm /> : null}

      {!hostsLoaded ? (
        <p className="muted">{t('hosts.loading')}</p>
      ) : hosts.length === 0 ? (
        addFormOpen ? null : (
          <Welcome />
        )
      ) : (
        <>
          <div className="card table-card">
            <table className="table hosts-table" aria-label={t('hosts.listLabel')} data-testid="host-list">
              <thead>
                <tr>
                  <th scope="col">{t('hosts.col.name')}</th>
                  <th scope="col">{t('hosts.col.address')}</th>
                  <th scope="col">{t('hosts.col.user')}</th>
                  <th scope="col">{t('hosts.col.kind')}</th>
                  <th scope="col">{t('hosts.col.status')}</th>
                  <th scope="col">{t('hosts.col.docker')}</th>
                  <th scope="col" className="num">
                    {t('hosts.col.latency')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {hosts.map((h) => (
                  <HostRow key={h.name} host={h} selected={h.name === selectedHost} />
                ))}
              </tbody>
            </table>
          </div>
          {selected ? (
            <HostDetails key={selected.name} host={selected} />
          ) : (
            <p className="muted">{t('hosts.selectHint')}</p>
          )}
        </>
      )}
    </div>
  );
}
