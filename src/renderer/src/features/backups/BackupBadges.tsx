/** Small pieces the Backups screens share: freshness, run and drill badges, counts, sizes. */
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { drillTone, freshnessTone, offsiteState, runTone, summarizeCounts } from './backups';
import type { BackupEntry, BackupKind, BackupRun, RestoreReport } from './backups';
import { formatBytes, formatDateTime, formatNumber, formatRelative } from '../../kit/format';
import { ToneIcon } from '../tenants/TenantBadges';
import { useLng, useUnits } from '../../kit/useLocale';
import type { Lng } from '../../kit/useLocale';

export { useLng, useUnits };
export type { Lng };

/** "3.8 GiB" in the UI language. */
export function useBytes(): (n: number) => string {
  const lng = useLng();
  const units = useUnits();
  return (n) => formatBytes(n, lng, units);
}

/** "12 s", "1.5 s". */
export function useSeconds(): (n: number) => string {
  const { t } = useTranslation();
  const lng = useLng();
  return (n) => t('backup.seconds', { value: formatNumber(n, lng, n < 10 ? 1 : 0) });
}

/** The age of the newest backup, coloured: green, amber beyond 26 h, red beyond 48 h or none. */
export function FreshnessBadge({
  last,
  now,
  testId,
}: {
  last: Pick<BackupEntry, 'createdAt'> | null;
  now: number;
  testId?: string;
}): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const tone = freshnessTone(last, now);
  return (
    <span
      className={`badge badge-${tone}`}
      data-testid={testId}
      data-tone={tone}
      title={last ? formatDateTime(last.createdAt, lng) : undefined}
    >
      <ToneIcon tone={tone} />
      <span className="badge-text">
        {last
          ? // A backup newer than the screen's clock (read after it last ticked) is "now", not "in 14 s".
            formatRelative(last.createdAt, lng, Math.max(now, Date.parse(last.createdAt) || now))
          : t('backups.ageNone')}
      </span>
    </span>
  );
}

/** The agent's last run: succeeded green; failed red, with its error under it. */
export function RunBadge({
  run,
  testId,
  showError = true,
  clamp = false,
}: {
  run: Pick<BackupRun, 'ok' | 'error' | 'skipped'> | null;
  testId?: string;
  showError?: boolean;
  /** Show at most three lines of the error (the whole of it on hover): for tables of many rows. */
  clamp?: boolean;
}): ReactElement {
  const { t } = useTranslation();
  const tone = runTone(run);
  const label = !run
    ? t('backups.run.none')
    : run.skipped
      ? t('backups.run.skipped')
      : run.ok
        ? t('backups.run.ok')
        : t('backups.run.failed');
  return (
    <span className="run-cell">
      <span className={`badge badge-${tone}`} data-testid={testId} data-tone={tone}>
        <ToneIcon tone={tone} />
        <span className="badge-text">{label}</span>
      </span>
      {showError && run && !run.ok && run.error ? (
        <span
          className={clamp ? 'run-error run-error-clamp' : 'run-error'}
          title={clamp ? run.error : undefined}
          data-testid={testId ? `${testId}-error` : undefined}
        >
          {run.error}
        </span>
      ) : null}
    </span>
  );
}

/**
 * A drill's (or restore's) result: passed (a restore: succeeded) green, failed red with how many
 * counts differ.
 */
export function DrillBadge({
  report,
  testId,
}: {
  report: (Pick<RestoreReport, 'ok' | 'mismatches'> & { kind?: RestoreReport['kind'] }) | null;
  testId?: string;
}): ReactElement {
  const { t } = useTranslation();
  const tone = drillTone(report);
  const words = report?.kind === 'restore' ? 'run' : 'drill';
  const label = !report
    ? t('backups.drill.none')
    : report.ok
      ? t(`backups.${words}.ok`)
      : t(`backups.${words}.failed`);
  return (
    <span className={`badge badge-${tone}`} data-testid={testId} data-tone={tone}>
      <ToneIcon tone={tone} />
      <span className="badge-text">
        {label}
        {report && !report.ok && report.mismatches.length > 0
          ? ` · ${t('backups.mismatches', { count: report.mismatches.length })}`
          : ''}
      </span>
    </span>
  );
}

/** Amber: the backup was never restored or drilled, nothing proves it restores. */
export function NeverRestoredTag({ testId }: { testId?: string }): ReactElement {
  const { t } = useTranslation();
  return (
    <span className="tag tag-warning" data-testid={testId} title={t('backups.neverRestoredTitle')}>
      <ToneIcon tone="warning" />
      {t('backups.neverRestored')}
    </span>
  );
}

export function KindTag({ kind }: { kind: BackupKind }): ReactElement {
  const { t } = useTranslation();
  return <span className={`tag tag-kind tag-kind-${kind}`}>{t(`backups.kind.${kind}`)}</span>;
}

type CountKey = 'tables' | 'rows' | 'points' | 'workflows';

/** "12 tables · 345 rows · 3 points · 4 workflows". */
export function useCountsText(): (counts: BackupEntry['counts']) => string {
  const { t } = useTranslation();
  const lng = useLng();
  const rules = new Intl.PluralRules(lng === 'ru' ? 'ru-RU' : 'en-GB');
  const one = (key: CountKey, n: number): string => {
    const form = rules.select(n) === 'one' ? 'one' : 'other';
    return t(`backups.counts.${key}.${form}`, { n: formatNumber(n, lng, 0) });
  };
  return (counts) => {
    const c = summarizeCounts(counts);
    return [
      one('tables', c.tables),
      one('rows', c.rows),
      one('points', c.points),
      one('workflows', c.workflows),
    ].join(' · ');
  };
}

/** The offsite copy of a run's archive: green when made, red with the reason when it failed; nothing when none is set up. */
export function OffsiteBadge({
  run,
  testId,
}: {
  run: Pick<BackupRun, 'offsite'> | null;
  testId?: string;
}): ReactElement | null {
  const { t } = useTranslation();
  const o = offsiteState(run);
  if (!o) return null;
  return (
    <span className="run-cell">
      <span className={`badge badge-${o.tone}`} data-testid={testId} data-tone={o.tone}>
        <ToneIcon tone={o.tone} />
        <span className="badge-text">{t(o.label)}</span>
      </span>
      {o.error ? (
        <span className="run-error" data-testid={testId ? `${testId}-error` : undefined}>
          {o.error}
        </span>
      ) : null}
    </span>
  );
}
