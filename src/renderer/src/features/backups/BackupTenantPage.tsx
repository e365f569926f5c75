import { useEffect, useId, useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { backupKey, newestAtFirst, newestFirst, neverRestored, reportOutcome } from './backups';
import type { BackupEntry, RestoreReport } from './backups';
import { useBackups } from './backupsStore';
import {
  DrillBadge,
  FreshnessBadge,
  KindTag,
  NeverRestoredTag,
  OffsiteBadge,
  RunBadge,
  useBytes,
  useCountsText,
  useLng,
  useSeconds,
} from './BackupBadges';
import { CheckIcon, WarningIcon } from '../../kit/Icons';
import { formatDateTime, formatRelative } from '../../kit/format';
import { Mismatches, RestoreDialog } from './RestoreDialog';
import { BusyButton, DetailScreen, FirstRead, StaleNotice, TableCard } from '../../kit/DetailParts';
import { TableHead } from '../../kit/TableHead';
import type { Column } from '../../kit/TableHead';
import { useFields } from '../../kit/useFields';

/** How many runs and restores are listed (the newest). */
const RECENT = 15;

function DrillResult({ report }: { report: RestoreReport }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const seconds = useSeconds();
  return (
    <section
      className={`card verify-card ${report.ok ? 'verify-ok' : 'verify-failed'}`}
      aria-labelledby="drill-result-title"
      data-testid="drill-report"
      data-ok={report.ok}
    >
      <div className="card-header">
        <h2 id="drill-result-title">{t('backup.drillTitle', { id: report.backupId })}</h2>
        <time className="muted small" dateTime={report.at} title={formatDateTime(report.at, lng)}>
          {formatRelative(report.at, lng)}
        </time>
      </div>
      <p
        className={report.ok ? 'text-ok verify-summary' : 'text-error verify-summary'}
        data-testid="drill-summary"
      >
        {{
          ok: () => t('backup.drillOk', { checked: report.checked }),
          mismatched: () =>
            t('backup.drillFailed', { count: report.mismatches.length, checked: report.checked }),
          failed: () => t('backup.drillFailedReason'),
        }[reportOutcome(report)]()}
      </p>
      {!report.ok && report.mismatches.length === 0 && report.detail ? (
        <p className="text-error" data-testid="drill-detail">
          {report.detail}
        </p>
      ) : null}
      <Mismatches report={report} testId="drill-mismatches" />
      <p className="muted small">
        {t('backup.drillTarget', { target: report.target, host: report.host })} {seconds(report.seconds)}
      </p>
      {report.detail && (report.ok || report.mismatches.length > 0) ? (
        <p className="muted small">{report.detail}</p>
      ) : null}
    </section>
  );
}

function BackupsTable({
  slug,
  backups,
  onRestore,
  disabled,
}: {
  slug: string;
  backups: BackupEntry[];
  onRestore: (b: BackupEntry) => void;
  disabled: boolean;
}): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const bytes = useBytes();
  const countsText = useCountsText();
  return (
    <TableCard
      titleId="backups-title"
      title={t('backup.backups')}
      empty={backups.length === 0 ? t('backup.noBackups') : null}
      emptyTestId="backup-none"
    >
      <div className="table-scroll">
        <table
          className="table entries-table"
          aria-label={t('backup.backupsLabel', { slug })}
          data-testid="backup-entries"
        >
          <TableHead
            columns={[
              t('backup.col.time'),
              t('backup.col.kind'),
              { label: t('backup.col.size'), className: 'num' },
              t('backup.col.contents'),
              t('backup.col.offsite'),
              t('backup.col.proven'),
              { label: <span className="visually-hidden">{t('backup.col.actions')}</span> },
            ]}
          />
          <tbody>
            {backups.map((b) => (
              <tr key={b.id} data-testid={`backup-entry-${b.id}`} data-kind={b.kind}>
                <th scope="row">
                  <time dateTime={b.createdAt} className="entry-time">
                    {formatDateTime(b.createdAt, lng)}
                  </time>
                  <span className="mono muted small entry-id">{b.id}</span>
                </th>
                <td>
                  <KindTag kind={b.kind} />
                </td>
                <td className="num nowrap">{bytes(b.size)}</td>
                <td className="small" data-testid={`backup-counts-${b.id}`}>
                  {countsText(b.counts)}
                </td>
                <td>
                  {b.offsite ? (
                    <span className="tag tag-ok">
                      <CheckIcon />
                      {t('backup.offsiteYes')}
                    </span>
                  ) : (
                    <span className="muted small">{t('backup.offsiteNo')}</span>
                  )}
                </td>
                <td>
                  {neverRestored(b) ? (
                    <NeverRestoredTag testId={`backup-unproven-${b.id}`} />
                  ) : b.provenAt ? (
                    <span
                      className="tag tag-ok"
                      data-testid={`backup-proven-${b.id}`}
                      title={formatDateTime(b.provenAt, lng)}
                    >
                      <CheckIcon />
                      {t('backups.proven', { when: formatRelative(b.provenAt, lng) })}
                    </span>
                  ) : null}
                </td>
                <td className="row-actions">
                  <button
                    type="button"
                    className="button button-small button-danger-outline"
                    onClick={() => onRestore(b)}
                    disabled={disabled}
                    aria-haspopup="dialog"
                    aria-label={t('backup.restoreLabel', { slug, when: formatDateTime(b.createdAt, lng) })}
                    data-testid={`backup-restore-${b.id}`}
                  >
                    {t('backup.restore')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </TableCard>
  );
}

const PAGE = ['restore', 'loadList', 'loadOverview', 'backUpNow', 'drill', 'openRestore', 'open'] as const;

/** The newest runs or restores: a titled table, a row each, the time first. */
function HistoryCard<R extends { at: string }>({
  titleId,
  title,
  emptyText,
  className,
  testId,
  columns,
  items,
  rowData,
  cells,
}: {
  titleId: string;
  title: string;
  emptyText: string;
  className: string;
  testId: string;
  columns: readonly Column[];
  items: readonly R[];
  rowData: (item: R) => Record<`data-${string}`, string | boolean>;
  cells: (item: R, index: number) => ReactNode;
}): ReactElement {
  const lng = useLng();
  return (
    <TableCard titleId={titleId} title={title} empty={items.length === 0 ? emptyText : null}>
      <table className={`table ${className}`} data-testid={testId}>
        <TableHead columns={columns} />
        <tbody>
          {items.map((r, i) => (
            <tr key={`${r.at}-${i}`} {...rowData(r)}>
              <th scope="row">
                <time dateTime={r.at}>{formatDateTime(r.at, lng)}</time>
              </th>
              {cells(r, i)}
            </tr>
          ))}
        </tbody>
      </table>
    </TableCard>
  );
}

/** One tenant's backups: make one now, drill one, restore one; its runs, restores and drills. */
export function BackupTenantPage({ host, slug }: { host: string; slug: string }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const seconds = useSeconds();
  const id = useId();
  const key = backupKey(host, slug);
  const entry = useBackups((s) => s.lists[key]);
  const listError = useBackups((s) => s.listErrors[key] ?? null);
  const summary = useBackups((s) => s.tenants.find((x) => x.host === host && x.slug === slug));
  const drillEntry = useBackups((s) => s.drills[key]);
  const activity = useBackups((s) => s.activity[key]);
  const { restore, loadList, loadOverview, backUpNow, drill, openRestore, open } = useFields(
    useBackups,
    PAGE,
  );
  const reading = useBackups((s) => Boolean(s.busy[`list:${key}`]));
  const creating = useBackups((s) => Boolean(s.busy[`create:${key}`]));
  const drilling = useBackups((s) => Boolean(s.busy[`drill:${key}`]));
  const restoring = useBackups((s) => Boolean(s.busy[`restore:${key}`]));
  const [drillId, setDrillId] = useState('');
  const [now] = useState(() => Date.now());

  useEffect(() => {
    void loadList(host, slug);
    const s = useBackups.getState();
    if (!s.loaded) void loadOverview({ quiet: true });
  }, [host, slug, loadList, loadOverview]);

  const list = entry?.list;
  const backups = list ? newestFirst(list.backups) : [];
  const runs = list ? newestAtFirst(list.runs).slice(0, RECENT) : [];
  const restores = list ? newestAtFirst(list.restores).slice(0, RECENT) : [];
  const working = creating || drilling || restoring;
  const newest = backups[0] ?? null;
  const chosenDrill = backups.some((b) => b.id === drillId) ? drillId : (newest?.id ?? '');

  return (
    <DetailScreen
      section="backups"
      host={host}
      slug={slug}
      backLabel={t('backup.back')}
      onBack={() => open({ view: 'list' })}
      badge={<FreshnessBadge last={newest ?? summary?.last ?? null} now={now} testId="backup-tenant-age" />}
      subtitle={
        <>
          <span className="chip" data-testid="backup-tenant-host">
            {host}
          </span>
          {summary ? (
            <span className="muted">{t('backup.tenantState', { state: summary.state })}</span>
          ) : null}
        </>
      }
      refreshing={reading}
      onRefresh={() => void loadList(host, slug)}
      actions={
        <BusyButton
          busy={creating}
          className="button button-primary"
          onClick={() => void backUpNow(host, slug)}
          disabled={working}
          data-testid="backup-now"
          label={t('backup.backUpNow')}
          busyLabel={t('backup.backingUp')}
        />
      }
    >
      {working && activity ? (
        <div className="callout callout-info" role="status" data-testid="backup-activity">
          <span className="spinner" aria-hidden="true" />
          <p className="mono small">{t('backup.working', { message: activity.message })}</p>
        </div>
      ) : null}

      {listError && entry ? (
        <StaleNotice
          testId="backup-refresh-failed"
          text={t('backup.refreshFailed', { message: listError.message })}
        />
      ) : null}

      {!list ? (
        <FirstRead reading={reading} error={listError} text={t('backup.loading')} />
      ) : (
        <>
          {summary?.lastRun && !summary.lastRun.ok ? (
            <div className="callout callout-error" role="status" data-testid="backup-last-run-failed">
              <WarningIcon />
              <RunBadge run={summary.lastRun} />
            </div>
          ) : null}

          <BackupsTable
            slug={slug}
            backups={backups}
            disabled={working}
            onRestore={(b) => openRestore(host, slug, b)}
          />

          <section className="card drill-card" aria-labelledby={`${id}-drill`}>
            <h2 id={`${id}-drill`}>{t('backup.drill')}</h2>
            <p className="muted small">{t('backup.drillHelp')}</p>
            <div className="drill-row">
              <div className="field">
                <label htmlFor={`${id}-drill-which`}>{t('backup.drillWhich')}</label>
                <select
                  id={`${id}-drill-which`}
                  data-testid="drill-backup"
                  value={chosenDrill}
                  disabled={backups.length === 0 || working}
                  onChange={(e) => setDrillId(e.target.value)}
                >
                  {backups.map((b) => (
                    <option key={b.id} value={b.id}>
                      {formatDateTime(b.createdAt, lng)} · {t(`backups.kind.${b.kind}`)} · {b.id}
                    </option>
                  ))}
                </select>
              </div>
              <BusyButton
                busy={drilling}
                onClick={() => void drill(host, slug, chosenDrill || undefined)}
                disabled={working || backups.length === 0}
                data-testid="backup-drill"
                label={t('backup.drill')}
                busyLabel={t('backup.drilling')}
              />
            </div>
          </section>

          {drillEntry ? <DrillResult report={drillEntry.report} /> : null}

          <HistoryCard
            titleId={`${id}-runs`}
            title={t('backup.runs')}
            emptyText={t('backup.noRuns')}
            className="runs-table"
            testId="backup-runs"
            columns={[
              t('backup.runCol.at'),
              t('backup.runCol.kind'),
              t('backup.runCol.result'),
              t('backup.runCol.backup'),
              { label: t('backup.runCol.duration'), className: 'num' },
            ]}
            items={runs}
            rowData={(r) => ({ 'data-ok': r.ok, 'data-skipped': r.skipped === true })}
            cells={(r, i) => (
              <>
                <td>
                  <KindTag kind={r.kind} />
                </td>
                <td>
                  <RunBadge run={r} />
                  <OffsiteBadge run={r} testId={`backup-run-offsite-${i}`} />
                </td>
                <td className="mono small">{r.id ?? t('common.none')}</td>
                <td className="num nowrap">{seconds(r.seconds)}</td>
              </>
            )}
          />

          <HistoryCard
            titleId={`${id}-restores`}
            title={t('backup.restores')}
            emptyText={t('backup.noRestores')}
            className="restores-table"
            testId="backup-restores"
            columns={[
              t('backup.restoreCol.at'),
              t('backup.restoreCol.kind'),
              t('backup.restoreCol.backup'),
              t('backup.restoreCol.result'),
              { label: t('backup.restoreCol.checked'), className: 'num' },
              t('backup.restoreCol.safety'),
              { label: t('backup.restoreCol.duration'), className: 'num' },
            ]}
            items={restores}
            rowData={(r) => ({ 'data-kind': r.kind, 'data-ok': r.ok })}
            cells={(r) => (
              <>
                <td>{t(`backup.reportKind.${r.kind}`)}</td>
                <td className="mono small">{r.backupId}</td>
                <td>
                  <DrillBadge report={r} />
                </td>
                <td className="num">{r.checked}</td>
                <td className="mono small">{r.safetyBackupId ?? t('common.none')}</td>
                <td className="num nowrap">{seconds(r.seconds)}</td>
              </>
            )}
          />

          <p className="muted small table-note">
            {t('backup.autoRefresh', { when: formatRelative(entry.at, lng) })}
          </p>
        </>
      )}

      {restore && restore.host === host && restore.slug === slug ? <RestoreDialog dialog={restore} /> : null}
    </DetailScreen>
  );
}
