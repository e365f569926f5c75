import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { useLng } from '../../kit/useLocale';
import { ErrorBox } from '../../kit/ErrorBanner';
import { CheckIcon, WarningIcon } from '../../kit/Icons';
import { ToneIcon } from '../tenants/TenantBadges';
import { formatDateTime, formatNumber } from '../../kit/format';
import { fleetStateTone, tallyFleet } from './fleetUpdate';
import type { FleetRow, FleetRun } from './fleetUpdate';
import { useFleetUpdate } from './fleetUpdateStore';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { useFields } from '../../kit/useFields';

import { FleetStateBadge } from './FleetFields';

function RowsTable({ run, final }: { run: FleetRun; final: boolean }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const seconds = (n: number | null): string =>
    n === null ? t('common.none') : t('updates.seconds', { value: formatNumber(n, lng, n < 10 ? 1 : 0) });
  return (
    <table
      className="table fleet-rows"
      aria-label={final ? t('updates.outcomesTitle') : t('updates.liveLabel')}
      data-testid={final ? 'fleet-outcomes' : 'fleet-live'}
    >
      <thead>
        <tr>
          <th scope="col">{t('updates.col.host')}</th>
          <th scope="col">{t('updates.col.tenant')}</th>
          <th scope="col">{t('updates.col.state')}</th>
          <th scope="col">{t('updates.col.detail')}</th>
          {final ? (
            <>
              <th scope="col">{t('updates.col.backup')}</th>
              <th scope="col" className="num">
                {t('updates.col.duration')}
              </th>
            </>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {run.rows.map((r: FleetRow) => (
          <tr
            key={`${r.host}/${r.slug}`}
            className={`tone-row tone-row-${fleetStateTone(r.state)}`}
            data-testid={`fleet-row-${r.slug}`}
            data-state={r.state}
            data-tone={fleetStateTone(r.state)}
          >
            <td className="nowrap">{r.host}</td>
            <th scope="row" className="mono">
              {r.slug}
            </th>
            <td className="nowrap">
              <FleetStateBadge state={r.state} testId={`fleet-state-${r.slug}`} />
            </td>
            <td className="small fleet-detail">{r.detail || t('common.none')}</td>
            {final ? (
              <>
                <td className="mono small">{r.backupId ?? t('common.none')}</td>
                <td className="num nowrap">{seconds(r.seconds)}</td>
              </>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const RUN_ACTIONS = ['closeRun', 'resetDraft'] as const;

export function FleetRunView({ run }: { run: FleetRun }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const { closeRun, resetDraft } = useFields(useFleetUpdate, RUN_ACTIONS);
  const tally = tallyFleet(run);
  const phase = run.phase;
  const title =
    phase === 'running'
      ? t('updates.titleRunning')
      : phase === 'done'
        ? t('updates.titleDone')
        : t('updates.titleFailed');
  const barState =
    phase === 'running'
      ? 'running'
      : phase === 'failed' || tally.failed > 0 || run.stopped
        ? 'failed'
        : 'succeeded';
  return (
    <>
      <ScreenHeader title={title} subtitle={t('updates.opId', { id: run.opId })} />
      <section className="card progress-card" data-testid="fleet-progress" data-phase={phase}>
        <div className="progress-meta">
          {phase === 'running' ? (
            <span className="spinner" aria-hidden="true" />
          ) : phase === 'done' && barState === 'succeeded' ? (
            <CheckIcon />
          ) : (
            <WarningIcon />
          )}
          <span data-testid="fleet-progress-text">
            {run.rows.length === 0 && phase === 'running'
              ? t('updates.waiting')
              : t('updates.progress', { finished: tally.finished, total: tally.total })}
          </span>
          <span className="muted small">{formatDateTime(run.startedAt, lng)}</span>
          <span className="progress-percent" data-testid="fleet-percent">
            {formatNumber(tally.percent, lng, 0)}
            {'\u00a0%'}
          </span>
        </div>
        <div
          className={`progress progress-${barState}`}
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={tally.percent}
          aria-label={t('updates.barLabel')}
          data-testid="fleet-bar"
        >
          <div className="progress-fill" style={{ width: `${tally.percent}%` }} />
        </div>
        <p className="fleet-tally" data-testid="fleet-tally">
          <span className="badge badge-ok" data-count={tally.updated} data-testid="fleet-tally-updated">
            <ToneIcon tone="ok" />
            <span className="badge-text">
              {t('updates.tally.updated')}: {tally.updated}
            </span>
          </span>
          <span
            className="badge badge-warning"
            data-count={tally.rolledBack}
            data-testid="fleet-tally-rolled-back"
          >
            <ToneIcon tone="warning" />
            <span className="badge-text">
              {t('updates.tally.rolledBack')}: {tally.rolledBack}
            </span>
          </span>
          <span className="badge badge-error" data-count={tally.failed} data-testid="fleet-tally-failed">
            <ToneIcon tone="error" />
            <span className="badge-text">
              {t('updates.tally.failed')}: {tally.failed}
            </span>
          </span>
          <span className="badge badge-unknown" data-count={tally.skipped} data-testid="fleet-tally-skipped">
            <ToneIcon tone="unknown" />
            <span className="badge-text">
              {t('updates.tally.skipped')}: {tally.skipped}
            </span>
          </span>
        </p>
        {phase === 'done' ? (
          run.stopped ? (
            <div className="callout callout-warning" role="status" data-testid="fleet-stopped">
              <WarningIcon />
              <p>{t('updates.stopped', { stop: run.input.stopAfterFailures ?? 1 })}</p>
            </div>
          ) : (
            <div className="callout callout-ok" role="status" data-testid="fleet-complete">
              <CheckIcon />
              <p>{t('updates.complete')}</p>
            </div>
          )
        ) : null}
        {phase === 'failed' && run.error ? <ErrorBox error={run.error} /> : null}
      </section>

      {run.rows.length > 0 ? (
        <section className="card table-card">
          {phase === 'running' ? null : <h2 className="table-card-title">{t('updates.outcomesTitle')}</h2>}
          <RowsTable run={run} final={phase !== 'running'} />
        </section>
      ) : null}

      {phase !== 'running' ? (
        <div className="form-actions">
          <button type="button" className="button" onClick={closeRun} data-testid="fleet-back">
            {t('updates.backToForm')}
          </button>
          <button
            type="button"
            className="button button-primary"
            onClick={resetDraft}
            data-testid="fleet-new"
          >
            {t('updates.newUpdate')}
          </button>
        </div>
      ) : null}
    </>
  );
}

/** The Fleet update section: the form, or the update in progress and its outcomes. */
