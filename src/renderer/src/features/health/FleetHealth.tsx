/**
 * The Fleet screen's health: every host and its tenants at a glance, read once with
 * `health.fleet`, then kept live by `health.changed` while shown. Per host its agent (or why it
 * cannot be read) and its CPU, memory and fullest disk; under it its tenants, worst first. Rows
 * move with the arrow keys; a tenant opens its page, a host the Hosts screen.
 */
import { useEffect, useState } from 'react';
import type { KeyboardEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { navigate } from '../../app/navigation';
import { useConsole } from '../../app/store';
import { FilterBar, NoMatch } from '../../kit/FilterBar';
import { LoadingLine } from '../../kit/States';
import { TableHead } from '../../kit/TableHead';
import { GlyphIcon } from '../../kit/Icons';
import { tenantHash } from '../../kit/tenantHash';
import { useRowNavigation } from '../../kit/useRowNavigation';
import { fleetCounts, fleetLines, fleetRows, filterFleet, labelChoices } from './health';
import type { FleetCounts, FleetFilter, HostRow, TenantRow } from './health';
import {
  AgentButton,
  ConditionBadge,
  DiskPercent,
  columnsOf,
  useHealthFeed,
  useHealthFormat,
} from './HealthParts';
import { useHealth } from './healthStore';
import { AlertBadge } from '../alerts';

const COUNTS: readonly { key: keyof FleetCounts; tone: string }[] = [
  { key: 'healthy', tone: 'ok' },
  { key: 'starting', tone: 'unknown' },
  { key: 'unhealthy', tone: 'warning' },
  { key: 'down', tone: 'error' },
  { key: 'unreachable', tone: 'unreachable' },
];

function Counts({ counts }: { counts: FleetCounts }): ReactElement {
  const { t } = useTranslation();
  return (
    <section aria-label={t('health.fleet.counts')} className="health-counts">
      {COUNTS.map(({ key, tone }) => (
        <div
          key={key}
          className={`stat health-stat ${tone === 'unreachable' ? 'health-stat-unreachable' : `stat-${tone}`}${counts[key] === 0 ? ' stat-zero' : ''}`}
          data-testid={`health-count-${key}`}
          data-count={counts[key]}
        >
          <span className="stat-value">{counts[key]}</span>
          <span className="stat-label">
            <GlyphIcon name={tone} />
            {t(`health.fleet.count.${key}`)}
          </span>
        </div>
      ))}
    </section>
  );
}

interface Nav {
  active: boolean;
  rowRef: (el: HTMLTableRowElement | null) => void;
  onKey: (e: KeyboardEvent<HTMLTableRowElement>) => void;
  onFocus: () => void;
  onOpen: () => void;
}

/** What row `i` needs of the list's keyboard navigation. */
function rowNav(i: number, n: ReturnType<typeof useRowNavigation>, onOpen: () => void): Nav {
  const rowRef = (el: HTMLTableRowElement | null): void => {
    n.rowRefs.current[i] = el;
  };
  return {
    active: i === n.activeIndex,
    rowRef,
    onKey: (e) => n.onKey(e, i),
    onFocus: () => n.setActive(i),
    onOpen,
  };
}

/** A row of the list: the one tab stop while active; keys on its buttons stay theirs. */
function navAttrs(nav: Nav): Record<string, unknown> {
  return {
    ref: nav.rowRef,
    tabIndex: nav.active ? 0 : -1,
    onClick: nav.onOpen,
    onFocus: nav.onFocus,
    onKeyDown: (e: KeyboardEvent<HTMLTableRowElement>) => {
      if (e.target === e.currentTarget) nav.onKey(e);
    },
  };
}

function HostLine({ row, nav }: { row: HostRow; nav: Nav }): ReactElement {
  const { t } = useTranslation();
  const f = useHealthFormat();
  const readable = row.agentState === 'ok';
  return (
    <tr
      {...navAttrs(nav)}
      className={`health-host-row health-host-${row.agentState}`}
      data-testid={`health-host-${row.host}`}
      data-state={row.agentState}
      data-condition={row.condition}
      aria-label={t('health.fleet.openHost', { host: row.host })}
    >
      <th scope="row">
        <span className="health-host-name">{row.host}</span> <AlertBadge host={row.host} />
      </th>
      <td data-testid={`health-host-agent-${row.host}`}>
        {row.agentState === 'ok' ? (
          <span className="tag tag-ok">
            <GlyphIcon name="ok" />
            {row.agent
              ? t('health.fleet.agentVersion', { version: row.agent.version })
              : t('health.agent.ok')}
          </span>
        ) : row.agentState === 'loading' ? (
          <span className="muted">{t('health.fleet.reading')}</span>
        ) : (
          <span className="health-host-problem">
            <span className={`tag tag-${row.agentState === 'unreachable' ? 'unknown' : 'warning'}`}>
              <GlyphIcon name={row.agentState === 'unreachable' ? 'unreachable' : 'warning'} />
              {t(`health.agentState.${row.agentState}`)}
            </span>
            {row.agentState === 'no-agent' || row.agentState === 'incompatible' ? (
              <AgentButton
                host={row.host}
                update={row.agentState === 'incompatible'}
                scope="hosts"
                testId={`health-agent-${row.agentState === 'no-agent' ? 'install' : 'update'}-${row.host}`}
              />
            ) : null}
            {row.agentState === 'unreachable' && row.error ? (
              <span className="muted small health-reason" title={row.error.hint}>
                {row.error.message}
              </span>
            ) : null}
          </span>
        )}
      </td>
      <td className="num">{readable ? f.pct(row.cpuPercent) : '—'}</td>
      <td className="num">
        {readable && row.memUsedBytes !== null
          ? t('health.fleet.memValue', { used: f.bytes(row.memUsedBytes), total: f.bytes(row.memTotalBytes) })
          : '—'}
      </td>
      <td className="num" data-testid={`health-host-disk-${row.host}`}>
        {readable && row.worstDiskPercent !== null ? <DiskPercent pct={row.worstDiskPercent} /> : '—'}
      </td>
    </tr>
  );
}

function TenantLine({ row, nav }: { row: TenantRow; nav: Nav }): ReactElement {
  const { t } = useTranslation();
  const f = useHealthFormat();
  return (
    <tr
      {...navAttrs(nav)}
      className="health-tenant-row"
      data-testid={`health-tenant-${row.slug}`}
      data-host={row.host}
      data-condition={row.condition}
      aria-label={t('health.fleet.openTenant', { slug: row.slug, host: row.host })}
    >
      <th scope="row" className="health-tenant-name">
        <span className="mono">{row.slug}</span> <AlertBadge host={row.host} tenant={row.slug} />
      </th>
      <td>
        <ConditionBadge condition={row.condition} testId={`health-tenant-state-${row.slug}`} />{' '}
        <span className="muted small" data-testid={`health-tenant-count-${row.slug}`}>
          {t('health.fleet.running', { running: row.running, total: row.total })}
        </span>
      </td>
      <td className="num">{f.pct(row.cpuPercent)}</td>
      <td className="num">{f.bytes(row.memBytes)}</td>
      <td />
    </tr>
  );
}

/** The tenant's page: the Tenants section follows the address. */
function openTenantPage(host: string, slug: string): void {
  location.hash = tenantHash('tenants', host, slug);
}

export function FleetHealth(): ReactElement {
  const { t } = useTranslation();
  const hosts = useConsole((s) => s.hosts);
  const selectHost = useConsole((s) => s.selectHost);
  const entries = useHealth((s) => s.entries);
  const loaded = useHealth((s) => s.loaded);
  const [filter, setFilter] = useState<FleetFilter>({ label: '', text: '' });
  useHealthFeed();
  useEffect(() => {
    void useHealth.getState().loadFleet('hosts');
  }, []);

  const rows = filterFleet(fleetRows(hosts, entries), filter);
  const lines = fleetLines(rows);
  const open = (i: number): void => {
    const line = lines[i];
    if (!line) return;
    if (line.kind === 'tenant') {
      openTenantPage(line.row.host, line.row.slug);
    } else {
      selectHost(line.row.host);
      navigate('hosts');
    }
  };
  const nav = useRowNavigation(lines.length, open);
  const navOf = (i: number): Nav => rowNav(i, nav, () => open(i));
  const columns = columnsOf(t, 'health.fleet.col', ['name', 'state'], ['cpu', 'memory', 'disk']);
  const tenantsShown = rows.reduce((n, r) => n + r.tenants.length, 0);

  return (
    <section className="health-fleet" aria-labelledby="health-fleet-title" data-testid="health-fleet">
      <h2 id="health-fleet-title" className="health-fleet-title">
        {t('health.fleet.title')}
      </h2>
      <Counts counts={fleetCounts(rows)} />
      <FilterBar
        prefix="health"
        hostLabel={t('health.fleet.label')}
        allHostsLabel={t('health.fleet.allLabels')}
        hostNames={labelChoices(hosts)}
        host={filter.label}
        onHost={(label) => setFilter((x) => ({ ...x, label }))}
        textLabel={t('health.fleet.text')}
        placeholder={t('health.fleet.placeholder')}
        text={filter.text}
        onText={(text) => setFilter((x) => ({ ...x, text }))}
        rowCount={lines.length}
        onFirstRow={() => nav.focusRow(0)}
        countText={t('health.fleet.shown', { hosts: rows.length, tenants: tenantsShown })}
      />
      {!loaded && Object.keys(entries).length === 0 ? (
        <LoadingLine text={t('health.fleet.loading')} />
      ) : rows.length === 0 ? (
        <NoMatch
          testId="health-no-match"
          text={t('health.fleet.noMatch')}
          clearLabel={t('health.fleet.clearFilter')}
          onClear={() => setFilter({ label: '', text: '' })}
        />
      ) : (
        <div className="card table-card">
          <table
            className="table health-table"
            aria-label={t('health.fleet.title')}
            data-testid="health-list"
          >
            <TableHead columns={columns} />
            <tbody>
              {lines.map((line, i) =>
                line.kind === 'host' ? (
                  <HostLine key={`h:${line.row.host}`} row={line.row} nav={navOf(i)} />
                ) : (
                  <TenantLine key={`t:${line.row.host}/${line.row.slug}`} row={line.row} nav={navOf(i)} />
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted small table-note">{t('health.fleet.note')}</p>
    </section>
  );
}
