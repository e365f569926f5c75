/**
 * A tenant's containers as its host's agent sees them, live: each service's state with its
 * health (the last check's output when it fails), restarts, exit code, CPU and memory; and the
 * CPU and memory of one chosen service over 1 h or 24 h. For the tenant page.
 */
import { useEffect, useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ContainerHealth } from '../../../../shared/agent/protocol';
import { ErrorBox } from '../../kit/ErrorBanner';
import { TableHead } from '../../kit/TableHead';
import { containerCondition, tenantRows } from './health';
import { ChartGroup } from './HealthChart';
import { ConditionBadge, columnsOf, useHealthFeed, useHealthFormat } from './HealthParts';
import { useHealth } from './healthStore';

function ContainerLine({
  c,
  chosen,
  onChoose,
}: {
  c: ContainerHealth;
  chosen: boolean;
  onChoose: () => void;
}): ReactElement {
  const { t } = useTranslation();
  const f = useHealthFormat();
  const condition = containerCondition(c);
  const running = c.state === 'running';
  return (
    <>
      <tr
        data-testid={`health-container-${c.service}`}
        data-condition={condition}
        data-state={c.state}
        data-health={c.health}
        className={chosen ? 'health-chosen' : undefined}
      >
        <th scope="row">
          <button
            type="button"
            className="health-service-button mono"
            aria-pressed={chosen}
            data-testid={`health-choose-${c.service}`}
            onClick={onChoose}
            title={t('health.tenant.choose', { service: c.service })}
          >
            {c.service}
          </button>
        </th>
        <td>
          <ConditionBadge condition={condition} testId={`health-container-state-${c.service}`} />{' '}
          <span className="muted small">
            {t(`health.state.${c.state}`)}
            {c.health !== 'none' ? ` · ${t(`health.check.${c.health}`)}` : ''}
            {c.oomKilled ? ` · ${t('health.tenant.oom')}` : ''}
          </span>
        </td>
        <td className="num" data-testid={`health-container-restarts-${c.service}`}>
          {c.restarts}
        </td>
        <td className="num">{c.exitCode !== null && !running ? c.exitCode : '—'}</td>
        <td className="num">{running && c.stats ? f.pct(c.stats.cpuPercent) : '—'}</td>
        <td className="num">{running && c.stats ? f.bytes(c.stats.memBytes) : '—'}</td>
      </tr>
      {c.health === 'unhealthy' && c.healthOutput ? (
        <tr className="health-output-row" data-testid={`health-output-${c.service}`}>
          <td colSpan={6}>
            <span className="muted small">{t('health.tenant.lastCheck')}</span>
            <pre className="health-output mono">{c.healthOutput}</pre>
          </td>
        </tr>
      ) : null}
    </>
  );
}

/**
 * The tenant's services, live from the host's agent. Until the agent answers (none installed, an
 * old one, the host unreachable) the page's `fallback` shows instead (the tenant status read every
 * 15 s), under a line that says why the live view is missing.
 */
export function TenantHealth({
  host,
  slug,
  fallback,
}: {
  host: string;
  slug: string;
  fallback?: ReactNode;
}): ReactElement {
  const { t } = useTranslation();
  const entry = useHealth((s) => s.entries[host]);
  const f = useHealthFormat();
  const [chosen, setChosen] = useState<string | null>(null);
  useHealthFeed();
  useEffect(() => {
    void useHealth.getState().loadHost(host);
  }, [host]);
  const row = entry ? tenantRows(entry).find((r) => r.slug === slug) : undefined;
  const containers = row?.containers ?? [];
  const picked = containers.find((c) => c.service === chosen) ?? containers[0];
  const live = Boolean(entry?.agent) && !entry?.error;
  if (fallback !== undefined && entry && !live) {
    return (
      <>
        <p className="muted small health-not-live" data-testid="tenant-health-not-live">
          {t('health.tenant.notLive', { reason: entry.error?.message ?? t('health.tenant.noAgent') })}
        </p>
        {fallback}
      </>
    );
  }
  return (
    <section className="card health-tenant" aria-labelledby="health-tenant-title" data-testid="tenant-health">
      <div className="card-header">
        <h2 id="health-tenant-title">{t('health.tenant.title')}</h2>
        {row ? <ConditionBadge condition={row.condition} testId="tenant-health-state" /> : null}
      </div>
      {entry?.error ? <ErrorBox error={entry.error} /> : null}
      {!entry ? (
        <p className="muted">{t('health.tenant.loading')}</p>
      ) : containers.length === 0 ? (
        <p className="muted" data-testid="tenant-health-none">
          {t('health.tenant.none')}
        </p>
      ) : (
        <>
          <table className="table health-containers" data-testid="tenant-health-containers">
            <TableHead
              columns={columnsOf(
                t,
                'health.tenant.col',
                ['service', 'state'],
                ['restarts', 'exit', 'cpu', 'memory'],
              )}
            />
            <tbody>
              {containers.map((c) => (
                <ContainerLine key={c.id} c={c} chosen={c === picked} onChoose={() => setChosen(c.service)} />
              ))}
            </tbody>
          </table>
          {picked ? (
            <ChartGroup
              key={picked.name}
              host={host}
              container={picked.name}
              heading={t('health.tenant.chartsOf', { service: picked.service })}
              prefix="tenant"
              charts={[
                { id: 'cpu', title: t('health.chart.cpu'), field: 'cpuPercent', format: f.pct },
                { id: 'memory', title: t('health.chart.memory'), field: 'memBytes', format: f.bytes },
              ]}
            />
          ) : null}
        </>
      )}
    </section>
  );
}
