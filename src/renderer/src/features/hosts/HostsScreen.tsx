import { useEffect } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { HostView } from '../../../../shared/contract';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { ImportIcon, KeyIcon, LockIcon, RefreshIcon } from '../../kit/Icons';
import { SignalChip } from '../../kit/Signals';
import { StatusBadge } from '../../kit/StatusBadge';
import {
  checkSignals,
  effectiveStatus,
  formatNumber,
  jumpChainText,
  keyAction,
  labelChips,
  newerCheck,
} from '../../kit/format';
import { startVisiblePolling } from '../../kit/visiblePolling';
import { useConsole } from '../../app/store';
import { AddHostForm } from './AddHostForm';
import { KeyReviewDialog } from './FingerprintDialog';
import { HostDetails } from './HostDetails';
import { ImportDialog } from './ImportDialog';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { Welcome } from './Welcome';
import { TableHead } from '../../kit/TableHead';
import { RefreshButton } from '../../kit/States';

/** How often the hosts are checked while the Hosts screen is open and the page is visible. */
export const HOST_CHECK_INTERVAL_MS = 30_000;

/** Check every host on opening the screen and every 30 s while it is visible. */
function useHostPolling(): void {
  useEffect(() => {
    return startVisiblePolling(HOST_CHECK_INTERVAL_MS, () => useConsole.getState().checkAll({ quiet: true }));
  }, []);
}

function HostRow({ host, selected }: { host: HostView; selected: boolean }): ReactElement {
  const { t, i18n } = useTranslation();
  const lng = i18n.language === 'ru' ? 'ru' : 'en';
  const check = useConsole((s) => newerCheck(s.checks[host.name], host.lastCheck));
  const live = useConsole((s) => s.liveStatus[host.name]);
  const checking = useConsole((s) => Boolean(s.busy[`check:${host.name}`]));
  const readingKey = useConsole((s) => Boolean(s.busy[`keyProbe:${host.name}`]));
  const selectHost = useConsole((s) => s.selectHost);
  const checkHost = useConsole((s) => s.checkHost);
  const reviewKey = useConsole((s) => s.reviewKey);
  const status = effectiveStatus(host, check ?? undefined, live);
  const signals = checkSignals(host, check, status);
  const action = host.kind === 'ssh' ? keyAction(status) : null;
  const chips = labelChips(host.labels);
  return (
    <tr
      data-testid={`host-row-${host.name}`}
      data-status={status}
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
        {chips.length > 0 || host.baseDomain ? (
          <div className="row-meta">
            {chips.map((c) => (
              <span key={c} className="chip" data-testid={`host-label-${host.name}`}>
                {c}
              </span>
            ))}
            {host.baseDomain ? (
              <span className="row-domain muted" data-testid={`host-domain-${host.name}`}>
                {t('hosts.domain', { domain: host.baseDomain })}
              </span>
            ) : null}
          </div>
        ) : null}
      </th>
      <td>
        {host.kind === 'local' ? (
          <span>{t('hosts.thisMachine')}</span>
        ) : (
          <span className="mono row-address">
            {host.user}@<wbr />
            {host.address}:{host.port}
          </span>
        )}
        {host.jump.length > 0 ? (
          <div className="row-via muted small" data-testid={`host-via-${host.name}`}>
            {t('hosts.via', { chain: jumpChainText(host.jump) })}
          </div>
        ) : null}
      </td>
      <td className="nowrap">
        <StatusBadge status={status} testId={`host-status-${host.name}`} />
        {checking ? (
          <span
            className="spinner spinner-inline"
            aria-label={t('hosts.checking')}
            role="img"
            data-testid={`host-checking-${host.name}`}
          />
        ) : null}
        {action ? (
          <div className="row-key-action">
            <button
              type="button"
              className={
                action === 'review'
                  ? 'button button-small button-danger'
                  : 'button button-small button-warning'
              }
              data-testid={`host-key-action-${host.name}`}
              data-action={action}
              disabled={readingKey}
              aria-busy={readingKey}
              aria-haspopup="dialog"
              onClick={(e) => {
                e.stopPropagation();
                void reviewKey(host.name);
              }}
            >
              {action === 'review' ? <LockIcon /> : <KeyIcon />}
              {readingKey
                ? t('hosts.readingKey')
                : action === 'review'
                  ? t('hosts.reviewKey')
                  : t('hosts.confirmKey')}
            </button>
          </div>
        ) : null}
      </td>
      <td>
        <div className="signals">
          <SignalChip kind="reachable" signal={signals.reachable} testId={`host-reachable-${host.name}`} />
          <SignalChip kind="key" signal={signals.key} testId={`host-key-${host.name}`} />
          <SignalChip
            kind="docker"
            signal={signals.docker}
            testId={`host-docker-${host.name}`}
            detail={signals.dockerVersion}
          />
        </div>
      </td>
      <td className="num" data-testid={`host-latency-${host.name}`}>
        {signals.latencyMs != null
          ? t('hosts.ms', { value: formatNumber(signals.latencyMs, lng, 0) })
          : t('common.none')}
      </td>
      <td className="row-actions">
        <button
          type="button"
          className="button button-small button-icon"
          data-testid={`host-check-${host.name}`}
          disabled={checking}
          aria-busy={checking}
          aria-label={t('hosts.checkHost', { name: host.name })}
          title={t('hosts.checkHost', { name: host.name })}
          onClick={(e) => {
            e.stopPropagation();
            selectHost(host.name);
            void checkHost(host.name);
          }}
        >
          <RefreshIcon className={checking ? 'icon-spin' : undefined} />
        </button>
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
  const checkAll = useConsole((s) => s.checkAll);
  const importOpen = useConsole((s) => s.importOpen);
  const openImport = useConsole((s) => s.openImport);
  const info = useConsole((s) => s.info);
  const busyLocal = useConsole((s) => Boolean(s.busy['addLocal']));
  const anyChecking = useConsole((s) => Object.keys(s.busy).some((k) => k.startsWith('check:')));
  const selected = hosts.find((h) => h.name === selectedHost) ?? null;
  const canAddLocal = Boolean(info?.localDocker.available) && !hosts.some((h) => h.kind === 'local');

  useHostPolling();

  return (
    <div className="screen" data-testid="screen-hosts">
      <ScreenHeader title={t('hosts.title')} subtitle={t('hosts.subtitle')}>
        {hosts.length > 0 ? (
          <RefreshButton
            busy={anyChecking}
            onClick={() => void checkAll()}
            testId="hosts-check-all"
            label={t('hosts.checkAll')}
            busyLabel={t('hosts.checkingAll')}
          />
        ) : null}
        <button
          type="button"
          className="button"
          onClick={openImport}
          data-testid="hosts-import"
          aria-haspopup="dialog"
        >
          <ImportIcon />
          {t('hosts.import')}
        </button>
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
              <TableHead
                columns={[
                  t('hosts.col.name'),
                  t('hosts.col.address'),
                  t('hosts.col.status'),
                  t('hosts.col.health'),
                  { label: t('hosts.col.latency'), className: 'num' },
                  {
                    label: <span className="visually-hidden">{t('hosts.col.actions')}</span>,
                    className: 'row-actions',
                  },
                ]}
              />
              <tbody>
                {hosts.map((h) => (
                  <HostRow key={h.name} host={h} selected={h.name === selectedHost} />
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted small table-note">{t('hosts.autoRefresh')}</p>
          {selected ? (
            <HostDetails key={selected.name} host={selected} />
          ) : (
            <p className="muted">{t('hosts.selectHint')}</p>
          )}
        </>
      )}
      <KeyReviewDialog />
      {importOpen ? <ImportDialog /> : null}
    </div>
  );
}
