import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { FormEvent, ReactElement, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ModuleInfo, PlanName } from '../../../../shared/contract';
import { ErrorBanner, ErrorBox } from '../../kit/ErrorBanner';
import { ArrowDownIcon, CheckIcon, ErrorIcon } from '../../kit/Icons';
import { TenantStateBadge } from './TenantBadges';
import { formatNumber } from '../../kit/format';
import { schemaMessage } from '../../i18n';
import { useConsole } from '../../app/store';
import {
  BASE_MODULES,
  PLANS,
  TIERS,
  blockingErrors,
  generatedEnv,
  hostUsable,
  isIncluded,
  isKnownStep,
  isToggleable,
  operatorEnv,
  previewDomain,
  selectModules,
  validateSlug,
  validateWizard,
} from './tenants';
import type { FieldError, ModuleState, StepView, WizardErrors } from './tenants';
import { useTenants } from './tenantsStore';
import type { Creation, CreationLogLine } from './tenantsStore';
import { ScreenHeader } from '../../kit/ScreenHeader';

type Lng = 'en' | 'ru';

function useLng(): Lng {
  const { i18n } = useTranslation();
  return i18n.language === 'ru' ? 'ru' : 'en';
}

/** The text of a field error in the UI language. */
function useErrorText(): (e: FieldError | undefined) => string | undefined {
  const { t } = useTranslation();
  const lng = useLng();
  return (e) => {
    if (!e) return undefined;
    if (e.kind === 'schema') return schemaMessage(e.message, lng);
    // The key is one of the wizard's error keys (typed in tenants.ts); their values vary by key.
    const translate = t as unknown as (key: string, values: Record<string, string>) => string;
    return translate(e.key, e.values);
  };
}

function BackLink(): ReactElement {
  const { t } = useTranslation();
  const open = useTenants((s) => s.open);
  return (
    <a
      href="#/tenants"
      className="back-link"
      data-testid="back-to-tenants"
      onClick={(e) => {
        e.preventDefault();
        open({ view: 'list' });
      }}
    >
      ← {t('wizard.back')}
    </a>
  );
}

interface FieldShellProps {
  id: string;
  label: ReactNode;
  help?: ReactNode;
  error?: string | undefined;
  note?: string | undefined;
  testId: string;
  className?: string;
  children: (aria: {
    id: string;
    'aria-invalid': boolean;
    'aria-describedby': string | undefined;
  }) => ReactNode;
}

/** A labelled field with its error (red) or note (blue) and help under it. */
function FieldShell({
  id,
  label,
  help,
  error,
  note,
  testId,
  className,
  children,
}: FieldShellProps): ReactElement {
  const helpId = help ? `${id}-help` : undefined;
  const msgId = error || note ? `${id}-msg` : undefined;
  const describedBy = [msgId, helpId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {error ? (
        <p className="field-error" id={msgId} data-testid={`field-error-${testId}`} role="status">
          {error}
        </p>
      ) : note ? (
        <p className="field-note" id={msgId} data-testid={`field-note-${testId}`} role="status">
          {note}
        </p>
      ) : null}
      {help ? (
        <p className="field-help" id={helpId}>
          {help}
        </p>
      ) : null}
    </div>
  );
}

function ModuleHint({
  state,
  catalog,
}: {
  state: ModuleState | undefined;
  catalog: ModuleInfo[];
}): ReactElement | null {
  const { t } = useTranslation();
  const lng = useLng();
  const title = (name: string): string => catalog.find((m) => m.name === name)?.title[lng] ?? name;
  if (!state) return null;
  switch (state.kind) {
    case 'base':
      return <span className="tag tag-ok">{t('wizard.included')}</span>;
    case 'dependency':
      return (
        <span className="tag tag-info" data-hint="dependency">
          {t('wizard.dependency', { modules: state.neededBy.map(title).join(', ') })}
        </span>
      );
    case 'tier':
      return (
        <span className="tag tag-plan" data-hint="tier">
          {state.via
            ? t('wizard.needsPlanVia', { plan: t(`plan.${state.needs}`), module: title(state.via) })
            : t('wizard.needsPlan', { plan: t(`plan.${state.needs}`) })}
        </span>
      );
    case 'planned':
      return (
        <span className="tag tag-unknown" data-hint="planned">
          {t('wizard.planned')}
        </span>
      );
    case 'blocked':
      return (
        <span className="tag tag-unknown" data-hint="blocked">
          {t('wizard.blockedVia', { module: title(state.via) })}
        </span>
      );
    default:
      return null;
  }
}

/** Base modules first, in their own order (core_chat, then what builds on it). */
function baseRank(name: string): number {
  const i = BASE_MODULES.indexOf(name);
  return i < 0 ? BASE_MODULES.length : i;
}

function ModulesSection({
  catalog,
  states,
}: {
  catalog: ModuleInfo[];
  states: Record<string, ModuleState>;
}): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const toggle = useTenants((s) => s.toggleModule);
  return (
    <div className="module-groups">
      {TIERS.map((tier) => {
        const mods = catalog
          .filter((m) => m.tier === tier)
          .sort(
            (a, b) =>
              baseRank(a.name) - baseRank(b.name) ||
              Number(a.status === 'planned') - Number(b.status === 'planned') ||
              a.title[lng].localeCompare(b.title[lng]),
          );
        if (mods.length === 0) return null;
        return (
          <fieldset key={tier} className="module-group" data-testid={`module-group-${tier}`}>
            <legend>{t(`wizard.tier.${tier}`)}</legend>
            <ul className="module-list">
              {mods.map((m) => {
                const state = states[m.name];
                const included = isIncluded(state);
                const toggleable = isToggleable(state);
                const id = `module-${m.name}`;
                return (
                  <li
                    key={m.name}
                    className={`module${included ? ' module-included' : ''}${!toggleable && !included ? ' module-disabled' : ''}`}
                    data-testid={`module-${m.name}`}
                    data-state={state?.kind}
                  >
                    <input
                      type="checkbox"
                      id={id}
                      data-testid={`module-check-${m.name}`}
                      checked={included}
                      disabled={!toggleable}
                      aria-describedby={`${id}-desc`}
                      onChange={(e) => toggle(m.name, e.target.checked)}
                    />
                    <div className="module-body">
                      <label htmlFor={id} className="module-title">
                        {m.title[lng]}{' '}
                        <span className="muted small mono">
                          {m.name} · v{m.version}
                        </span>
                      </label>
                      <p className="module-desc" id={`${id}-desc`}>
                        {m.description[lng]}
                      </p>
                      <ModuleHint state={state} catalog={catalog} />
                    </div>
                  </li>
                );
              })}
            </ul>
          </fieldset>
        );
      })}
    </div>
  );
}

function PlanCards(): ReactElement {
  const { t } = useTranslation();
  const plan = useTenants((s) => s.draft.plan);
  const setPlan = useTenants((s) => s.setPlan);
  return (
    <div className="plan-cards" role="radiogroup" aria-label={t('wizard.planLabel')} data-testid="plan-cards">
      {PLANS.map((p: PlanName) => (
        <label
          key={p}
          className={`plan-card${plan === p ? ' plan-card-selected' : ''}`}
          data-testid={`plan-${p}`}
        >
          <input
            type="radio"
            name="tenant-plan"
            value={p}
            checked={plan === p}
            onChange={() => setPlan(p)}
            data-testid={`plan-radio-${p}`}
          />
          <span className="plan-name">{t(`plan.${p}`)}</span>
          <span className="plan-desc">{t(`wizard.plans.${p}.desc`)}</span>
          <span className="plan-res muted small">{t(`wizard.plans.${p}.resources`)}</span>
        </label>
      ))}
    </div>
  );
}

/** The fields to show an error for before the first submit (as soon as they hold something). */
const FIELD_ORDER = ['slug', 'host', 'domain'];

function WizardForm(): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const errorText = useErrorText();
  const catalog = useTenants((s) => s.catalog);
  const draft = useTenants((s) => s.draft);
  const tenants = useTenants((s) => s.tenants);
  const updateDraft = useTenants((s) => s.updateDraft);
  const setEnv = useTenants((s) => s.setEnv);
  const create = useTenants((s) => s.create);
  const dropped = useTenants((s) => s.droppedModules);
  const open = useTenants((s) => s.open);
  const loadingCatalog = useTenants((s) => Boolean(s.busy['catalog']));
  const loadCatalog = useTenants((s) => s.loadCatalog);
  const hosts = useConsole((s) => s.hosts);
  const [submitted, setSubmitted] = useState(false);
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const formRef = useRef<HTMLFormElement>(null);
  const slugRef = useRef<HTMLInputElement>(null);

  const host = hosts.find((h) => h.name === draft.host);

  // A host is preselected: the first one the console can use.
  useEffect(() => {
    if (draft.host && hosts.some((h) => h.name === draft.host)) return;
    const first = hosts.find(hostUsable);
    if (first) updateDraft({ host: first.name });
  }, [draft.host, hosts, updateDraft]);

  useEffect(() => {
    slugRef.current?.focus();
  }, []);

  if (!catalog) {
    return (
      <>
        <ErrorBanner scopes={['wizard']} />
        {loadingCatalog ? (
          <p className="muted" role="status">
            <span className="spinner" aria-hidden="true" /> {t('wizard.loading')}
          </p>
        ) : (
          <div>
            <button type="button" className="button" onClick={() => void loadCatalog()}>
              {t('wizard.retryCatalog')}
            </button>
          </div>
        )}
      </>
    );
  }

  const selection = selectModules(catalog, draft.plan, draft.modules);
  const envFields = operatorEnv(catalog, selection.included);
  const generated = generatedEnv(catalog, selection.included);
  const errors: WizardErrors = validateWizard(draft, catalog, hosts, tenants, lng);
  // The slug is checked as it is typed; other fields once left (or on Create).
  const slugError =
    draft.slug !== '' || submitted ? validateSlug(draft.slug, draft.host, tenants) : undefined;
  const shown = (field: string): FieldError | undefined => {
    if (field === 'slug') return slugError;
    if (field === 'domain' && draft.domain.trim() !== '') return errors[field];
    return submitted || touched[field] ? errors[field] : undefined;
  };
  const blockError = (field: string): string | undefined => {
    const e = shown(field);
    return e && !(e.kind === 'ui' && e.key === 'wizard.errors.slugResumable') ? errorText(e) : undefined;
  };
  const noteFor = (field: string): string | undefined => {
    const e = shown(field);
    return e && e.kind === 'ui' && e.key === 'wizard.errors.slugResumable' ? errorText(e) : undefined;
  };
  const domain = previewDomain(draft, host);
  const title = (name: string): string => catalog.find((m) => m.name === name)?.title[lng] ?? name;
  const blocking = blockingErrors(errors);

  function onSubmit(e: FormEvent<HTMLFormElement>): void {
    e.preventDefault();
    setSubmitted(true);
    if (blocking.length > 0) {
      const order = [...FIELD_ORDER, ...envFields.map((f) => `env:${f.name}`)];
      const first = order.find((f) => blocking.includes(f));
      if (first) formRef.current?.querySelector<HTMLElement>(`[data-field="${first}"]`)?.focus();
      return;
    }
    void create();
  }

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate className="wizard" data-testid="tenant-wizard">
      <ErrorBanner scopes={['wizard']} />
      <section className="card wizard-section" aria-labelledby="wz-place">
        <h2 id="wz-place">{t('wizard.section.place')}</h2>
        <div className="form-grid">
          <FieldShell
            id="tenant-slug"
            testId="slug"
            label={t('wizard.slug')}
            help={t('wizard.slugHelp')}
            error={blockError('slug')}
            note={noteFor('slug')}
          >
            {(aria) => (
              <input
                {...aria}
                ref={slugRef}
                type="text"
                className="mono"
                data-testid="tenant-slug"
                data-field="slug"
                value={draft.slug}
                placeholder="acme-shop"
                autoComplete="off"
                spellCheck={false}
                maxLength={64}
                onChange={(e) => updateDraft({ slug: e.target.value })}
              />
            )}
          </FieldShell>
          <FieldShell
            id="tenant-host"
            testId="host"
            label={t('wizard.host')}
            error={blockError('host')}
            help={
              host ? (
                host.baseDomain ? (
                  <span data-testid="tenant-host-base">
                    {t('wizard.baseDomain', { host: host.name })}{' '}
                    <span className="mono">{host.baseDomain}</span>
                  </span>
                ) : (
                  <span data-testid="tenant-host-base">{t('wizard.noBaseDomain', { host: host.name })}</span>
                )
              ) : undefined
            }
          >
            {(aria) => (
              <select
                {...aria}
                data-testid="tenant-host"
                data-field="host"
                value={draft.host}
                onChange={(e) => updateDraft({ host: e.target.value })}
                onBlur={() => setTouched((p) => ({ ...p, host: true }))}
              >
                {hosts.length === 0 ? <option value="">{t('wizard.noHosts')}</option> : null}
                {hosts.map((h) => (
                  <option key={h.name} value={h.name} disabled={!hostUsable(h)}>
                    {hostUsable(h)
                      ? h.kind === 'local'
                        ? t('wizard.hostLocal', { host: h.name })
                        : h.name
                      : t('wizard.hostNoKey', { host: h.name })}
                  </option>
                ))}
              </select>
            )}
          </FieldShell>
          <FieldShell
            id="tenant-domain"
            testId="domain"
            label={host && !host.baseDomain ? t('wizard.domainRequired') : t('wizard.domain')}
            error={blockError('domain')}
            help={
              host?.baseDomain
                ? t('wizard.domainHelp', { domain: `${draft.slug || 'slug'}.${host.baseDomain}` })
                : t('wizard.domainHelpNoBase')
            }
          >
            {(aria) => (
              <input
                {...aria}
                type="text"
                className="mono"
                data-testid="tenant-domain"
                data-field="domain"
                value={draft.domain}
                placeholder={
                  host?.baseDomain ? `${draft.slug || 'slug'}.${host.baseDomain}` : 'acme.bots.example.kz'
                }
                autoComplete="off"
                spellCheck={false}
                onChange={(e) => updateDraft({ domain: e.target.value })}
                onBlur={() => setTouched((p) => ({ ...p, domain: true }))}
              />
            )}
          </FieldShell>
        </div>
        <p className="domain-preview" data-testid="domain-preview" aria-live="polite">
          {domain && !errors['domain'] ? (
            <>
              {t('wizard.preview')} <strong className="mono">https://{domain}</strong>
            </>
          ) : (
            <span className="muted">{t('wizard.previewNone')}</span>
          )}
        </p>
      </section>

      <section className="card wizard-section" aria-labelledby="wz-plan">
        <h2 id="wz-plan">{t('wizard.section.plan')}</h2>
        <PlanCards />
      </section>

      <section className="card wizard-section" aria-labelledby="wz-modules">
        <div className="card-header">
          <h2 id="wz-modules">{t('wizard.section.modules')}</h2>
          <span className="muted small" data-testid="modules-count">
            {t('wizard.modulesCount', { count: selection.included.length })}
          </span>
        </div>
        <p className="muted small">{t('wizard.modulesIntro')}</p>
        {dropped.length > 0 ? (
          <div className="callout callout-warning" role="status" data-testid="modules-dropped">
            <p>
              {t('wizard.dropped', {
                plan: t(`plan.${draft.plan}`),
                modules: dropped.map(title).join(', '),
              })}
            </p>
          </div>
        ) : null}
        <ModulesSection catalog={catalog} states={selection.states} />
      </section>

      <section className="card wizard-section" aria-labelledby="wz-settings" data-testid="wizard-settings">
        <h2 id="wz-settings">{t('wizard.section.settings')}</h2>
        {envFields.length === 0 ? (
          <p className="muted">{t('wizard.settingsNone')}</p>
        ) : (
          <>
            <p className="muted small">{t('wizard.settingsIntro')}</p>
            <div className="form-grid env-grid">
              {envFields.map((f) => {
                const key = `env:${f.name}`;
                return (
                  <FieldShell
                    key={f.name}
                    id={`tenant-env-${f.name}`}
                    testId={`env-${f.name}`}
                    className="field-wide"
                    label={
                      <>
                        <span className="mono">{f.name}</span>{' '}
                        <span
                          className={f.required ? 'tag tag-required' : 'tag tag-unknown'}
                          data-testid={`env-required-${f.name}`}
                          data-required={f.required}
                        >
                          {f.required ? t('wizard.required') : t('wizard.optional')}
                        </span>
                        {f.secret ? <span className="tag tag-unknown">{t('wizard.secret')}</span> : null}
                      </>
                    }
                    error={blockError(key)}
                    help={
                      <>
                        {f.description}{' '}
                        <span className="muted">
                          · {t('wizard.usedBy', { modules: f.modules.map(title).join(', ') })}
                        </span>
                      </>
                    }
                  >
                    {(aria) => (
                      <input
                        {...aria}
                        type={f.secret ? 'password' : 'text'}
                        className="mono"
                        data-testid={`tenant-env-${f.name}`}
                        data-field={key}
                        value={draft.env[f.name] ?? ''}
                        autoComplete={f.secret ? 'new-password' : 'off'}
                        spellCheck={false}
                        onChange={(e) => setEnv(f.name, e.target.value)}
                        onBlur={() => setTouched((p) => ({ ...p, [key]: true }))}
                      />
                    )}
                  </FieldShell>
                );
              })}
            </div>
          </>
        )}
        {generated.length > 0 ? (
          <p className="muted small generated-env">
            {t('wizard.generated')} <span className="mono">{generated.join(', ')}</span>
          </p>
        ) : null}
      </section>

      <section className="card wizard-section" aria-labelledby="wz-options">
        <h2 id="wz-options">{t('wizard.section.options')}</h2>
        <label className="checkbox-row">
          <input
            type="checkbox"
            data-testid="tenant-keep-on-failure"
            checked={draft.keepOnFailure}
            onChange={(e) => updateDraft({ keepOnFailure: e.target.checked })}
          />
          <span>
            <span className="checkbox-label">{t('wizard.keepOnFailure')}</span>
            <span className="field-help">{t('wizard.keepOnFailureHelp')}</span>
          </span>
        </label>
      </section>

      <div className="wizard-actions">
        <p className="wizard-summary" data-testid="wizard-summary">
          {t('wizard.summary', {
            slug: draft.slug || '—',
            host: draft.host || '—',
            plan: t(`plan.${draft.plan}`),
            count: selection.included.length,
          })}
        </p>
        {submitted && blocking.length > 0 ? (
          <p className="form-summary" role="alert" data-testid="wizard-fix-errors">
            {t('wizard.fixErrors')}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button button-primary" data-testid="tenant-create">
            {t('wizard.create')}
          </button>
          <button
            type="button"
            className="button"
            onClick={() => open({ view: 'list' })}
            data-testid="tenant-cancel"
          >
            {t('wizard.cancel')}
          </button>
        </div>
      </div>
    </form>
  );
}

// ---------- progress ----------

function StepIcon({ state }: { state: StepView['state'] }): ReactElement {
  switch (state) {
    case 'done':
      return <CheckIcon />;
    case 'failed':
      return <ErrorIcon />;
    case 'running':
      return <span className="spinner" aria-hidden="true" />;
    default:
      return <span className="step-dot" aria-hidden="true" />;
  }
}

function StepList({ steps }: { steps: StepView[] }): ReactElement {
  const { t } = useTranslation();
  return (
    <ol className="steps" aria-label={t('progress.stepsLabel')} data-testid="create-steps">
      {steps.map((s, i) => (
        <li
          key={`${i}-${s.step}`}
          className={`step step-${s.state}`}
          data-testid={`step-${s.step}`}
          data-state={s.state}
          aria-current={s.state === 'running' ? 'step' : undefined}
        >
          <span className="step-icon">
            <StepIcon state={s.state} />
          </span>
          <span className="step-text">
            <span className="step-label">
              {isKnownStep(s.step) ? t(`progress.steps.${s.step}`) : s.step}
              <span className="visually-hidden">: {t(`progress.state.${s.state}`)}</span>
            </span>
            {s.message ? (
              <span className="step-message" data-testid={`step-message-${s.step}`}>
                {s.message}
              </span>
            ) : null}
          </span>
        </li>
      ))}
    </ol>
  );
}

function timeOf(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toTimeString().slice(0, 8);
}

/** The tenant's log lines: follows the newest line until the operator scrolls up. */
function LogPane({ lines, slug }: { lines: readonly CreationLogLine[]; slug: string }): ReactElement {
  const { t } = useTranslation();
  const ref = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);

  useLayoutEffect(() => {
    const el = ref.current;
    if (follow && el) el.scrollTop = el.scrollHeight;
  }, [lines, follow]);

  function onScroll(): void {
    const el = ref.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 12;
    if (atBottom !== follow) setFollow(atBottom);
  }

  return (
    <div className="log-wrap">
      <div className="log-head">
        <h3>{t('progress.log')}</h3>
        {!follow ? (
          <span className="muted small" data-testid="log-paused">
            {t('progress.paused')}
          </span>
        ) : null}
      </div>
      <div
        ref={ref}
        className="log"
        role="log"
        aria-live="off"
        aria-label={t('progress.logLabel', { slug })}
        tabIndex={0}
        data-testid="create-log"
        data-follow={follow}
        onScroll={onScroll}
      >
        {lines.length === 0 ? <p className="muted log-empty">{t('progress.logEmpty')}</p> : null}
        {lines.map((l) =>
          l.retry ? (
            <div key={l.id} className="log-marker" data-testid="log-retry-marker">
              {t('progress.retryMarker', { n: l.retry })}
            </div>
          ) : (
            <div key={l.id} className={`log-line log-${l.level}`}>
              <time className="log-time" dateTime={l.at}>
                {timeOf(l.at)}
              </time>
              <span className="log-msg">{l.message}</span>
            </div>
          ),
        )}
      </div>
      {!follow ? (
        <button
          type="button"
          className="button button-small log-jump"
          data-testid="log-jump"
          onClick={() => {
            setFollow(true);
            const el = ref.current;
            if (el) el.scrollTop = el.scrollHeight;
          }}
        >
          <ArrowDownIcon /> {t('progress.jumpToLatest')}
        </button>
      ) : null}
    </div>
  );
}

function CreateProgressView({ creation }: { creation: Creation }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const retry = useTenants((s) => s.retry);
  const closeCreation = useTenants((s) => s.closeCreation);
  const resetDraft = useTenants((s) => s.resetDraft);
  const open = useTenants((s) => s.open);
  const retrying = useTenants((s) => Boolean(s.busy['create']));
  const { input, progress, phase } = creation;
  const stepNo = Math.max(0, progress.current + 1);
  const titleKey =
    phase === 'succeeded'
      ? 'progress.titleDone'
      : phase === 'failed'
        ? 'progress.titleFailed'
        : 'progress.title';
  const badgeState = phase === 'succeeded' ? 'running' : phase === 'failed' ? 'failed' : 'creating';
  const host = useConsole((s) => s.hosts.find((h) => h.name === input.host));
  const domain =
    creation.result?.domain ?? input.domain ?? (host?.baseDomain ? `${input.slug}.${host.baseDomain}` : null);

  return (
    <div className="screen" data-testid="screen-tenants" data-view="create">
      <BackLink />
      <ScreenHeader
        title={t(titleKey, { slug: input.slug, host: input.host })}
        subtitle={t('progress.subtitle', {
          plan: t(`plan.${input.plan ?? 'starter'}`),
          count: BASE_MODULES.length + (input.modules?.length ?? 0),
          domain: domain ?? '—',
        })}
      >
        <TenantStateBadge state={badgeState} testId="create-state" />
      </ScreenHeader>
      <section className="card progress-card" data-testid="create-progress" data-phase={phase}>
        <div className="progress-meta">
          <span>
            {progress.state === 'waiting' && phase === 'running'
              ? t('progress.waiting')
              : t('progress.stepOf', { step: stepNo, count: progress.stepCount })}
          </span>
          {creation.attempt > 1 ? (
            <span className="tag tag-unknown">{t('progress.attempt', { n: creation.attempt })}</span>
          ) : null}
          <span className="progress-percent" data-testid="create-percent">
            {formatNumber(progress.percent, lng, 0)}
            {'\u00a0'}%
          </span>
        </div>
        <div
          className={`progress progress-${phase}`}
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={progress.percent}
          aria-label={t('progress.barLabel', { slug: input.slug })}
          data-testid="create-bar"
        >
          <div className="progress-fill" style={{ width: `${progress.percent}%` }} />
        </div>

        {phase === 'failed' && creation.error ? (
          <div className="create-failure" data-testid="create-failure">
            <ErrorBox error={creation.error} />
            {input.keepOnFailure ? <p className="muted small">{t('progress.keptNote')}</p> : null}
            <div className="form-actions">
              <button
                type="button"
                className="button button-primary"
                data-testid="create-retry"
                disabled={retrying}
                onClick={() => void retry()}
              >
                {t('progress.retry')}
              </button>
              <button type="button" className="button" data-testid="create-edit" onClick={closeCreation}>
                {t('progress.edit')}
              </button>
            </div>
            <p className="muted small">{t('progress.retryHint')}</p>
          </div>
        ) : null}

        {phase === 'succeeded' && creation.result ? (
          <div className="callout callout-ok create-success" role="status" data-testid="create-success">
            <CheckIcon />
            <p>
              {t('progress.doneNote', { count: progress.stepCount })}{' '}
              <strong className="mono">https://{creation.result.domain}</strong>
            </p>
            <button
              type="button"
              className="button button-primary"
              data-testid="open-tenant"
              onClick={() => {
                const r = creation.result;
                if (r) open({ view: 'tenant', host: r.host, slug: r.slug });
              }}
            >
              {t('progress.openTenant')}
            </button>
            <button
              type="button"
              className="button"
              data-testid="create-another"
              onClick={() => {
                resetDraft();
              }}
            >
              {t('progress.createAnother')}
            </button>
          </div>
        ) : null}

        <div className="progress-grid">
          <StepList steps={progress.steps} />
          <LogPane lines={creation.logs} slug={input.slug} />
        </div>
      </section>
    </div>
  );
}

/** "New tenant": the form, then the live progress of the create. */
export function TenantWizard(): ReactElement {
  const { t } = useTranslation();
  const creation = useTenants((s) => s.creation);
  const loadCatalog = useTenants((s) => s.loadCatalog);
  const loaded = useTenants((s) => s.loaded);
  const loadTenants = useTenants((s) => s.loadTenants);

  useEffect(() => {
    void loadCatalog();
    if (!loaded) void loadTenants({ quiet: true });
  }, [loadCatalog, loadTenants, loaded]);

  if (creation) return <CreateProgressView creation={creation} />;
  return (
    <div className="screen" data-testid="screen-tenants" data-view="new">
      <BackLink />
      <ScreenHeader title={t('wizard.title')} subtitle={t('wizard.subtitle')} />
      <WizardForm />
    </div>
  );
}
