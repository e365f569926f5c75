import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { useLng } from '../../kit/useLocale';
import { ErrorBox } from '../../kit/ErrorBanner';
import { CheckIcon, WarningIcon } from '../../kit/Icons';
import { ToneIcon } from '../tenants/TenantBadges';
import { formatDateTime, formatNumber } from '../../kit/format';
import { Button } from '../../kit/Button';
import { Callout } from '../../kit/Callout';
import { ProgressMeter } from '../../kit/ProgressMeter';
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

/** The four outcome counts under the bar, in this order, each as a badge of its tone. */
const TALLY = [
  { key: 'updated', tone: 'ok', testId: 'updated' },
  { key: 'rolledBack', tone: 'warning', testId: 'rolled-back' },
  { key: 'failed', tone: 'error', testId: 'failed' },
  { key: 'skipped', tone: 'unknown', testId: 'skipped' },
] as const;

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
        <ProgressMeter
          percent={tally.percent}
          state={barState}
          label={t('updates.barLabel')}
          testIdPrefix="fleet"
        >
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
        </ProgressMeter>
        <p className="fleet-tally" data-testid="fleet-tally">
          {TALLY.map(({ key, tone, testId }) => (
            <span
              key={key}
              className={`badge badge-${tone}`}
              data-count={tally[key]}
              data-testid={`fleet-tally-${testId}`}
            >
              <ToneIcon tone={tone} />
              <span className="badge-text">
                {t(`updates.tally.${key}`)}: {tally[key]}
              </span>
            </span>
          ))}
        </p>
        {phase === 'done' ? (
          run.stopped ? (
            <Callout tone="warning" testId="fleet-stopped">
              <WarningIcon />
              <p>{t('updates.stopped', { stop: run.input.stopAfterFailures ?? 1 })}</p>
            </Callout>
          ) : (
            <Callout tone="ok" testId="fleet-complete">
              <CheckIcon />
              <p>{t('updates.complete')}</p>
            </Callout>
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
          <Button onClick={closeRun} testId="fleet-back">
            {t('updates.backToForm')}
          </Button>
          <Button tone="primary" onClick={resetDraft} testId="fleet-new">
            {t('updates.newUpdate')}
          </Button>
        </div>
      ) : null}
    </>
  );
}
