/**
 * The Knowledge screen: a tenant's knowledge base (the tenant picked at the top, kept in the
 * address `#/knowledge/<host>/<slug>` and remembered), its numbers, the upload queue, the jobs at
 * work (live from `kb.progress` while the screen shows the tenant: `kb.watch`), the documents with
 * their status and actions, the test search and the bot's answer.
 */
import { useEffect, useId, useMemo, useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { KbList } from '../../../../shared/contract';
import { navigate } from '../../app/navigation';
import { useSupportConsole } from '../../app/support';
import { Button } from '../../kit/Button';
import { Callout } from '../../kit/Callout';
import { ConfirmDialog } from '../../kit/ConfirmDialog';
import { FirstRead } from '../../kit/DetailParts';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { formatNumber, formatRelative } from '../../kit/format';
import { WarningIcon } from '../../kit/Icons';
import { showInAddress } from '../../kit/listStore';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { EmptyState, LoadingLine, RefreshButton } from '../../kit/States';
import { useLng } from '../../kit/useLocale';
import { followHash } from '../../kit/visiblePolling';
import { useHealth } from '../health/healthStore';
import { useTenants } from '../tenants/tenantsStore';
import { AskPanel } from './AskPanel';
import { ChunksDialog } from './ChunksDialog';
import { DocumentTable } from './DocumentTable';
import { JobsPanel } from './JobsPanel';
import { knowledgeHash, knowledgeTenantFromHash, sameTenant, sortDocuments, tenantsFromAgents } from './kb';
import type { PickerTenant, TenantRef } from './kb';
import { useKnowledge } from './kbStore';
import { rememberedTenant } from './remembered';
import { SearchPanel } from './SearchPanel';
import { UploadPanel } from './UploadPanel';

function tenantValue(t: TenantRef): string {
  return `${t.host}/${t.slug}`;
}

/** The tenant to show when the address names none: the one chosen last, else the first. */
export function defaultTenant(
  tenants: readonly PickerTenant[],
  remembered: TenantRef | null,
): TenantRef | null {
  const hit = remembered ? tenants.find((t) => sameTenant(t, remembered)) : undefined;
  const first = hit ?? tenants[0];
  return first ? { host: first.host, slug: first.slug } : null;
}

function TenantPicker({
  tenants,
  value,
}: {
  tenants: readonly PickerTenant[];
  value: TenantRef | null;
}): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  const known = value ? tenants.some((x) => sameTenant(x, value)) : true;
  const sorted = [...tenants].sort((a, b) => a.slug.localeCompare(b.slug) || a.host.localeCompare(b.host));
  return (
    <div className="field kb-tenant-picker">
      <label htmlFor={id}>{t('kb.tenant')}</label>
      <select
        id={id}
        data-testid="kb-tenant"
        value={value ? tenantValue(value) : ''}
        onChange={(e) => {
          const picked = sorted.find((x) => tenantValue(x) === e.target.value);
          if (!picked) return;
          const ref = { host: picked.host, slug: picked.slug };
          useKnowledge.getState().selectTenant(ref);
          showInAddress('knowledge', knowledgeHash(ref));
        }}
      >
        {!value ? <option value="">{t('kb.chooseTenant')}</option> : null}
        {value && !known ? (
          <option value={tenantValue(value)}>
            {t('kb.tenantOption', { slug: value.slug, host: value.host })}
          </option>
        ) : null}
        {sorted.map((x) => (
          <option key={tenantValue(x)} value={tenantValue(x)}>
            {x.state === 'running' || x.state === null
              ? t('kb.tenantOption', { slug: x.slug, host: x.host })
              : t('kb.tenantOptionState', { slug: x.slug, host: x.host, state: t(`tenantState.${x.state}`) })}
          </option>
        ))}
      </select>
    </div>
  );
}

function Summary({ list }: { list: KbList }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const s = list.summary;
  const n = (v: number): string => formatNumber(v, lng, 0);
  const tiles: [string, string, string, number | null][] = [
    ['documents', 'total', t('kb.summary.documents'), s.documents],
    ['ready', 'ok', t('kb.summary.ready'), s.ready],
    ['processing', 'info', t('kb.summary.processing'), s.processing],
    ['error', 'error', t('kb.summary.error'), s.error],
    ['chunks', 'total', t('kb.summary.chunks'), s.chunks],
    ['vectors', 'total', t('kb.summary.vectors'), s.points],
  ];
  const mismatch = s.points !== null && s.processing === 0 && s.points !== s.chunks;
  return (
    <section className="kb-summary" aria-label={t('kb.summary.label')} data-testid="kb-summary">
      <div className="stat-grid kb-stats">
        {tiles.map(([key, tone, label, value]) => (
          <div
            key={key}
            className={`stat stat-${tone}${value === 0 && key !== 'documents' ? ' stat-zero' : ''}`}
            data-testid={`kb-summary-${key}`}
            data-count={value ?? undefined}
          >
            <span className="stat-value">{value === null ? t('kb.summary.vectorsUnknown') : n(value)}</span>
            <span className="stat-label">{label}</span>
          </div>
        ))}
      </div>
      <p className="muted small mono" data-testid="kb-summary-model">
        {t('kb.summary.model', { model: s.embeddingModel, dimensions: s.dimensions })}
      </p>
      {mismatch ? (
        <Callout tone="warning" testId="kb-summary-mismatch">
          <WarningIcon />
          <p>{t('kb.summary.mismatch')}</p>
        </Callout>
      ) : null}
    </section>
  );
}

function Base({ tenant }: { tenant: TenantRef }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const list = useKnowledge((s) => s.list);
  const listAt = useKnowledge((s) => s.listAt);
  const listError = useKnowledge((s) => s.listError);
  const watchError = useKnowledge((s) => s.watchError);
  const jobs = useKnowledge((s) => s.jobs);
  const reading = useKnowledge((s) => Boolean(s.busy['list']));
  const support = useSupportConsole();

  if (!list)
    return (
      <FirstRead
        reading={reading || !listError}
        error={listError}
        text={t('kb.loading', { slug: tenant.slug })}
      />
    );

  return (
    <>
      {listError ? (
        <Callout tone="warning" testId="kb-stale">
          <WarningIcon />
          <p>
            {t('kb.staleList', {
              message: listError.message,
              when: listAt ? formatRelative(listAt, lng) : '—',
            })}
          </p>
        </Callout>
      ) : null}
      {watchError ? (
        <Callout tone="warning" testId="kb-live-off">
          <WarningIcon />
          <p>{t('kb.liveOff', { message: watchError.message })}</p>
        </Callout>
      ) : null}
      {support ? (
        <p className="muted" role="note" data-testid="kb-support-note">
          {t('kb.supportNote')}
        </p>
      ) : null}
      <Summary list={list} />
      <div className="kb-grid">
        <div data-write="">
          <UploadPanel tenant={tenant} />
        </div>
        <JobsPanel jobs={jobs} />
      </div>
      <section className="kb-docs-section" aria-labelledby="kb-docs-title">
        <h2 id="kb-docs-title" className="kb-section-title">
          {t('kb.docs.title')}
        </h2>
        <DocumentTable
          documents={sortDocuments(list.documents)}
          jobs={jobs}
          slug={tenant.slug}
          model={list.summary.embeddingModel}
        />
      </section>
      <div className="kb-grid">
        <SearchPanel />
        <div data-write="">
          <AskPanel />
        </div>
      </div>
      <ChunksDialog />
    </>
  );
}

export function KnowledgeScreen(): ReactElement {
  const { t } = useTranslation();
  const support = useSupportConsole();
  const recorded = useTenants((s) => s.tenants);
  const recordedLoaded = useTenants((s) => s.loaded);
  const healthEntries = useHealth((s) => s.entries);
  const healthLoaded = useHealth((s) => s.loaded);
  // A support console cannot read the tenant records: the tenants are the ones the agents show.
  const tenants = useMemo(
    () => (support ? tenantsFromAgents(healthEntries) : recorded),
    [support, healthEntries, recorded],
  );
  const tenantsLoaded = support ? healthLoaded : recordedLoaded;
  const tenant = useKnowledge((s) => s.tenant);
  const list = useKnowledge((s) => s.list);
  const busy = useKnowledge((s) => s.busy);
  const load = useKnowledge((s) => s.load);
  const reindex = useKnowledge((s) => s.reindex);
  const [askAll, setAskAll] = useState(false);
  const host = tenant?.host;
  const slug = tenant?.slug;

  useEffect(() => {
    if (support) {
      const h = useHealth.getState();
      if (!h.loaded) void h.loadFleet('knowledge');
    } else {
      const s = useTenants.getState();
      void s.loadTenants({ quiet: s.loaded });
    }
    // Back on the screen with a base shown before: read it again.
    const k = useKnowledge.getState();
    if (k.list) void k.load({ quiet: true });
  }, [support]);

  useEffect(
    () =>
      followHash('#/knowledge', (hash) => {
        const named = knowledgeTenantFromHash(hash);
        if (named) useKnowledge.getState().selectTenant(named);
      }),
    [],
  );

  // No tenant in the address and none shown yet: the one chosen last time, else the first.
  useEffect(() => {
    // Read the store and the address now: the effect above may have just chosen the address's tenant.
    if (!tenantsLoaded || useKnowledge.getState().tenant) return;
    if (knowledgeTenantFromHash(location.hash)) return;
    const pick = defaultTenant(tenants, rememberedTenant());
    if (pick) useKnowledge.getState().selectTenant(pick);
  }, [host, tenantsLoaded, tenants]);

  // Live progress while this tenant is shown (not for support: the door serves reads, no feeds).
  useEffect(
    () => (host && slug && !support ? useKnowledge.getState().watch({ host, slug }) : undefined),
    [host, slug, support],
  );

  const documents = list?.documents.length ?? 0;
  return (
    <div className="screen kb-screen" data-testid="screen-knowledge">
      <ScreenHeader title={t('kb.title')} subtitle={t('kb.subtitle')}>
        {tenant ? (
          <>
            <RefreshButton
              busy={Boolean(busy['list'])}
              onClick={() => void load()}
              testId="kb-refresh"
              label={t('kb.refresh')}
              busyLabel={t('kb.refreshing')}
            />
            <Button
              onClick={() => setAskAll(true)}
              disabled={documents === 0}
              testId="kb-reindex-all"
              data-write=""
            >
              {t('kb.docs.reindexAll')}
            </Button>
          </>
        ) : null}
      </ScreenHeader>

      {tenantsLoaded && tenants.length === 0 && !tenant ? (
        <EmptyState testId="kb-no-tenants" text={t('kb.noTenants')}>
          <button type="button" className="button button-primary" onClick={() => navigate('tenants')}>
            {t('kb.openTenants')}
          </button>
        </EmptyState>
      ) : (
        <TenantPicker tenants={tenants} value={tenant} />
      )}

      <ErrorBanner scopes={['knowledge', 'tenants']} />

      {tenant ? (
        <Base key={tenantValue(tenant)} tenant={tenant} />
      ) : !tenantsLoaded ? (
        <LoadingLine text={t('kb.loadingTenants')} />
      ) : null}

      {askAll && tenant && list ? (
        <ConfirmDialog
          title={t('kb.confirmReindexAll.title', { slug: tenant.slug })}
          body={
            <p>
              {t('kb.confirmReindexAll.body', {
                count: list.summary.documents,
                model: list.summary.embeddingModel,
                chunks: list.summary.chunks,
              })}
            </p>
          }
          confirmLabel={t('kb.confirmReindexAll.confirm')}
          busyLabel={t('kb.confirmReindexAll.busy')}
          busy={Boolean(busy['reindex:all'])}
          testId="kb-reindex-all-dialog"
          onCancel={() => setAskAll(false)}
          onConfirm={() => {
            void reindex().then(() => setAskAll(false));
          }}
        />
      ) : null}
    </div>
  );
}
