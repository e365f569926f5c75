import { useEffect, useRef, useState } from 'react';
import type { KeyboardEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { HostView } from '../../../../shared/contract';
import {
  backupsRouteFromHash,
  filterSummaries,
  freshnessCounts,
  neverRestored,
  sortSummaries,
  summaryTone,
} from './backups';
import type { BackupSummary } from './backups';
import { useBackups } from './backupsStore';
import {
  DrillBadge,
  FreshnessBadge,
  KindTag,
  NeverRestoredTag,
  OffsiteBadge,
  RunBadge,
  useBytes,
  useLng,
} from './BackupBadges';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { KeyIcon, WarningIcon } from '../../kit/Icons';
import { RichText } from '../../kit/RichText';
import { formatDateTime, formatRelative } from '../../kit/format';
import { navigate } from '../../app/navigation';
import { followHash, startVisiblePolling } from '../../kit/visiblePolling';
import { useConsole } from '../../app/store';
import { hostUsable } from '../tenants/tenants';
import { BackupTenantPage } from './BackupTenantPage';
import { SchedulePanel } from './SchedulePanel';
import { FilterBar, NoMatch } from '../../kit/FilterBar';
import { useRowNavigation } from '../../kit/useRowNavigation';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { EmptyState, LoadingLine, RefreshButton } from '../../kit/States';
import { TableHead } from '../../kit/TableHead';

/** How often the overview is read again while it is open and the page is visible. */
export const BACKUP_OVERVIEW_INTERVAL_MS = 60_000;

function useOverviewPolling(): void {
  useEffect(() => {
    return startVisiblePolling(BACKUP_OVERVIEW_INTERVAL_MS, () => {
      const s = useBackups.getState();
      return s.loadOverview({ quiet: s.loaded });
    });
  }, []);
}

/** The view follows the address: `#/backups`, `#/backups/<host>/<slug>`. */
function useRouteFromHash(): void {
  useEffect(() => {
    return followHash('#/backups', (hash) => useBackups.getState().setRoute(backupsRouteFromHash(hash)));
  }, []);
}

/** Ticks once a minute so ages and colours move on while the screen stays open. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(id);
  }, []);
  return now;
}

/** The fleet's backup key: a banner with a button when there is none, a line when there is. */
function KeyBanner(): ReactElement | null {
  const { t } = useTranslation();
  const lng = useLng();
  const key = useBackups((s) => s.key);
  const initKey = useBackups((s) => s.initKey);
  const making = useBackups((s) => Boolean(s.busy['keyInit']));
  if (key === undefined) return null;
  if (key === null)
    return (
      <div className="callout callout-warning key-banner" role="status" data-testid="backup-key-missing">
        <KeyIcon />
        <div className="callout-text">
          <p className="callout-title">{t('backups.keyMissing')}</p>
          <p className="key-banner-hint">{t('backups.keyMissingHint')}</p>
        </div>
        <button
          type="button"
          className="button button-primary"
          onClick={() => void initKey()}
          disabled={making}
          aria-busy={making}
          data-testid="backup-key-init"
        >
          {making ? <span className="spinner" aria-hidden="true" /> : null}
          {making ? t('backups.keyIniting') : t('backups.keyInit')}
        </button>
      </div>
    );
  return (
    <p className="muted small key-line" data-testid="backup-key">
      <KeyIcon />{' '}
      {t('backups.keyInfo', {
        recipient: `${key.recipient.slice(0, 12)}…${key.recipient.slice(-6)}`,
        when: formatRelative(key.createdAt, lng),
      })}
    </p>
  );
}

function BackupRow({
  row,
  index,
  active,
  now,
  rowRef,
  onKey,
  onFocus,
}: {
  row: BackupSummary;
  index: number;
  active: boolean;
  now: number;
  rowRef: (el: HTMLTableRowElement | null) => void;
  onKey: (e: KeyboardEvent<HTMLTableRowElement>, index: number) => void;
  onFocus: (index: number) => void;
}): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const bytes = useBytes();
  const open = useBackups((s) => s.open);
  const tone = summaryTone(row, now);
  const last = row.last;
  return (
    <tr
      ref={rowRef}
      tabIndex={active ? 0 : -1}
      className={`backup-row tone-row tone-row-${tone}`}
      data-testid={`backup-row-${row.slug}`}
      data-host={row.host}
      data-tone={tone}
      aria-label={t('backups.open', { slug: row.slug, host: row.host })}
      onClick={() => open({ view: 'tenant', host: row.host, slug: row.slug })}
      onKeyDown={(e) => onKey(e, index)}
      onFocus={() => onFocus(index)}
    >
      <td className="nowrap">{row.host}</td>
      <th scope="row">
        <span className="tenant-slug mono">{row.slug}</span>
      </th>
      <td data-testid={`backup-last-${row.slug}`}>
        {last ? (
          <span className="backup-last">
            <time dateTime={last.createdAt}>{formatDateTime(last.createdAt, lng)}</time>
            <span className="backup-last-meta">
              <KindTag kind={last.kind} />
              {neverRestored(last) ? <NeverRestoredTag testId={`backup-unproven-${row.slug}`} /> : null}
            </span>
          </span>
        ) : (
          <span className="text-error" data-testid={`backup-none-${row.slug}`}>
            {t('backups.none')}
          </span>
        )}
      </td>
      <td className="nowrap">
        <FreshnessBadge last={last} now={now} testId={`backup-age-${row.slug}`} />
      </td>
      <td className="num nowrap" title={t('backups.totalSize', { count: row.count, size: bytes(row.bytes) })}>
        {last ? bytes(last.size) : t('common.none')}
      </td>
      <td>
        <RunBadge run={row.lastRun} testId={`backup-run-${row.slug}`} clamp />
        <OffsiteBadge run={row.lastRun} testId={`backup-offsite-${row.slug}`} />
      </td>
      <td className="nowrap">
        <DrillBadge report={row.lastDrill} testId={`backup-drill-${row.slug}`} />
      </td>
    </tr>
  );
}

function Overview(): ReactElement {
  const { t } = useTranslation();
  const tenants = useBackups((s) => s.tenants);
  const unreachable = useBackups((s) => s.unreachable);
  const loaded = useBackups((s) => s.loaded);
  const filter = useBackups((s) => s.filter);
  const setFilter = useBackups((s) => s.setFilter);
  const loadOverview = useBackups((s) => s.loadOverview);
  const open = useBackups((s) => s.open);
  const loading = useBackups((s) => Boolean(s.busy['overview']));
  const hosts = useConsole((s) => s.hosts);
  const now = useNow();
  const rows = filterSummaries(sortSummaries(tenants, now), filter, now);
  const counts = freshnessCounts(tenants, now);
  const { activeIndex, setActive, rowRefs, focusRow, onKey } = useRowNavigation(rows.length, (i) => {
    const r = rows[i];
    if (r) open({ view: 'tenant', host: r.host, slug: r.slug });
  });
  const hostNames = [...new Set([...hosts.map((h) => h.name), ...tenants.map((x) => x.host)])].sort();
  const scheduleHosts: HostView[] = hosts;

  return (
    <div className="screen" data-testid="screen-backups" data-view="list">
      <ScreenHeader title={t('backups.title')} subtitle={t('backups.subtitle')}>
        <RefreshButton
          busy={loading}
          onClick={() => void loadOverview()}
          testId="backups-refresh"
          label={t('backups.refresh')}
          busyLabel={t('backups.refreshing')}
        />
      </ScreenHeader>

      <ErrorBanner scopes={['backups']} />
      <KeyBanner />

      {unreachable.map((u) => (
        <div
          key={u.host}
          className="callout callout-warning"
          role="status"
          data-testid={`backups-unreachable-${u.host}`}
        >
          <WarningIcon />
          <p>
            <RichText text={t('backups.unreachable', { host: u.host, message: u.error })} />
          </p>
        </div>
      ))}

      {hosts.length === 0 ? (
        <EmptyState testId="backups-no-hosts" text={t('backups.noHosts')}>
          <button type="button" className="button button-primary" onClick={() => navigate('hosts')}>
            {t('backups.openHosts')}
          </button>
        </EmptyState>
      ) : !loaded ? (
        <LoadingLine text={t('backups.loading')} />
      ) : tenants.length === 0 ? (
        <EmptyState testId="backups-empty" text={t('backups.empty')} />
      ) : (
        <>
          <section className="stat-grid backup-stats" aria-label={t('backups.legend')}>
            <div
              className={`stat stat-ok${counts.ok === 0 ? ' stat-zero' : ''}`}
              data-testid="backups-count-ok"
            >
              <span className="stat-value">{counts.ok}</span>
              <span className="stat-label">{t('backups.fresh')}</span>
            </div>
            <div
              className={`stat stat-warning${counts.warning === 0 ? ' stat-zero' : ''}`}
              data-testid="backups-count-warning"
            >
              <span className="stat-value">{counts.warning}</span>
              <span className="stat-label">{t('backups.stale')}</span>
            </div>
            <div
              className={`stat stat-error${counts.error === 0 ? ' stat-zero' : ''}`}
              data-testid="backups-count-error"
            >
              <span className="stat-value">{counts.error}</span>
              <span className="stat-label">{t('backups.old')}</span>
            </div>
          </section>
          <FilterBar
            prefix="backup"
            hostLabel={t('backups.filterHost')}
            allHostsLabel={t('backups.allHosts')}
            hostNames={hostNames}
            host={filter.host}
            onHost={(host) => setFilter({ host })}
            textLabel={t('backups.filterText')}
            placeholder={t('backups.filterPlaceholder')}
            text={filter.text}
            onText={(text) => setFilter({ text })}
            rowCount={rows.length}
            onFirstRow={() => focusRow(0)}
            countText={t('backups.count', { shown: rows.length, total: tenants.length })}
          >
            <label className="checkbox-row filter-check">
              <input
                type="checkbox"
                data-testid="backup-filter-attention"
                checked={filter.attention}
                onChange={(e) => setFilter({ attention: e.target.checked })}
              />
              <span className="checkbox-label">{t('backups.attentionOnly')}</span>
            </label>
          </FilterBar>
          {rows.length === 0 ? (
            <NoMatch
              testId="backups-no-match"
              text={t('backups.noMatch')}
              clearLabel={t('backups.clearFilter')}
              onClear={() => setFilter({ host: '', text: '', attention: false })}
            />
          ) : (
            <div className="card table-card">
              <table
                className="table backups-table"
                aria-label={t('backups.listLabel')}
                data-testid="backup-list"
              >
                <TableHead
                  columns={[
                    t('backups.col.host'),
                    t('backups.col.tenant'),
                    t('backups.col.lastBackup'),
                    t('backups.col.age'),
                    { label: t('backups.col.size'), className: 'num' },
                    t('backups.col.lastRun'),
                    t('backups.col.drill'),
                  ]}
                />
                <tbody>
                  {rows.map((r, i) => (
                    <BackupRow
                      key={`${r.host}/${r.slug}`}
                      row={r}
                      index={i}
                      active={i === activeIndex}
                      now={now}
                      rowRef={(el) => {
                        rowRefs.current[i] = el;
                      }}
                      onKey={onKey}
                      onFocus={setActive}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p className="muted small table-note">
            {t('backups.legend')} {t('backups.keyboardHint')} {t('backups.autoRefresh')}
          </p>
        </>
      )}

      {scheduleHosts.length > 0 ? (
        <section className="schedules" aria-labelledby="schedules-title" data-testid="schedules">
          <h2 id="schedules-title">{t('schedule.title')}</h2>
          <p className="muted">{t('schedule.intro')}</p>
          <ErrorBanner scopes={['schedule']} />
          <div className="schedule-grid">
            {scheduleHosts.map((h) => (
              <SchedulePanel key={h.name} host={h.name} usable={hostUsable(h)} />
            ))}
          </div>
        </section>
      ) : null}
    </div>
  );
}

/** The Backups section: every tenant's backups, or one tenant's. */
export function BackupsScreen(): ReactElement {
  const route = useBackups((s) => s.route);
  const loadKey = useBackups((s) => s.loadKey);
  const ref = useRef<HTMLDivElement>(null);
  const first = useRef(true);
  useRouteFromHash();
  useOverviewPolling();
  useEffect(() => {
    void loadKey();
  }, [loadKey]);

  const routeKey = JSON.stringify(route);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    ref.current?.querySelector<HTMLElement>('.screen-title')?.focus();
    ref.current?.closest('.main')?.scrollTo?.({ top: 0 });
  }, [routeKey]);

  return (
    <div ref={ref} className="tenants-root">
      {route.view === 'tenant' ? (
        <BackupTenantPage key={routeKey} host={route.host} slug={route.slug} />
      ) : (
        <Overview />
      )}
    </div>
  );
}
