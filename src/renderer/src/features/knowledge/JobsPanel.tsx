/**
 * The jobs at work and the recent ones, live from `kb.progress`: the file, the kind, the phase
 * (a bar with done/total while embedding or indexing), retries, the error, and Cancel while it
 * is not finished.
 */
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { KbJobView } from '../../../../shared/contract';
import { Button } from '../../kit/Button';
import { ProgressMeter } from '../../kit/ProgressMeter';
import { RelativeTime } from '../../kit/RelativeTime';
import { isFinal, jobPercent, knownCode } from './kb';
import { PhaseBadge, usePhaseText } from './KbBadges';
import { useKnowledge } from './kbStore';

/** How many of the jobs the panel shows (the worker keeps the recent finished ones). */
export const JOBS_SHOWN = 20;

function JobRow({ job }: { job: KbJobView }): ReactElement {
  const { t } = useTranslation();
  const phaseText = usePhaseText();
  const cancelJob = useKnowledge((s) => s.cancelJob);
  const cancelling = useKnowledge((s) => Boolean(s.busy[`cancel:${job.id}`]));
  const percent = jobPercent(job);
  const final = isFinal(job.phase);
  const code = knownCode(job.error?.code);
  return (
    <li className={`kb-job kb-job-${job.phase}`} data-testid="kb-job" data-id={job.id} data-phase={job.phase}>
      <div className="kb-job-head">
        <PhaseBadge job={job} testId="kb-job-phase" />
        <span className="kb-file-name" title={job.filename}>
          {job.filename}
        </span>
        <span className="tag tag-unknown">{t(`kb.jobs.kind.${job.kind}`)}</span>
        <span className="muted small nowrap">
          <RelativeTime at={job.updatedAt} />
        </span>
        {!final ? (
          <Button
            small
            onClick={() => void cancelJob(job.id)}
            disabled={cancelling}
            aria-label={t('kb.jobs.cancelLabel', { name: job.filename })}
            testId="kb-job-cancel"
            data-write=""
          >
            {t('kb.jobs.cancel')}
          </Button>
        ) : null}
      </div>
      {percent !== null && !final ? (
        <div className="kb-job-progress">
          <ProgressMeter
            percent={percent}
            state="running"
            label={t('kb.jobs.progressLabel', { phase: t(`kb.phase.${job.phase}`), name: job.filename })}
            testIdPrefix={`kb-job-${job.id}`}
          >
            <span className="small">{phaseText(job)}</span>
          </ProgressMeter>
        </div>
      ) : null}
      <p className="muted small kb-job-meta">
        {job.retries > 0 ? (
          <span className="text-warning" data-testid="kb-job-retries">
            {t('kb.jobs.retries', { count: job.retries })}
          </span>
        ) : null}
        {job.embeddingCalls > 0 ? <span>{t('kb.jobs.calls', { count: job.embeddingCalls })}</span> : null}
        {job.attempts > 1 ? <span>{t('kb.jobs.attempt', { count: job.attempts })}</span> : null}
        {job.encoding ? <span>{t('kb.jobs.encoding', { encoding: job.encoding })}</span> : null}
      </p>
      {job.error ? (
        <div className="kb-job-error" data-testid="kb-job-error" data-code={job.error.code}>
          <p className="text-error">
            <code>{job.error.code}</code> {job.error.message}
          </p>
          <p className="small">{t(`kb.hint.${code ?? 'unknown'}`)}</p>
        </div>
      ) : null}
      {job.phase === 'done' && job.duplicateOf ? <p className="small">{t('kb.hint.duplicate')}</p> : null}
      {job.warnings.length > 0 ? (
        <details className="kb-job-warnings">
          <summary>{t('kb.jobs.warnings')}</summary>
          <ul>
            {job.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </details>
      ) : null}
    </li>
  );
}

export function JobsPanel({ jobs }: { jobs: readonly KbJobView[] }): ReactElement {
  const { t } = useTranslation();
  const shown = jobs.slice(0, JOBS_SHOWN);
  return (
    <section className="card kb-jobs" aria-labelledby="kb-jobs-title" data-testid="kb-jobs">
      <h2 id="kb-jobs-title" className="kb-section-title">
        {t('kb.jobs.title')}
      </h2>
      {shown.length === 0 ? (
        <p className="muted" data-testid="kb-jobs-empty">
          {t('kb.jobs.empty')}
        </p>
      ) : (
        <ul className="kb-job-list" aria-label={t('kb.jobs.label')}>
          {shown.map((j) => (
            <JobRow key={j.id} job={j} />
          ))}
        </ul>
      )}
    </section>
  );
}
