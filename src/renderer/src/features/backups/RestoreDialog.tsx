import { useEffect, useId, useRef } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { useBackups, restoreReady } from './backupsStore';
import type { RestoreDialog as RestoreDialogState } from './backupsStore';
import { backupKey, reportOutcome } from './backups';
import type { RestoreReport } from './backups';
import { useLng } from './BackupBadges';
import { ErrorBox } from '../../kit/ErrorBanner';
import { CheckIcon, ErrorIcon } from '../../kit/Icons';
import { useFields } from '../../kit/useFields';
import { ConfirmButtons, DangerDialog, RiskyCheckbox, TypeToConfirm } from '../../kit/DetailParts';
import { formatDateTime, formatNumber, formatRelative } from '../../kit/format';

/** The counts that differ between a backup and what was restored. */
export function Mismatches({
  report,
  testId,
}: {
  report: RestoreReport;
  testId: string;
}): ReactElement | null {
  const { t } = useTranslation();
  const lng = useLng();
  if (report.mismatches.length === 0) return null;
  return (
    <ul className="mismatches" data-testid={testId}>
      {report.mismatches.map((m) => (
        <li key={m.what} className="mismatch">
          {t('backup.mismatch', {
            what: m.what,
            expected: formatNumber(m.expected, lng, 0),
            actual: m.actual === null ? t('backup.missing') : formatNumber(m.actual, lng, 0),
          })}
        </li>
      ))}
    </ul>
  );
}

function Report({ report }: { report: RestoreReport }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  return (
    <div
      className={`report ${report.ok ? 'report-ok' : 'report-failed'}`}
      data-testid="restore-report"
      data-ok={report.ok}
      role="status"
    >
      <p
        className={report.ok ? 'text-ok report-summary' : 'text-error report-summary'}
        data-testid="restore-summary"
      >
        {report.ok ? <CheckIcon /> : <ErrorIcon />}{' '}
        {{
          ok: () => t('restore.ok', { checked: report.checked }),
          mismatched: () =>
            t('restore.mismatched', { count: report.mismatches.length, checked: report.checked }),
          failed: () => t('restore.failedReason'),
        }[reportOutcome(report)]()}
      </p>
      {!report.ok && report.mismatches.length > 0 ? (
        <>
          <h3>{t('restore.mismatches')}</h3>
          <Mismatches report={report} testId="restore-mismatches" />
        </>
      ) : null}
      {report.detail ? (
        <p
          className={
            !report.ok && report.mismatches.length === 0
              ? 'report-detail text-error'
              : 'muted small report-detail'
          }
          data-testid="restore-detail"
        >
          {report.detail}
        </p>
      ) : null}
      <p data-testid="restore-safety">
        {report.safetyBackupId ? (
          <>
            {t('restore.safetyTaken')}{' '}
            <code className="inline-code" data-testid="restore-safety-id">
              {report.safetyBackupId}
            </code>
          </>
        ) : (
          t('restore.noSafety')
        )}
      </p>
      <p className="muted small">{t('restore.took', { value: formatNumber(report.seconds, lng, 1) })}</p>
    </div>
  );
}

const DIALOG = ['setRestoreTyped', 'setSkipSafetyBackup', 'confirmRestore', 'closeRestore'] as const;

/**
 * Restore a tenant to one backup. Names the tenant, its host and the backup's time; warns that the
 * current data is replaced (after a safety backup); the Restore button stays disabled until the
 * slug is typed again. Then the run (busy) and its report, or the error.
 */
export function RestoreDialog({ dialog }: { dialog: RestoreDialogState }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const {
    setRestoreTyped: setTyped,
    setSkipSafetyBackup: setSkip,
    confirmRestore: confirm,
    closeRestore: close,
  } = useFields(useBackups, DIALOG);
  const activity = useBackups((s) => s.activity[backupKey(dialog.host, dialog.slug)]);
  const { slug, host, phase } = dialog;
  const running = phase === 'running';
  const when = formatDateTime(dialog.createdAt, lng);
  const ready = restoreReady(dialog);
  const closeRef = useRef<HTMLButtonElement>(null);
  const finished = phase === 'done' || phase === 'failed';

  // The typed field goes away once the restore starts: when it ends, focus the way out.
  useEffect(() => {
    if (finished) closeRef.current?.focus();
  }, [finished]);

  return (
    <DangerDialog
      id={id}
      busy={running}
      onCancel={close}
      testId="restore-dialog"
      initialFocus={inputRef}
      title={t('restore.title', { slug })}
      titleTestId="restore-title"
      onSubmit={() => {
        if (ready) void confirm();
      }}
    >
      <div id={`${id}-body`} className="modal-body" data-testid="restore-body" data-phase={phase}>
        <p data-testid="restore-what">{t('restore.body', { slug, host, when })}</p>
        <dl className="fp-facts restore-facts">
          <dt>{t('restore.backupId')}</dt>
          <dd className="mono" data-testid="restore-backup-id">
            {dialog.backupId}
          </dd>
          <dt>{t('restore.made')}</dt>
          <dd data-testid="restore-backup-time">
            <time dateTime={dialog.createdAt}>{when}</time>{' '}
            <span className="muted">({formatRelative(dialog.createdAt, lng)})</span>
          </dd>
        </dl>
        {phase === 'confirm' ? (
          <>
            <p className="note">{t('restore.safety')}</p>
            <RiskyCheckbox
              testId="restore-skip-safety"
              label={t('restore.skipSafety')}
              checked={dialog.skipSafetyBackup}
              onChange={setSkip}
              warning={dialog.skipSafetyBackup ? t('restore.skipSafetyWarning') : null}
            />
            <TypeToConfirm
              id={`${id}-confirm`}
              label={t('restore.type')}
              slug={slug}
              inputRef={inputRef}
              testId="restore-confirm-input"
              value={dialog.typed}
              onChange={setTyped}
            />
          </>
        ) : null}
        {running ? (
          <div className="callout callout-info restore-running" role="status" data-testid="restore-running">
            <span className="spinner" aria-hidden="true" />
            <div>
              <p>{t('restore.runningNote', { slug })}</p>
              {activity ? (
                <p className="mono small restore-activity" data-testid="restore-activity">
                  {activity.message}
                </p>
              ) : null}
            </div>
          </div>
        ) : null}
        {phase === 'done' && dialog.report ? <Report report={dialog.report} /> : null}
        {phase === 'failed' && dialog.error ? (
          <div data-testid="restore-error">
            <h3 className="text-error">{t('restore.failedTitle')}</h3>
            <ErrorBox error={dialog.error} />
          </div>
        ) : null}
      </div>
      <div className="modal-actions">
        {phase === 'confirm' || running ? (
          <ConfirmButtons
            prefix="restore"
            busy={running}
            ready={ready}
            onCancel={close}
            label={t('restore.confirm', { slug })}
            busyLabel={t('restore.running')}
            spinner
          />
        ) : (
          <button
            type="button"
            ref={closeRef}
            className="button button-primary"
            onClick={close}
            data-testid="restore-close"
          >
            {t('restore.close')}
          </button>
        )}
      </div>
    </DangerDialog>
  );
}
