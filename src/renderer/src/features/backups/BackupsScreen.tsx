import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
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
import { KeyIcon } from '../../kit/Icons';
import { formatDateTime, formatRelative } from '../../kit/format';
import { useConsole } from '../../app/store';
import { hostUsable } from '../tenants/tenants';
import { BackupTenantPage } from './BackupTenantPage';
import { SchedulePanel } from './SchedulePanel';
import { HostList, NavRow, useListSection, useViewFocus } from '../../kit/HostList';
import type { RowNav } from '../../kit/HostList';
import { useFields } from '../../kit/useFields';
import { BusyButton } from '../../kit/DetailParts';

/** How often the overview is read again while it is open and the page is visible. */
export const BACKUP_OVERVIEW_INTERVAL_MS = 60_000;

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
        <BusyButton
          busy={making}
          className="button button-primary"
          onClick={() => void initKey()}
          disabled={making}
          data-testid="backup-key-init"
          label={t('backups.keyInit')}
          busyLabel={t('backups.keyIniting')}
        />
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

function BackupRow({ row, now, nav }: { row: BackupSummary; now: number; nav: RowNav }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const bytes = useBytes();
  const open = useBackups((s) => s.open);
  const tone = summaryTone(row, now);
  const last = row.last;
  return (
    <NavRow
      {...nav}
      className={`backup-row tone-row tone-row-${tone}`}
      data-testid={`backup-row-${row.slug}`}
      data-host={row.host}
      data-tone={tone}
      aria-label={t('backups.open', { slug: row.slug, host: row.host })}
      onOpen={() => open({ view: 'tenant', host: row.host, slug: row.slug })}
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
    </NavRow>
  );
}

/** How many tenants' newest backups are fresh, stale and old: one tile each. */
const STATS = [
  ['ok', 'backups.fresh'],
  ['warning', 'backups.stale'],
  ['error', 'backups.old'],
] as const;

const OVERVIEW = ['tenants', 'unreachable', 'loaded', 'filter', 'setFilter', 'loadOverview', 'open'] as const;

function Overview(): ReactElement {
  const { t } = useTranslation();
  const { tenants, unreachable, loaded, filter, setFilter, loadOverview, open } = useFields(
    useBackups,
    OVERVIEW,
  );
  const loading = useBackups((s) => Boolean(s.busy['overview']));
  const hosts = useConsole((s) => s.hosts);
  const now = useNow();
  const counts = freshnessCounts(tenants, now);
  const scheduleHosts: HostView[] = hosts;

  return (
    <HostList
      ns="backups"
      prefix="backup"
      hosts={hosts}
      loaded={loaded}
      all={tenants}
      rows={filterSummaries(sortSummaries(tenants, now), filter, now)}
      rowKey={(r) => `${r.host}/${r.slug}`}
      renderRow={(r, nav) => <BackupRow row={r} now={now} nav={nav} />}
      onOpen={(r) => open({ view: 'tenant', host: r.host, slug: r.slug })}
      refreshing={loading}
      onRefresh={() => void loadOverview()}
      errorScope="backups"
      banners={<KeyBanner />}
      unreachable={unreachable.map((u) => ({ host: u.host, message: u.error }))}
      summary={
        <section className="stat-grid backup-stats" aria-label={t('backups.legend')}>
          {STATS.map(([tone, label]) => (
            <div
              key={tone}
              className={`stat stat-${tone}${counts[tone] === 0 ? ' stat-zero' : ''}`}
              data-testid={`backups-count-${tone}`}
            >
              <span className="stat-value">{counts[tone]}</span>
              <span className="stat-label">{t(label)}</span>
            </div>
          ))}
        </section>
      }
      filter={filter}
      onFilter={setFilter}
      filterExtra={
        <label className="checkbox-row filter-check">
          <input
            type="checkbox"
            data-testid="backup-filter-attention"
            checked={filter.attention}
            onChange={(e) => setFilter({ attention: e.target.checked })}
          />
          <span className="checkbox-label">{t('backups.attentionOnly')}</span>
        </label>
      }
      onClearFilter={() => setFilter({ host: '', text: '', attention: false })}
      columns={[
        t('backups.col.host'),
        t('backups.col.tenant'),
        t('backups.col.lastBackup'),
        t('backups.col.age'),
        { label: t('backups.col.size'), className: 'num' },
        t('backups.col.lastRun'),
        t('backups.col.drill'),
      ]}
      note={`${t('backups.legend')} ${t('backups.keyboardHint')} ${t('backups.autoRefresh')}`}
    >
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
    </HostList>
  );
}

/** The Backups section: every tenant's backups, or one tenant's. */
export function BackupsScreen(): ReactElement {
  const route = useBackups((s) => s.route);
  const loadKey = useBackups((s) => s.loadKey);
  useListSection(useBackups, '#/backups', backupsRouteFromHash, BACKUP_OVERVIEW_INTERVAL_MS, 'loadOverview');
  useEffect(() => {
    void loadKey();
  }, [loadKey]);

  const routeKey = JSON.stringify(route);
  const ref = useViewFocus(routeKey);

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
