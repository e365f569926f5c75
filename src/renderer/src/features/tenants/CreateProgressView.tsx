import { useLayoutEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorBox } from '../../kit/ErrorBanner';
import { ArrowDownIcon, CheckIcon, ErrorIcon } from '../../kit/Icons';
import { TenantStateBadge } from './TenantBadges';
import { Button } from '../../kit/Button';
import { Callout } from '../../kit/Callout';
import { ProgressMeter } from '../../kit/ProgressMeter';
import { useConsole } from '../../app/store';
import { BASE_MODULES, isKnownStep } from './tenants';
import type { StepView } from './tenants';
import { useTenants } from './tenantsStore';
import type { Creation, CreationLogLine } from './tenantsStore';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { useFields } from '../../kit/useFields';

import { BackLink } from './WizardFields';

function StepIcon({ state }: { state: StepView['state'] }): ReactElement {
  switch (state) {
    case 'done':
      return <CheckIcon />;
    case 'failed':
      return <ErrorIcon />;
    case 'running':
      return <span className="spinner" aria-hidden="true" />;
    default:
      return <span className="step-dot" aria-hidden="true" />;
  }
}

function StepList({ steps }: { steps: StepView[] }): ReactElement {
  const { t } = useTranslation();
  return (
    <ol className="steps" aria-label={t('progress.stepsLabel')} data-testid="create-steps">
      {steps.map((s, i) => (
        <li
          key={`${i}-${s.step}`}
          className={`step step-${s.state}`}
          data-testid={`step-${s.step}`}
          data-state={s.state}
          aria-current={s.state === 'running' ? 'step' : undefined}
        >
          <span className="step-icon">
            <StepIcon state={s.state} />
          </span>
          <span className="step-text">
            <span className="step-label">
              {isKnownStep(s.step) ? t(`progress.steps.${s.step}`) : s.step}
              <span className="visually-hidden">: {t(`progress.state.${s.state}`)}</span>
            </span>
            {s.message ? (
              <span className="step-message" data-testid={`step-message-${s.step}`}>
                {s.message}
              </span>
            ) : null}
          </span>
        </li>
      ))}
    </ol>
  );
}

function timeOf(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toTimeString().slice(0, 8);
}

/** The tenant's log lines: follows the newest line until the operator scrolls up. */
function LogPane({ lines, slug }: { lines: readonly CreationLogLine[]; slug: string }): ReactElement {
  const { t } = useTranslation();
  const ref = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);

  useLayoutEffect(() => {
    const el = ref.current;
    if (follow && el) el.scrollTop = el.scrollHeight;
  }, [lines, follow]);

  function onScroll(): void {
    const el = ref.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 12;
    if (atBottom !== follow) setFollow(atBottom);
  }

  return (
    <div className="log-wrap">
      <div className="log-head">
        <h3>{t('progress.log')}</h3>
        {!follow ? (
          <span className="muted small" data-testid="log-paused">
            {t('progress.paused')}
          </span>
        ) : null}
      </div>
      <div
        ref={ref}
        className="log"
        role="log"
        aria-live="off"
        aria-label={t('progress.logLabel', { slug })}
        tabIndex={0}
        data-testid="create-log"
        data-follow={follow}
        onScroll={onScroll}
      >
        {lines.length === 0 ? <p className="muted log-empty">{t('progress.logEmpty')}</p> : null}
        {lines.map((l) =>
          l.retry ? (
            <div key={l.id} className="log-marker" data-testid="log-retry-marker">
              {t('progress.retryMarker', { n: l.retry })}
            </div>
          ) : (
            <div key={l.id} className={`log-line log-${l.level}`}>
              <time className="log-time" dateTime={l.at}>
                {timeOf(l.at)}
              </time>
              <span className="log-msg">{l.message}</span>
            </div>
          ),
        )}
      </div>
      {!follow ? (
        <button
          type="button"
          className="button button-small log-jump"
          data-testid="log-jump"
          onClick={() => {
            setFollow(true);
            const el = ref.current;
            if (el) el.scrollTop = el.scrollHeight;
          }}
        >
          <ArrowDownIcon /> {t('progress.jumpToLatest')}
        </button>
      ) : null}
    </div>
  );
}

const ACTIONS = ['retry', 'closeCreation', 'resetDraft', 'open'] as const;

export function CreateProgressView({ creation }: { creation: Creation }): ReactElement {
  const { t } = useTranslation();
  const { retry, closeCreation, resetDraft, open } = useFields(useTenants, ACTIONS);
  const retrying = useTenants((s) => Boolean(s.busy['create']));
  const { input, progress, phase } = creation;
  const stepNo = Math.max(0, progress.current + 1);
  const titleKey =
    phase === 'succeeded'
      ? 'progress.titleDone'
      : phase === 'failed'
        ? 'progress.titleFailed'
        : 'progress.title';
  const badgeState = phase === 'succeeded' ? 'running' : phase === 'failed' ? 'failed' : 'creating';
  const host = useConsole((s) => s.hosts.find((h) => h.name === input.host));
  const openTenant = (r: Creation['result']): void => {
    if (r) open({ view: 'tenant', host: r.host, slug: r.slug });
  };
  const domain =
    creation.result?.domain ?? input.domain ?? (host?.baseDomain ? `${input.slug}.${host.baseDomain}` : null);

  return (
    <div className="screen" data-testid="screen-tenants" data-view="create">
      <BackLink />
      <ScreenHeader
        title={t(titleKey, { slug: input.slug, host: input.host })}
        subtitle={t('progress.subtitle', {
          plan: t(`plan.${input.plan ?? 'starter'}`),
          count: BASE_MODULES.length + (input.modules?.length ?? 0),
          domain: domain ?? '—',
        })}
      >
        <TenantStateBadge state={badgeState} testId="create-state" />
      </ScreenHeader>
      <section className="card progress-card" data-testid="create-progress" data-phase={phase}>
        <ProgressMeter
          percent={progress.percent}
          state={phase}
          label={t('progress.barLabel', { slug: input.slug })}
          testIdPrefix="create"
        >
          <span>
            {progress.state === 'waiting' && phase === 'running'
              ? t('progress.waiting')
              : t('progress.stepOf', { step: stepNo, count: progress.stepCount })}
          </span>
          {creation.attempt > 1 ? (
            <span className="tag tag-unknown">{t('progress.attempt', { n: creation.attempt })}</span>
          ) : null}
        </ProgressMeter>

        {phase === 'failed' && creation.error ? (
          <div className="create-failure" data-testid="create-failure">
            <ErrorBox error={creation.error} />
            {input.keepOnFailure ? <p className="muted small">{t('progress.keptNote')}</p> : null}
            <div className="form-actions">
              <Button tone="primary" testId="create-retry" disabled={retrying} onClick={() => void retry()}>
                {t('progress.retry')}
              </Button>
              <Button testId="create-edit" onClick={closeCreation}>
                {t('progress.edit')}
              </Button>
            </div>
            <p className="muted small">{t('progress.retryHint')}</p>
          </div>
        ) : null}

        {phase === 'succeeded' && creation.result ? (
          <Callout tone="ok" className="create-success" testId="create-success">
            <CheckIcon />
            <p>
              {t('progress.doneNote', { count: progress.stepCount })}{' '}
              <strong className="mono">https://{creation.result.domain}</strong>
            </p>
            <Button tone="primary" testId="open-tenant" onClick={() => openTenant(creation.result)}>
              {t('progress.openTenant')}
            </Button>
            <Button testId="create-another" onClick={() => resetDraft()}>
              {t('progress.createAnother')}
            </Button>
          </Callout>
        ) : null}

        <div className="progress-grid">
          <StepList steps={progress.steps} />
          <LogPane lines={creation.logs} slug={input.slug} />
        </div>
      </section>
    </div>
  );
}
