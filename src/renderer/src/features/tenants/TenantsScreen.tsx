import { useEffect, useRef } from 'react';
import type { KeyboardEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { TenantView } from '../../../../shared/contract';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { WarningIcon } from '../../kit/Icons';
import { RichText } from '../../kit/RichText';
import { LastOperation, TenantStateBadge } from './TenantBadges';
import { navigate } from '../../app/navigation';
import { followHash, startVisiblePolling } from '../../kit/visiblePolling';
import { useConsole } from '../../app/store';
import { filterTenants, tenantRouteFromHash } from './tenants';
import { useTenants } from './tenantsStore';
import { FilterBar, NoMatch } from '../../kit/FilterBar';
import { useRowNavigation } from '../../kit/useRowNavigation';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { TenantPage } from './TenantPage';
import { TenantWizard } from './TenantWizard';
import { EmptyState, LoadingLine, RefreshButton } from '../../kit/States';
import { TableHead } from '../../kit/TableHead';
import { useFields } from '../../kit/useFields';

/** How often the list is read again while it is open and the page is visible. */
export const TENANT_LIST_INTERVAL_MS = 30_000;

/** Read the tenants on opening and every 30 s while the screen is visible. */
function useListPolling(): void {
  useEffect(() => {
    return startVisiblePolling(TENANT_LIST_INTERVAL_MS, () => {
      const s = useTenants.getState();
      return s.loadTenants({ quiet: s.loaded });
    });
  }, []);
}

/** The view follows the address: `#/tenants`, `#/tenants/new`, `#/tenants/<host>/<slug>`. */
function useRouteFromHash(): void {
  useEffect(() => {
    return followHash('#/tenants', (hash) => useTenants.getState().setRoute(tenantRouteFromHash(hash)));
  }, []);
}

function TenantRow({
  tenant,
  index,
  active,
  rowRef,
  onKey,
  onFocus,
}: {
  tenant: TenantView;
  index: number;
  active: boolean;
  rowRef: (el: HTMLTableRowElement | null) => void;
  onKey: (e: KeyboardEvent<HTMLTableRowElement>, index: number) => void;
  onFocus: (index: number) => void;
}): ReactElement {
  const { t } = useTranslation();
  const open = useTenants((s) => s.open);
  const shown = tenant.modules.slice(0, 3);
  const more = tenant.modules.length - shown.length;
  const id = `${tenant.host}-${tenant.slug}`;
  return (
    <tr
      ref={rowRef}
      tabIndex={active ? 0 : -1}
      className="tenant-row"
      data-testid={`tenant-row-${tenant.slug}`}
      data-host={tenant.host}
      data-state={tenant.state}
      aria-label={t('tenants.open', { slug: tenant.slug, host: tenant.host })}
      onClick={() => open({ view: 'tenant', host: tenant.host, slug: tenant.slug })}
      onKeyDown={(e) => onKey(e, index)}
      onFocus={() => onFocus(index)}
    >
      <th scope="row">
        <span className="tenant-slug mono">{tenant.slug}</span>
      </th>
      <td>{tenant.host}</td>
      <td className="nowrap">
        <TenantStateBadge
          state={tenant.state}
          interrupted={tenant.lastOperation.state === 'interrupted'}
          testId={`tenant-state-${tenant.slug}`}
        />
      </td>
      <td>
        <span className={`tag tag-plan tag-plan-${tenant.plan}`}>{t(`plan.${tenant.plan}`)}</span>
      </td>
      <td className="mono tenant-domain">{tenant.domain}</td>
      <td>
        <span className="chips" data-testid={`tenant-modules-${tenant.slug}`}>
          {shown.map((m) => (
            <span key={m.name} className="chip">
              {m.name}
            </span>
          ))}
          {more > 0 ? (
            <span className="chip chip-more" title={tenant.modules.map((m) => m.name).join(', ')}>
              {t('tenants.modulesMore', { count: more })}
            </span>
          ) : null}
        </span>
      </td>
      <td>
        <LastOperation tenant={tenant} testId={`tenant-op-${id}`} />
      </td>
    </tr>
  );
}

function CreationBanner(): ReactElement | null {
  const { t } = useTranslation();
  const creation = useTenants((s) => s.creation);
  const open = useTenants((s) => s.open);
  if (!creation || creation.phase === 'succeeded') return null;
  const failed = creation.phase === 'failed';
  return (
    <div
      className={failed ? 'callout callout-error' : 'callout callout-info'}
      role="status"
      data-testid="creation-banner"
    >
      {failed ? <WarningIcon /> : <span className="spinner" aria-hidden="true" />}
      <p>
        {failed
          ? t('tenants.creatingFailedBanner', { slug: creation.input.slug })
          : t('tenants.creatingBanner', {
              slug: creation.input.slug,
              host: creation.input.host,
              step: Math.max(1, creation.progress.current + 1),
              count: creation.progress.stepCount,
            })}
      </p>
      <button type="button" className="button button-small" onClick={() => open({ view: 'new' })}>
        {t('tenants.showProgress')}
      </button>
    </div>
  );
}

const LIST = ['tenants', 'unreachable', 'loaded', 'filter', 'setFilter', 'loadTenants', 'open'] as const;

function TenantList(): ReactElement {
  const { t } = useTranslation();
  const { tenants, unreachable, loaded, filter, setFilter, loadTenants, open } = useFields(useTenants, LIST);
  const listing = useTenants((s) => Boolean(s.busy['list']));
  const hosts = useConsole((s) => s.hosts);
  const rows = filterTenants(tenants, filter);
  const { activeIndex, setActive, rowRefs, focusRow, onKey } = useRowNavigation(rows.length, (i) => {
    const r = rows[i];
    if (r) open({ view: 'tenant', host: r.host, slug: r.slug });
  });
  const hostNames = [...new Set([...hosts.map((h) => h.name), ...tenants.map((x) => x.host)])].sort();

  return (
    <div className="screen" data-testid="screen-tenants" data-view="list">
      <ScreenHeader title={t('tenants.title')} subtitle={t('tenants.subtitle')}>
        <RefreshButton
          busy={listing}
          onClick={() => void loadTenants()}
          testId="tenants-refresh"
          label={t('tenants.refresh')}
          busyLabel={t('tenants.refreshing')}
        />
        <button
          type="button"
          className="button button-primary"
          onClick={() => open({ view: 'new' })}
          data-testid="tenant-new"
        >
          + {t('tenants.new')}
        </button>
      </ScreenHeader>

      <ErrorBanner scopes={['tenants']} />
      <CreationBanner />

      {unreachable.map((u) => (
        <div
          key={u.host}
          className="callout callout-warning"
          role="status"
          data-testid={`tenants-unreachable-${u.host}`}
        >
          <WarningIcon />
          <p>
            <RichText text={t('tenants.unreachable', { host: u.host, message: u.error.message })} />
          </p>
        </div>
      ))}

      {hosts.length === 0 ? (
        <EmptyState testId="tenants-no-hosts" text={t('tenants.noHosts')}>
          <button type="button" className="button button-primary" onClick={() => navigate('hosts')}>
            {t('tenants.openHosts')}
          </button>
        </EmptyState>
      ) : !loaded ? (
        <LoadingLine text={t('tenants.loading')} />
      ) : tenants.length === 0 ? (
        <EmptyState testId="tenants-empty" text={t('tenants.empty')}>
          <p className="muted">{t('tenants.emptyHint')}</p>
          <button type="button" className="button button-primary" onClick={() => open({ view: 'new' })}>
            + {t('tenants.new')}
          </button>
        </EmptyState>
      ) : (
        <>
          <FilterBar
            prefix="tenant"
            hostLabel={t('tenants.filterHost')}
            allHostsLabel={t('tenants.allHosts')}
            hostNames={hostNames}
            host={filter.host}
            onHost={(host) => setFilter({ host })}
            textLabel={t('tenants.filterText')}
            placeholder={t('tenants.filterPlaceholder')}
            text={filter.text}
            onText={(text) => setFilter({ text })}
            rowCount={rows.length}
            onFirstRow={() => focusRow(0)}
            countText={t('tenants.count', { shown: rows.length, total: tenants.length })}
          />
          {rows.length === 0 ? (
            <NoMatch
              testId="tenants-no-match"
              text={t('tenants.noMatch')}
              clearLabel={t('tenants.clearFilter')}
              onClear={() => setFilter({ host: '', text: '' })}
            />
          ) : (
            <div className="card table-card">
              <table
                className="table tenants-table"
                aria-label={t('tenants.listLabel')}
                data-testid="tenant-list"
              >
                <TableHead
                  columns={[
                    t('tenants.col.slug'),
                    t('tenants.col.host'),
                    t('tenants.col.state'),
                    t('tenants.col.plan'),
                    t('tenants.col.domain'),
                    t('tenants.col.modules'),
                    t('tenants.col.lastOperation'),
                  ]}
                />
                <tbody>
                  {rows.map((r, i) => (
                    <TenantRow
                      key={`${r.host}/${r.slug}`}
                      tenant={r}
                      index={i}
                      active={i === activeIndex}
                      rowRef={(el) => {
                        rowRefs.current[i] = el;
                      }}
                      onKey={onKey}
                      onFocus={setActive}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p className="muted small table-note">
            {t('tenants.keyboardHint')} {t('tenants.autoRefresh')}
          </p>
        </>
      )}
    </div>
  );
}

/** The Tenants section: the list, the provisioning wizard, or one tenant's page. */
export function TenantsScreen(): ReactElement {
  const route = useTenants((s) => s.route);
  const ref = useRef<HTMLDivElement>(null);
  const first = useRef(true);
  useRouteFromHash();
  useListPolling();

  // Moving between the list, the wizard and a tenant: focus the new view's title.
  const routeKey = JSON.stringify(route);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    ref.current?.querySelector<HTMLElement>('.screen-title')?.focus();
    ref.current?.closest('.main')?.scrollTo?.({ top: 0 });
  }, [routeKey]);

  return (
    <div ref={ref} className="tenants-root">
      {route.view === 'new' ? (
        <TenantWizard />
      ) : route.view === 'tenant' ? (
        <TenantPage key={routeKey} host={route.host} slug={route.slug} />
      ) : (
        <TenantList />
      )}
    </div>
  );
}
