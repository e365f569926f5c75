/** The Knowledge screen's badges: a document's status and a job's phase, with colour, icon and words. */
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { KbJobView } from '../../../../shared/contract';
import { GlyphIcon } from '../../kit/Icons';
import { countedPhase, jobBusy, jobTone } from './kb';
import type { DocStatusView, Tone } from './kb';

/** The icon of a colour (never colour alone); a spinner while at work. */
export function ToneIcon({ tone, busy = false }: { tone: Tone; busy?: boolean }): ReactElement {
  if (busy) return <span className="spinner badge-spinner" aria-hidden="true" />;
  return tone === 'info' ? <span className="dot" aria-hidden="true" /> : <GlyphIcon name={tone} />;
}

/** "Embedding 120/340", "Extracting text", "Already in the base". */
export function usePhaseText(): (job: Pick<KbJobView, 'phase' | 'done' | 'total' | 'duplicateOf'>) => string {
  const { t } = useTranslation();
  return (job) => {
    if (job.phase === 'done' && job.duplicateOf) return t('kb.phase.duplicate');
    const phase = t(`kb.phase.${job.phase}`);
    return countedPhase(job.phase) && job.total > 0
      ? t('kb.progress', { phase, done: job.done, total: job.total })
      : phase;
  };
}

/** A document's status: ready green, processing blue (with its job's phase), failed red. */
export function DocStatusBadge({ view, testId }: { view: DocStatusView; testId?: string }): ReactElement {
  const { t } = useTranslation();
  const phaseText = usePhaseText();
  const text = view.job ? phaseText(view.job) : t(`kb.status.${view.status}`);
  return (
    <span
      className={`badge badge-${view.tone}`}
      data-testid={testId}
      data-status={view.status}
      data-tone={view.tone}
      data-phase={view.job?.phase}
      data-code={view.code ?? undefined}
      title={view.reason ?? undefined}
    >
      <ToneIcon tone={view.tone} busy={view.busy} />
      <span className="badge-text">{text}</span>
    </span>
  );
}

/** A job's phase: at work blue with a spinner, done green (a duplicate blue), failed red, queued grey. */
export function PhaseBadge({ job, testId }: { job: KbJobView; testId?: string }): ReactElement {
  const phaseText = usePhaseText();
  const tone = jobTone(job);
  return (
    <span
      className={`badge badge-${tone}`}
      data-testid={testId}
      data-phase={job.phase}
      data-tone={tone}
      data-duplicate={job.duplicateOf ? 'true' : undefined}
    >
      <ToneIcon tone={tone} busy={jobBusy(job.phase)} />
      <span className="badge-text">{phaseText(job)}</span>
    </span>
  );
}
