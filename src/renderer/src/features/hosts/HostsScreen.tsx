import { useEffect } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { HostView } from '../../../../shared/contract';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { ImportIcon, RefreshIcon } from '../../kit/Icons';
import { SignalChip } from '../../kit/Signals';
import { StatusBadge } from '../../kit/StatusBadge';
import { checkSignals, formatNumber, jumpChainText } from '../../kit/format';
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
import { useFields } from '../../kit/useFields';
import { Button } from '../../kit/Button';
import { KeyActionButton, useBusy, useHostState } from './HostState';

/** How often the hosts are checked while the Hosts screen is open and the page is visible. */
export const HOST_CHECK_INTERVAL_MS = 30_000;

/** Check every host on opening the screen and every 30 s while it is visible. */
function useHostPolling(): void {
  useEffect(() => {
    return startVisiblePolling(HOST_CHECK_INTERVAL_MS, () => useConsole.getState().checkAll({ quiet: true }));
  }, []);
}

const ROW_ACTIONS = ['selectHost', 'checkHost', 'reviewKey'] as const;

function HostRow({ host, selected }: { host: HostView; selected: boolean }): ReactElement {
  const { t, i18n } = useTranslation();
  const lng = i18n.language === 'ru' ? 'ru' : 'en';
  const { check, status, action, chips, checking, readingKey } = useHostState(host);
  const { selectHost, checkHost, reviewKey } = useFields(useConsole, ROW_ACTIONS);
  const signals = checkSignals(host, check, status);
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
            <KeyActionButton
              action={action}
              readingKey={readingKey}
              testId={`host-key-action-${host.name}`}
              inRow
              onClick={(e) => {
                e.stopPropagation();
                void reviewKey(host.name);
              }}
            />
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
        <Button
          tone="icon"
          small
          testId={`host-check-${host.name}`}
          disabled={checking}
          busy={checking}
          aria-label={t('hosts.checkHost', { name: host.name })}
          title={t('hosts.checkHost', { name: host.name })}
          onClick={(e) => {
            e.stopPropagation();
            selectHost(host.name);
            void checkHost(host.name);
          }}
        >
          <RefreshIcon className={checking ? 'icon-spin' : undefined} />
        </Button>
      </td>
    </tr>
  );
}

/** The host table's plain columns, headed `hosts.col.<name>` (latency and actions follow). */
const TEXT_COLUMNS = ['name', 'address', 'status', 'health'] as const;

const SCREEN = [
  'hosts',
  'hostsLoaded',
  'selectedHost',
  'addFormOpen',
  'openAddForm',
  'addLocal',
  'checkAll',
  'importOpen',
  'openImport',
  'info',
] as const;

export function HostsScreen(): ReactElement {
  const { t } = useTranslation();
  const {
    hosts,
    hostsLoaded,
    selectedHost,
    addFormOpen,
    openAddForm,
    addLocal,
    checkAll,
    importOpen,
    openImport,
    info,
  } = useFields(useConsole, SCREEN);
  const busyLocal = useBusy('addLocal');
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
        <Button onClick={openImport} testId="hosts-import" aria-haspopup="dialog">
          <ImportIcon />
          {t('hosts.import')}
        </Button>
        {hosts.length > 0 && canAddLocal ? (
          <Button
            onClick={() => void addLocal()}
            disabled={busyLocal}
            busy={busyLocal}
            testId="hosts-add-local"
          >
            {busyLocal ? t('common.working') : t('hosts.addLocal')}
          </Button>
        ) : null}
        <Button tone="primary" testId="add-host" onClick={openAddForm} aria-expanded={addFormOpen}>
          {t('hosts.add')}
        </Button>
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
                  ...TEXT_COLUMNS.map((c) => t(`hosts.col.${c}`)),
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
