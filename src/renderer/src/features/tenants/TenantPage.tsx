import { useEffect, useId, useRef, useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { TenantStatus, TenantView } from '../../../../shared/contract';
import { ErrorBox } from '../../kit/ErrorBanner';
import { ContainerStateBadge, HealthBadge, LastOperation, TenantStateBadge } from './TenantBadges';
import { AlertBadge } from '../alerts';
import { formatDateTime, formatRelative } from '../../kit/format';
import { startVisiblePolling } from '../../kit/visiblePolling';
import { serviceTone, tenantKey } from './tenants';
import { useTenants } from './tenantsStore';
import { LoadingLine } from '../../kit/States';
import {
  BusyButton,
  ConfirmButtons,
  DangerDialog,
  RiskyCheckbox,
  TypeToConfirm,
  DetailScreen,
  FirstRead,
  StaleNotice,
  TableCard,
} from '../../kit/DetailParts';
import { TableHead } from '../../kit/TableHead';
import { useFields } from '../../kit/useFields';
import { LogPane } from '../logs/LogPane';
import { TenantHealth } from '../health';

/** How often a tenant's status is read while its page is open and visible. */
export const TENANT_STATUS_INTERVAL_MS = 15_000;

const KNOWN_CHECKS = ['health', 'route', 'exposure', 'gateway', 'network', 'secrets', 'isolation'] as const;
type KnownCheck = (typeof KNOWN_CHECKS)[number];

function Fact({
  label,
  testId,
  children,
}: {
  label: string;
  testId?: string;
  children: ReactNode;
}): ReactElement {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

function useStatusPolling(host: string, slug: string): void {
  useEffect(() => {
    let runs = 0;
    return startVisiblePolling(TENANT_STATUS_INTERVAL_MS, () =>
      useTenants.getState().loadStatus(host, slug, { quiet: runs++ > 0 }),
    );
  }, [host, slug]);
}

function DeleteDialog({
  tenant,
  busy,
  onCancel,
  onConfirm,
}: {
  tenant: TenantView;
  busy: boolean;
  onCancel: () => void;
  onConfirm: (typed: string, skipFinalBackup: boolean) => void;
}): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [typed, setTyped] = useState('');
  const [finalBackup, setFinalBackup] = useState(true);
  const matches = typed === tenant.slug;
  return (
    <DangerDialog
      id={id}
      busy={busy}
      onCancel={onCancel}
      testId="delete-dialog"
      initialFocus={inputRef}
      title={t('tenant.deleteTitle', { slug: tenant.slug })}
      onSubmit={() => {
        if (matches && !busy) onConfirm(typed, !finalBackup);
      }}
    >
      <div id={`${id}-body`} className="modal-body">
        <p>{t('tenant.deleteBody', { slug: tenant.slug, host: tenant.host, domain: tenant.domain })}</p>
        <RiskyCheckbox
          testId="delete-final-backup"
          label={t('tenant.deleteFinalBackup')}
          checked={finalBackup}
          disabled={busy}
          onChange={setFinalBackup}
          warning={finalBackup ? null : t('tenant.deleteNoFinalBackup')}
        />
        <TypeToConfirm
          id={`${id}-confirm`}
          label={t('tenant.deleteType')}
          slug={tenant.slug}
          inputRef={inputRef}
          testId="delete-confirm-input"
          value={typed}
          disabled={busy}
          onChange={setTyped}
        />
      </div>
      <div className="modal-actions">
        <ConfirmButtons
          prefix="delete"
          busy={busy}
          ready={matches}
          onCancel={onCancel}
          label={t('tenant.deleteConfirm', { slug: tenant.slug })}
          busyLabel={t('tenant.deleting')}
        />
      </div>
    </DangerDialog>
  );
}

function Services({ status }: { status: TenantStatus }): ReactElement {
  const { t } = useTranslation();
  return (
    <TableCard titleId="tenant-services-title" title={t('tenant.services')}>
      <table className="table services-table" data-testid="tenant-services">
        <TableHead
          columns={[
            t('tenant.col.service'),
            t('tenant.col.state'),
            t('tenant.col.health'),
            t('tenant.col.image'),
            { label: t('tenant.col.restarts'), className: 'num' },
          ]}
        />
        <tbody>
          {status.services.map((s) => (
            <tr
              key={s.service}
              className={`service-row service-${serviceTone(s)}`}
              data-testid={`service-${s.service}`}
              data-tone={serviceTone(s)}
              data-health={s.health}
              data-state={s.state}
            >
              <th scope="row" className="mono">
                {s.service}
              </th>
              <td>
                <ContainerStateBadge state={s.state} testId={`service-state-${s.service}`} />
              </td>
              <td>
                <HealthBadge health={s.health} testId={`service-health-${s.service}`} />
              </td>
              <td className="mono small service-image">{s.image || t('common.none')}</td>
              <td
                className={`num${s.restarts > 0 ? ' text-warning' : ''}`}
                data-testid={`service-restarts-${s.service}`}
              >
                {s.restarts}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableCard>
  );
}

function VerifyResults({ host, slug }: { host: string; slug: string }): ReactElement | null {
  const { t, i18n } = useTranslation();
  const lng = i18n.language === 'ru' ? 'ru' : 'en';
  const result = useTenants((s) => s.verify[tenantKey(host, slug)]);
  if (!result) return null;
  const failed = result.checks.filter((c) => !c.ok).length;
  return (
    <section
      className={`card verify-card ${result.ok ? 'verify-ok' : 'verify-failed'}`}
      aria-labelledby="tenant-verify-title"
      data-testid="verify-results"
      data-ok={result.ok}
    >
      <div className="card-header">
        <h2 id="tenant-verify-title">{t('tenant.verifyTitle')}</h2>
        <time className="muted small" dateTime={result.at} title={formatDateTime(result.at, lng)}>
          {t('tenant.verifyAt', { when: formatRelative(result.at, lng) })}
        </time>
      </div>
      <p
        className={result.ok ? 'verify-summary text-ok' : 'verify-summary text-error'}
        data-testid="verify-summary"
      >
        {result.ok
          ? t('tenant.verifyOk', { count: result.checks.length })
          : t('tenant.verifyFailed', { failed, count: result.checks.length })}
      </p>
      <ul className="checks">
        {result.checks.map((c) => (
          <li
            key={c.name}
            className={`check ${c.ok ? 'check-ok' : 'check-failed'}`}
            data-testid={`verify-check-${c.name}`}
            data-ok={c.ok}
          >
            <span className="check-mark" aria-hidden="true">
              {c.ok ? '✓' : '✗'}
            </span>
            <span className="visually-hidden">
              {c.ok ? t('tenant.checkPassed') : t('tenant.checkFailed')}:{' '}
            </span>
            <span className="check-name">
              {(KNOWN_CHECKS as readonly string[]).includes(c.name)
                ? t(`tenant.checks.${c.name as KnownCheck}`)
                : c.name}
            </span>
            <span className="check-detail">{c.detail}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const PAGE = ['catalog', 'loadCatalog', 'loadStatus', 'verifyTenant', 'deleteTenant', 'open'] as const;

/** One tenant: what it is, how its services are, verification, and deletion. */
export function TenantPage({ host, slug }: { host: string; slug: string }): ReactElement {
  const { t, i18n } = useTranslation();
  const lng = i18n.language === 'ru' ? 'ru' : 'en';
  const key = tenantKey(host, slug);
  const entry = useTenants((s) => s.status[key]);
  const statusError = useTenants((s) => s.statusError[key] ?? null);
  const listed = useTenants((s) => s.tenants.find((x) => x.host === host && x.slug === slug));
  const { catalog, loadCatalog, loadStatus, verifyTenant, deleteTenant, open } = useFields(useTenants, PAGE);
  const refreshing = useTenants((s) => Boolean(s.busy[`status:${key}`]));
  const verifying = useTenants((s) => Boolean(s.busy[`verify:${key}`]));
  const deleting = useTenants((s) => Boolean(s.busy[`delete:${key}`]));
  const [confirmDelete, setConfirmDelete] = useState(false);

  useStatusPolling(host, slug);
  useEffect(() => {
    void loadCatalog();
  }, [loadCatalog]);

  const view: TenantView | TenantStatus | undefined = entry?.view ?? listed;
  const status = entry?.view;
  const title = (name: string): string => catalog?.find((m) => m.name === name)?.title[lng] ?? name;
  const op = view?.lastOperation;

  return (
    <DetailScreen
      section="tenants"
      host={host}
      slug={slug}
      backLabel={t('wizard.back')}
      onBack={() => open({ view: 'list' })}
      badge={
        <>
          {view ? (
            <TenantStateBadge
              state={view.state}
              interrupted={view.lastOperation.state === 'interrupted'}
              testId="tenant-state"
            />
          ) : null}
          <AlertBadge host={host} tenant={slug} />
        </>
      }
      subtitle={
        view ? (
          <>
            <a
              className="link mono"
              href={`https://${view.domain}`}
              target="_blank"
              rel="noopener noreferrer"
              data-testid="tenant-domain"
              title={t('tenant.openDomain', { domain: view.domain })}
            >
              https://{view.domain}
            </a>
            <span className={`tag tag-plan tag-plan-${view.plan}`} data-testid="tenant-plan">
              {t(`plan.${view.plan}`)}
            </span>
            <span className="chip" data-testid="tenant-host">
              {host}
            </span>
          </>
        ) : null
      }
      refreshing={refreshing}
      onRefresh={() => void loadStatus(host, slug)}
      actions={
        <>
          <BusyButton
            busy={verifying}
            className="button button-primary"
            onClick={() => void verifyTenant(host, slug)}
            disabled={verifying || !view}
            data-testid="tenant-verify"
            label={t('tenant.verify')}
            busyLabel={t('tenant.verifying')}
          />
          <button
            type="button"
            className="button button-danger-outline"
            onClick={() => setConfirmDelete(true)}
            disabled={deleting || !view}
            aria-haspopup="dialog"
            data-testid="tenant-delete"
          >
            {t('tenant.delete')}
          </button>
        </>
      }
    >
      {statusError && entry ? (
        <StaleNotice
          testId="tenant-refresh-failed"
          text={t('tenant.refreshFailed', { message: statusError.message })}
        />
      ) : null}

      {!view ? (
        <FirstRead reading={refreshing} error={statusError} text={t('tenant.loading')} />
      ) : (
        <>
          <VerifyResults host={host} slug={slug} />
          <TenantHealth
            host={host}
            slug={slug}
            fallback={status ? <Services status={status} /> : <LoadingLine text={t('tenant.loading')} />}
          />
          {status?.route ? (
            <p className={status.route.ok ? 'text-ok' : 'text-error'} data-testid="tenant-route">
              {status.route.ok ? '✓' : '✗'} {t('tenant.checks.route')}: {status.route.detail}
            </p>
          ) : null}

          <LogPane host={host} slug={slug} services={status?.services.map((s) => s.service)} />

          <section className="card" aria-labelledby="tenant-about-title">
            <h2 id="tenant-about-title">{t('tenant.about')}</h2>
            <dl className="facts facts-summary">
              <Fact label={t('tenant.domain')} testId="fact-tenant-domain">
                <span className="mono">{view.domain}</span>
              </Fact>
              <Fact label={t('tenant.plan')}>{t(`plan.${view.plan}`)}</Fact>
              <Fact label={t('tenant.host')}>{view.host}</Fact>
              <Fact label={t('tenant.template')} testId="fact-template">
                <span className="mono">{view.templateVersion}</span>
              </Fact>
              <Fact label={t('tenant.created')} testId="fact-created">
                <time dateTime={view.createdAt}>{formatDateTime(view.createdAt, lng)}</time>{' '}
                <span className="muted">{t('tenant.by', { actor: view.createdBy })}</span>
              </Fact>
              <Fact label={t('tenant.updated')}>
                <time dateTime={view.updatedAt} title={formatDateTime(view.updatedAt, lng)}>
                  {formatRelative(view.updatedAt, lng)}
                </time>
              </Fact>
              <Fact label={t('tenant.lastOperation')} testId="fact-last-operation">
                <LastOperation tenant={view} />
                {op ? (
                  <span className="muted small op-detail">
                    {t('tenant.by', { actor: op.actor })}
                    {op.step && op.state !== 'succeeded' ? ` · ${t('tenant.atStep', { step: op.step })}` : ''}
                  </span>
                ) : null}
              </Fact>
            </dl>
            {op?.error && (op.state === 'failed' || op.state === 'interrupted') ? (
              <div
                className="op-error"
                data-testid={op.state === 'failed' ? 'tenant-last-error' : 'tenant-interrupted'}
              >
                <h3>{op.state === 'failed' ? t('tenant.lastError') : t('tenant.interrupted')}</h3>
                <ErrorBox error={op.error} />
              </div>
            ) : null}

            <h3>{t('tenant.modules')}</h3>
            <ul className="tenant-modules" data-testid="tenant-modules">
              {view.modules.map((m) => (
                <li key={m.name} data-testid={`tenant-module-${m.name}`}>
                  <span className="module-title">{title(m.name)}</span>{' '}
                  <span className="mono muted small">
                    {m.name} · v{m.version}
                  </span>
                </li>
              ))}
            </ul>
          </section>

          <p className="muted small table-note" data-testid="tenant-auto-refresh">
            {entry
              ? t('tenant.autoRefresh', { when: formatRelative(entry.at, lng) })
              : t('tenant.autoRefreshPending')}
          </p>
        </>
      )}

      {confirmDelete && view ? (
        <DeleteDialog
          tenant={view}
          busy={deleting}
          onCancel={() => setConfirmDelete(false)}
          onConfirm={(typed, skipFinalBackup) => {
            void deleteTenant(host, slug, typed, skipFinalBackup).then((ok) => {
              if (!ok) setConfirmDelete(false);
            });
          }}
        />
      ) : null}
    </DetailScreen>
  );
}
