import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { TenantServiceView, TenantView } from '../../../../shared/contract';
import { formatDateTime, formatRelative } from '../../kit/format';
import { healthTone, tenantBusy, tenantTone } from './tenants';
import type { Tone } from './tenants';
import { GlyphIcon } from '../../kit/Icons';

/** The icon of a colour: never colour alone. Blue (in progress) gets a spinner where `busy`. */
export function ToneIcon({ tone, busy = false }: { tone: Tone; busy?: boolean }): ReactElement {
  if (busy) return <span className="spinner badge-spinner" aria-hidden="true" />;
  return tone === 'info' ? <span className="dot" aria-hidden="true" /> : <GlyphIcon name={tone} />;
}

/** A tenant's state: running green, creating blue with a spinner, failed red, suspended grey, deleting amber. */
export function TenantStateBadge({
  state,
  interrupted = false,
  testId,
}: {
  state: TenantView['state'];
  /** Its last operation was cut off (no console holds the lock): amber, no spinner. */
  interrupted?: boolean;
  testId?: string;
}): ReactElement {
  const { t } = useTranslation();
  const tone = interrupted ? 'warning' : tenantTone(state);
  return (
    <span
      className={`badge badge-${tone}`}
      data-testid={testId}
      data-state={interrupted ? 'interrupted' : state}
      data-tone={tone}
    >
      <ToneIcon tone={tone} busy={!interrupted && tenantBusy(state)} />
      <span className="badge-text">
        {t(interrupted ? 'tenantState.interrupted' : `tenantState.${state}`)}
      </span>
    </span>
  );
}

/** A container's Docker state: running green; restarting or paused amber; missing, exited or dead red. */
export function containerTone(state: string): Tone {
  if (state === 'running') return 'ok';
  if (state === 'missing' || state === 'exited' || state === 'dead') return 'error';
  return 'warning';
}

const KNOWN_STATES = ['running', 'missing', 'exited', 'dead', 'restarting', 'paused', 'created'] as const;
type KnownState = (typeof KNOWN_STATES)[number];

export function ContainerStateBadge({ state, testId }: { state: string; testId?: string }): ReactElement {
  const { t } = useTranslation();
  const tone = containerTone(state);
  const known = (KNOWN_STATES as readonly string[]).includes(state);
  return (
    <span className={`badge badge-${tone}`} data-testid={testId} data-state={state} data-tone={tone}>
      <ToneIcon tone={tone} />
      <span className="badge-text">{known ? t(`tenant.containerState.${state as KnownState}`) : state}</span>
    </span>
  );
}

export function HealthBadge({
  health,
  testId,
}: {
  health: TenantServiceView['health'];
  testId?: string;
}): ReactElement {
  const { t } = useTranslation();
  const tone = healthTone(health);
  return (
    <span className={`badge badge-${tone}`} data-testid={testId} data-health={health} data-tone={tone}>
      <ToneIcon tone={tone} busy={health === 'starting'} />
      <span className="badge-text">{t(`tenant.health.${health}`)}</span>
    </span>
  );
}

/** "create succeeded · 5 minutes ago", coloured by how it ended. */
export function LastOperation({ tenant, testId }: { tenant: TenantView; testId?: string }): ReactElement {
  const { t, i18n } = useTranslation();
  const lng = i18n.language === 'ru' ? 'ru' : 'en';
  const op = tenant.lastOperation;
  const when = op.finishedAt ?? op.startedAt;
  return (
    <span className={`last-op last-op-${op.state}`} data-testid={testId} data-state={op.state}>
      <span>
        {t('operation.summary', {
          kind: t(`operation.kind.${op.kind}`),
          state: t(`operation.state.${op.state}`),
        })}
      </span>{' '}
      <time className="muted small" dateTime={when} title={formatDateTime(when, lng)}>
        {formatRelative(when, lng)}
      </time>
    </span>
  );
}
