/**
 * The host details' "Agent and resources": the agent's status (version, state, footprint, whether
 * Docker's events reach it; Install or Update), the host's CPU, memory and load over 1 h or 24 h
 * (history read once, then the live samples), and its disks as bars. Live while shown.
 */
import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentStatus } from '../../../../shared/contract';
import { ErrorBox } from '../../kit/ErrorBanner';
import { Fact } from '../../kit/Fact';
import { GlyphIcon } from '../../kit/Icons';
import { formatNumber } from '../../kit/format';
import { useLng } from '../../kit/useLocale';
import { HealthChart, RangeToggle } from './HealthChart';
import { AgentButton, DiskBars, useHealthFeed, useHealthFormat, useSeries } from './HealthParts';
import { useHealth } from './healthStore';
import type { Range } from './healthStore';

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
  const lng = useLng();
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
                cpu: formatNumber(status.cpuSeconds ?? 0, lng, 1),
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
  const lng = useLng();
  const [range, setRange] = useState<Range>('1h');
  const { points, error } = useSeries(host, range);
  return (
    <div className="health-charts-block">
      <div className="health-subhead">
        <h4>{t('health.host.charts')}</h4>
        <RangeToggle range={range} onRange={setRange} testId="host-range" />
      </div>
      <div className="health-charts">
        <HealthChart
          testId="host-chart-cpu"
          title={t('health.chart.cpu')}
          points={points}
          field="cpuPercent"
          format={(v) => f.pct(v)}
          max={100}
          range={range}
          error={error}
        />
        <HealthChart
          testId="host-chart-memory"
          title={t('health.chart.memory')}
          points={points}
          field="memUsedBytes"
          format={(v) => f.bytes(v)}
          range={range}
          error={error}
        />
        <HealthChart
          testId="host-chart-load"
          title={t('health.chart.load')}
          points={points}
          field="load1"
          format={(v) => formatNumber(v, lng, 2)}
          range={range}
          error={error}
        />
      </div>
    </div>
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
