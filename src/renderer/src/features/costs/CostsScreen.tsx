/**
 * The Costs screen: what the tenants' bots cost, for the fleet, a host or a tenant (kept in the
 * address `#/costs[/<host>[/<slug>]]`) over a range of days, in tenge or dollars. The overview:
 * the figures, the charts by day, stage and model, the tenants, the costliest conversations, the
 * router, the tenant's budget; the second tab: prices, rates and re-pricing.
 */
import { useEffect, useId } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { useConsole } from '../../app/store';
import { StaleNotice } from '../../kit/DetailParts';
import { ErrorBox } from '../../kit/ErrorBanner';
import { formatRelative } from '../../kit/format';
import { showInAddress } from '../../kit/listStore';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { EmptyState, LoadingLine, RefreshButton } from '../../kit/States';
import { useLng } from '../../kit/useLocale';
import { followHash } from '../../kit/visiblePolling';
import { useTenants } from '../tenants/tenantsStore';
import { BudgetPanel } from './BudgetPanel';
import { DayChart, ModelTable, StageChart } from './Charts';
import { ConversationDialog } from './ConversationDialog';
import { PricesPanel } from './PricesPanel';
import { RatesPanel } from './RatesPanel';
import { RepricePanel } from './RepricePanel';
import { RatesNotes, SummaryTiles } from './Summary';
import { ConversationsPanel, RouterPanel, TenantTable } from './Tables';
import { RANGE_PRESETS, costsHash, formatDay, rangeProblem, scopeFromHash } from './costs';
import type { CostScope, Currency } from './costs';
import type { CostsTab } from './costsStore';
import { useCosts } from './costsStore';

/** Show this scope and put it in the address (so Back works). */
export function pickScope(scope: CostScope): void {
  useCosts.getState().setScope(scope);
  showInAddress('costs', costsHash(scope));
}

function ScopeBar(): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  const scope = useCosts((s) => s.scope);
  const range = useCosts((s) => s.range);
  const currency = useCosts((s) => s.currency);
  const view = useCosts((s) => s.view);
  const setRange = useCosts((s) => s.setRange);
  const setCurrency = useCosts((s) => s.setCurrency);
  const consoleHosts = useConsole((s) => s.hosts);
  const tenants = useTenants((s) => s.tenants);
  const hosts = [
    ...new Set([
      ...consoleHosts.map((h) => h.name),
      ...tenants.map((x) => x.host),
      ...(view?.hosts.map((h) => h.host) ?? []),
      ...(scope.host ? [scope.host] : []),
    ]),
  ].sort();
  const options = tenants
    .filter((x) => !scope.host || x.host === scope.host)
    .sort((a, b) => a.slug.localeCompare(b.slug) || a.host.localeCompare(b.host));
  const tenantValue = scope.host && scope.tenant ? `${scope.host}/${scope.tenant}` : '';
  const known = !tenantValue || options.some((x) => `${x.host}/${x.slug}` === tenantValue);
  const problem = rangeProblem(range);
  return (
    <div
      className="card cost-scope"
      role="group"
      aria-label={t('costs.scope.label')}
      data-testid="cost-scope"
    >
      <div className="field">
        <label htmlFor={`${id}-host`}>{t('costs.scope.host')}</label>
        <select
          id={`${id}-host`}
          data-testid="cost-host"
          value={scope.host ?? ''}
          onChange={(e) => pickScope({ host: e.target.value || null, tenant: null })}
        >
          <option value="">{t('costs.scope.allHosts')}</option>
          {hosts.map((h) => (
            <option key={h} value={h}>
              {h}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-tenant`}>{t('costs.scope.tenant')}</label>
        <select
          id={`${id}-tenant`}
          data-testid="cost-tenant"
          value={tenantValue}
          onChange={(e) => {
            const [host, slug] = e.target.value.split('/');
            pickScope(host && slug ? { host, tenant: slug } : { host: scope.host, tenant: null });
          }}
        >
          <option value="">{t('costs.scope.allTenants')}</option>
          {!known && scope.host && scope.tenant ? (
            <option value={tenantValue}>
              {t('costs.scope.tenantOption', { slug: scope.tenant, host: scope.host })}
            </option>
          ) : null}
          {options.map((x) => (
            <option key={`${x.host}/${x.slug}`} value={`${x.host}/${x.slug}`}>
              {t('costs.scope.tenantOption', { slug: x.slug, host: x.host })}
            </option>
          ))}
        </select>
      </div>
      <div className="field cost-range">
        <span className="field-label" id={`${id}-range`}>
          {t('costs.range.label')}
        </span>
        <div className="cost-toggle" role="group" aria-labelledby={`${id}-range`}>
          {RANGE_PRESETS.map((p) => (
            <button
              key={p}
              type="button"
              className={`button button-small${range.preset === p ? ' button-primary' : ''}`}
              aria-pressed={range.preset === p}
              data-testid={`cost-range-${p}`}
              onClick={() =>
                setRange(
                  p === 'custom'
                    ? {
                        preset: 'custom',
                        from: range.from || view?.from || '',
                        to: range.to || view?.to || '',
                      }
                    : { ...range, preset: p },
                )
              }
            >
              {t(`costs.range.${p}`)}
            </button>
          ))}
        </div>
      </div>
      {range.preset === 'custom' ? (
        <div className="cost-custom-range">
          <div className="field">
            <label htmlFor={`${id}-from`}>{t('costs.range.from')}</label>
            <input
              id={`${id}-from`}
              type="date"
              value={range.from}
              data-testid="cost-range-from"
              aria-invalid={problem === 'from' || problem === 'order'}
              onChange={(e) => setRange({ ...range, from: e.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-to`}>{t('costs.range.to')}</label>
            <input
              id={`${id}-to`}
              type="date"
              value={range.to}
              data-testid="cost-range-to"
              aria-invalid={problem === 'to' || problem === 'order'}
              onChange={(e) => setRange({ ...range, to: e.target.value })}
            />
          </div>
          {problem ? (
            <p className="field-error cost-range-error" role="status" data-testid="cost-range-error">
              {problem === 'order' ? t('costs.range.order') : t('costs.range.badDay')}
            </p>
          ) : null}
        </div>
      ) : null}
      <div className="field cost-currency">
        <span className="field-label" id={`${id}-currency`}>
          {t('costs.currency.label')}
        </span>
        <div className="cost-toggle" role="group" aria-labelledby={`${id}-currency`}>
          {(['KZT', 'USD'] as Currency[]).map((c) => (
            <button
              key={c}
              type="button"
              className={`button button-small${currency === c ? ' button-primary' : ''}`}
              aria-pressed={currency === c}
              aria-label={t(`costs.currency.${c}`)}
              title={t(`costs.currency.${c}`)}
              data-testid={`cost-currency-${c}`}
              onClick={() => setCurrency(c)}
            >
              {c === 'KZT' ? '₸' : '$'}
            </button>
          ))}
        </div>
      </div>
    </div>
  );
}

const TABS: readonly CostsTab[] = ['overview', 'prices'];

function Tabs(): ReactElement {
  const { t } = useTranslation();
  const tab = useCosts((s) => s.tab);
  const setTab = useCosts((s) => s.setTab);
  return (
    <div className="cost-tabs" role="tablist" aria-label={t('costs.tabs')}>
      {TABS.map((x, i) => (
        <button
          key={x}
          type="button"
          role="tab"
          id={`cost-tab-${x}`}
          aria-selected={tab === x}
          aria-controls="cost-panel"
          tabIndex={tab === x ? 0 : -1}
          className="cost-tab"
          data-testid={`cost-tab-${x}`}
          onClick={() => setTab(x)}
          onKeyDown={(e) => {
            const move = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
            if (!move) return;
            e.preventDefault();
            const next = TABS[(i + move + TABS.length) % TABS.length] ?? 'overview';
            setTab(next);
            document.getElementById(`cost-tab-${next}`)?.focus();
          }}
        >
          {t(`costs.tab.${x}`)}
        </button>
      ))}
    </div>
  );
}

/** What the view covers, in a line: the scope, the days, when it was read. */
function ViewLine(): ReactElement | null {
  const { t } = useTranslation();
  const lng = useLng();
  const view = useCosts((s) => s.view);
  const viewAt = useCosts((s) => s.viewAt);
  const scope = useCosts((s) => s.scope);
  if (!view) return null;
  const what = scope.tenant
    ? t('costs.scope.ofTenant', { tenant: scope.tenant, host: scope.host })
    : scope.host
      ? t('costs.scope.ofHost', { host: scope.host })
      : t('costs.scope.ofFleet');
  return (
    <p className="muted small cost-view-line" data-testid="cost-view-line">
      {t('costs.viewLine', {
        what,
        from: formatDay(view.from, lng, true),
        to: formatDay(view.to, lng, true),
        when: viewAt ? formatRelative(viewAt, lng) : t('common.none'),
      })}
    </p>
  );
}

export function Overview(): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const view = useCosts((s) => s.view);
  const viewAt = useCosts((s) => s.viewAt);
  const error = useCosts((s) => s.viewError);
  const reading = useCosts((s) => Boolean(s.busy['view']));
  const scope = useCosts((s) => s.scope);
  const openConversation = useCosts((s) => s.openConversation);
  const budget = scope.host && scope.tenant ? <BudgetPanel host={scope.host} tenant={scope.tenant} /> : null;
  if (!view)
    return (
      <>
        {error ? <ErrorBox error={error} /> : <LoadingLine text={t('costs.loading')} />}
        {budget}
      </>
    );
  const empty = view.totals.calls === 0;
  return (
    <div className="cost-overview" aria-busy={reading}>
      {error ? (
        <StaleNotice
          testId="cost-stale"
          text={t('costs.stale', {
            message: error.message,
            when: viewAt ? formatRelative(viewAt, lng) : '—',
          })}
        />
      ) : null}
      {empty ? (
        <>
          <EmptyState
            testId="cost-empty"
            text={t('costs.empty', {
              from: formatDay(view.from, lng, true),
              to: formatDay(view.to, lng, true),
            })}
          />
          <RatesNotes view={view} />
        </>
      ) : (
        <>
          <SummaryTiles view={view} />
          <RatesNotes view={view} />
          <div className="cost-grid">
            <DayChart view={view} />
            <StageChart view={view} />
            <ModelTable view={view} />
          </div>
          {!scope.tenant ? <TenantTable view={view} onScope={pickScope} /> : null}
          <div className="cost-grid">
            <ConversationsPanel view={view} onOpen={(row) => void openConversation(row)} />
            <RouterPanel view={view} />
          </div>
        </>
      )}
      {budget}
    </div>
  );
}

export function CostsScreen(): ReactElement {
  const { t } = useTranslation();
  const tab = useCosts((s) => s.tab);
  const busy = useCosts((s) => s.busy);

  useEffect(
    () =>
      followHash('#/costs', (hash) => {
        const s = scopeFromHash(hash);
        if (s) useCosts.getState().setScope(s);
      }),
    [],
  );

  useEffect(() => {
    const tenants = useTenants.getState();
    void tenants.loadTenants({ quiet: tenants.loaded });
    const c = useCosts.getState();
    // The address may have just chosen a scope (and its read is running): else read this one again.
    if (!c.busy['view']) void c.load({ quiet: Boolean(c.view) });
    if (c.scope.tenant && !c.busy['budget']) void c.loadBudget();
    if (c.tab === 'prices') {
      void c.loadPrices();
      void c.loadRates();
    }
  }, []);

  function refresh(): void {
    const c = useCosts.getState();
    void c.load({ quiet: true });
    if (c.scope.tenant) void c.loadBudget();
    if (c.tab === 'prices') {
      void c.loadPrices();
      void c.loadRates();
    }
  }

  return (
    <div className="screen cost-screen" data-testid="screen-costs">
      <ScreenHeader title={t('costs.title')} subtitle={t('costs.subtitle')}>
        <RefreshButton
          busy={Boolean(busy['view'])}
          onClick={refresh}
          testId="cost-refresh"
          label={t('costs.refresh')}
          busyLabel={t('costs.refreshing')}
        />
      </ScreenHeader>
      <ScopeBar />
      <ViewLine />
      <Tabs />
      <div id="cost-panel" role="tabpanel" aria-labelledby={`cost-tab-${tab}`} className="cost-panel">
        {tab === 'overview' ? (
          <Overview />
        ) : (
          <div className="cost-prices-tab">
            <PricesPanel />
            <RatesPanel />
            <RepricePanel />
          </div>
        )}
      </div>
      <ConversationDialog />
    </div>
  );
}
