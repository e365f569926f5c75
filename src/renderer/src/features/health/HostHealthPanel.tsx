/**
 * The host details' "Agent and resources": the agent's status (version, state, footprint, whether
 * Docker's events reach it; Install or Update), the host's CPU, memory and load over 1 h or 24 h
 * (history read once, then the live samples), and its disks as bars. Live while shown.
 */
import { useEffect } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentStatus } from '../../../../shared/contract';
import { ErrorBox } from '../../kit/ErrorBanner';
import { Fact } from '../../kit/Fact';
import { GlyphIcon } from '../../kit/Icons';
import { ChartGroup } from './HealthChart';
import { AgentButton, DiskBars, useHealthFeed, useHealthFormat } from './HealthParts';
import { useHealth } from './healthStore';

const AGENT_TONE: Record<AgentStatus['state'], string> = {
  answering: 'ok',
  outdated: 'warning',
  running: 'warning',
  incompatible: 'error',
  stopped: 'error',
  missing: 'unknown',
};

function AgentFacts({ host, status }: { host: string; status: AgentStatus }): ReactElement {
  const { t } = useTranslation();
  const f = useHealthFormat();
  const tone = AGENT_TONE[status.state];
  const canUpdate = status.state === 'outdated' || status.state === 'incompatible';
  const canInstall = status.state === 'missing' || status.state === 'stopped';
  return (
    <>
      <dl className="facts">
        <Fact label={t('health.agent.state')} testId="agent-state">
          <span className={`tag tag-${tone}`} data-state={status.state}>
            <GlyphIcon name={tone} />
            {t(`health.agent.states.${status.state}`)}
          </span>
        </Fact>
        <Fact label={t('health.agent.version')} testId="agent-version">
          <span className="mono">{status.version ?? '—'}</span>
          {status.version && status.version !== status.expectedVersion ? (
            <span className="muted">
              {' '}
              · {t('health.agent.expected', { version: status.expectedVersion })}
            </span>
          ) : null}
        </Fact>
        <Fact label={t('health.agent.footprint')} testId="agent-footprint">
          {status.rssBytes !== null
            ? t('health.agent.footprintValue', {
                memory: f.bytes(status.rssBytes),
                cpu: f.num(status.cpuSeconds ?? 0),
              })
            : '—'}
        </Fact>
        <Fact label={t('health.agent.events')} testId="agent-events">
          {status.eventsConnected === null ? (
            '—'
          ) : (
            <span
              className={`tag tag-${status.eventsConnected ? 'ok' : 'warning'}`}
              data-connected={status.eventsConnected}
            >
              <GlyphIcon name={status.eventsConnected ? 'ok' : 'warning'} />
              {status.eventsConnected ? t('health.agent.connected') : t('health.agent.disconnected')}
            </span>
          )}
        </Fact>
      </dl>
      {status.problem ? <p className="muted small health-reason">{status.problem}</p> : null}
      {canInstall || canUpdate ? (
        <div className="health-actions">
          <AgentButton
            host={host}
            update={canUpdate}
            scope="details"
            testId={`agent-${canUpdate ? 'update' : 'install'}`}
          />
        </div>
      ) : null}
    </>
  );
}

function HostCharts({ host }: { host: string }): ReactElement {
  const { t } = useTranslation();
  const f = useHealthFormat();
  return (
    <ChartGroup
      host={host}
      heading={t('health.host.charts')}
      prefix="host"
      charts={[
        { id: 'cpu', title: t('health.chart.cpu'), field: 'cpuPercent', format: f.pct, max: 100 },
        { id: 'memory', title: t('health.chart.memory'), field: 'memUsedBytes', format: f.bytes },
        { id: 'load', title: t('health.chart.load'), field: 'load1', format: f.num },
      ]}
    />
  );
}

export function HostHealthPanel({ host }: { host: string }): ReactElement {
  const { t } = useTranslation();
  const status = useHealth((s) => s.agents[host]);
  const entry = useHealth((s) => s.entries[host]);
  const agentError = useHealth((s) => s.agentErrors[host] ?? null);
  const reading = useHealth((s) => Boolean(s.busy[`agent:${host}`]));
  useHealthFeed();
  useEffect(() => {
    const s = useHealth.getState();
    void s.loadAgent(host);
    void s.loadHost(host);
  }, [host]);
  const answering = status?.state === 'answering' || status?.state === 'outdated';
  return (
    <section className="health-panel" aria-labelledby="health-panel-title" data-testid="host-health">
      <h3 id="health-panel-title">{t('health.host.title')}</h3>
      {status ? (
        <AgentFacts host={host} status={status} />
      ) : reading ? (
        <p className="muted">{t('health.agent.reading')}</p>
      ) : agentError ? (
        <ErrorBox error={agentError} />
      ) : null}
      {answering || entry?.seen ? (
        <>
          {entry?.error && entry.error.code !== 'agent.unreachable' ? <ErrorBox error={entry.error} /> : null}
          <HostCharts host={host} />
          <h4>{t('health.host.disks')}</h4>
          <DiskBars disks={entry?.hostHealth?.disks ?? []} testId="host-health-disks" />
        </>
      ) : null}
    </section>
  );
}
