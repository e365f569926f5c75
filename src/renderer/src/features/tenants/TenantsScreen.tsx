import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { TenantView } from '../../../../shared/contract';
import { WarningIcon } from '../../kit/Icons';
import { LastOperation, TenantStateBadge } from './TenantBadges';
import { useConsole } from '../../app/store';
import { filterTenants, tenantRouteFromHash } from './tenants';
import { useTenants } from './tenantsStore';
import { HostList, NavRow, useListSection, useViewFocus } from '../../kit/HostList';
import type { RowNav } from '../../kit/HostList';
import { TenantPage } from './TenantPage';
import { TenantWizard } from './TenantWizard';
import { useFields } from '../../kit/useFields';

/** How often the list is read again while it is open and the page is visible. */
export const TENANT_LIST_INTERVAL_MS = 30_000;

function TenantRow({ tenant, nav }: { tenant: TenantView; nav: RowNav }): ReactElement {
  const { t } = useTranslation();
  const open = useTenants((s) => s.open);
  const shown = tenant.modules.slice(0, 3);
  const more = tenant.modules.length - shown.length;
  const id = `${tenant.host}-${tenant.slug}`;
  return (
    <NavRow
      {...nav}
      className="tenant-row"
      data-testid={`tenant-row-${tenant.slug}`}
      data-host={tenant.host}
      data-state={tenant.state}
      aria-label={t('tenants.open', { slug: tenant.slug, host: tenant.host })}
      onOpen={() => open({ view: 'tenant', host: tenant.host, slug: tenant.slug })}
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
    </NavRow>
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
  const newTenant = (): void => open({ view: 'new' });
  return (
    <HostList
      ns="tenants"
      prefix="tenant"
      hosts={hosts}
      loaded={loaded}
      all={tenants}
      rows={filterTenants(tenants, filter)}
      rowKey={(r) => `${r.host}/${r.slug}`}
      renderRow={(r, nav) => <TenantRow tenant={r} nav={nav} />}
      onOpen={(r) => open({ view: 'tenant', host: r.host, slug: r.slug })}
      refreshing={listing}
      onRefresh={() => void loadTenants()}
      actions={
        <button type="button" className="button button-primary" onClick={newTenant} data-testid="tenant-new">
          + {t('tenants.new')}
        </button>
      }
      errorScope="tenants"
      banners={<CreationBanner />}
      unreachable={unreachable.map((u) => ({ host: u.host, message: u.error.message }))}
      emptyExtra={
        <>
          <p className="muted">{t('tenants.emptyHint')}</p>
          <button type="button" className="button button-primary" onClick={newTenant}>
            + {t('tenants.new')}
          </button>
        </>
      }
      filter={filter}
      onFilter={setFilter}
      onClearFilter={() => setFilter({ host: '', text: '' })}
      columns={[
        t('tenants.col.slug'),
        t('tenants.col.host'),
        t('tenants.col.state'),
        t('tenants.col.plan'),
        t('tenants.col.domain'),
        t('tenants.col.modules'),
        t('tenants.col.lastOperation'),
      ]}
      note={`${t('tenants.keyboardHint')} ${t('tenants.autoRefresh')}`}
    />
  );
}

/** The Tenants section: the list, the provisioning wizard, or one tenant's page. */
export function TenantsScreen(): ReactElement {
  const route = useTenants((s) => s.route);
  // The view follows the address: `#/tenants`, `#/tenants/new`, `#/tenants/<host>/<slug>`.
  useListSection(useTenants, '#/tenants', tenantRouteFromHash, TENANT_LIST_INTERVAL_MS, 'loadTenants');

  // Moving between the list, the wizard and a tenant: focus the new view's title.
  const routeKey = JSON.stringify(route);
  const ref = useViewFocus(routeKey);

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
