import { useEffect, useRef, useState } from 'react';
import type { ChangeEvent, FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { useConsole } from '../../app/store';
import {
  blockingErrors,
  generatedEnv,
  hostUsable,
  operatorEnv,
  previewDomain,
  selectModules,
  validateSlug,
  validateWizard,
} from './tenants';
import type { FieldError, WizardErrors } from './tenants';
import { useTenants } from './tenantsStore';

import { ModulesSection, PlanCards, useErrorText } from './WizardFields';
import { useLng } from '../../kit/useLocale';
import { LoadingLine } from '../../kit/States';
import { useFields } from '../../kit/useFields';
import { Button } from '../../kit/Button';
import { CheckboxRow } from '../../kit/CheckboxRow';
import { CodeInput, FormField } from '../../kit/FormField';

/** The fields to show an error for before the first submit (as soon as they hold something). */
const FIELD_ORDER = ['slug', 'host', 'domain'];

const FIELDS = [
  'catalog',
  'draft',
  'tenants',
  'updateDraft',
  'setEnv',
  'create',
  'droppedModules',
  'open',
  'loadCatalog',
] as const;

export function WizardForm(): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const errorText = useErrorText();
  const {
    catalog,
    draft,
    tenants,
    updateDraft,
    setEnv,
    create,
    droppedModules: dropped,
    open,
    loadCatalog,
  } = useFields(useTenants, FIELDS);
  const loadingCatalog = useTenants((s) => Boolean(s.busy['catalog']));
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
          <LoadingLine text={t('wizard.loading')} />
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
  /** What ties a field of the first section to the draft: test id, focus key, value, edits, leaving. */
  const bound = (field: 'slug' | 'host' | 'domain') => ({
    'data-testid': `tenant-${field}`,
    'data-field': field,
    value: draft[field],
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
      updateDraft({ [field]: e.target.value }),
    onBlur: () => setTouched((p) => ({ ...p, [field]: true })),
  });

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
          <FormField
            id="tenant-slug"
            testId="slug"
            label={t('wizard.slug')}
            help={t('wizard.slugHelp')}
            error={blockError('slug')}
            note={noteFor('slug')}
          >
            {(aria) => (
              <CodeInput {...aria} {...bound('slug')} ref={slugRef} placeholder="acme-shop" maxLength={64} />
            )}
          </FormField>
          <FormField
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
              <select {...aria} {...bound('host')}>
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
          </FormField>
          <FormField
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
              <CodeInput
                {...aria}
                {...bound('domain')}
                placeholder={
                  host?.baseDomain ? `${draft.slug || 'slug'}.${host.baseDomain}` : 'acme.bots.example.kz'
                }
              />
            )}
          </FormField>
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
                  <FormField
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
                      <CodeInput
                        {...aria}
                        type={f.secret ? 'password' : 'text'}
                        data-testid={`tenant-env-${f.name}`}
                        data-field={key}
                        value={draft.env[f.name] ?? ''}
                        autoComplete={f.secret ? 'new-password' : 'off'}
                        onChange={(e) => setEnv(f.name, e.target.value)}
                        onBlur={() => setTouched((p) => ({ ...p, [key]: true }))}
                      />
                    )}
                  </FormField>
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
        <CheckboxRow
          testId="tenant-keep-on-failure"
          checked={draft.keepOnFailure}
          onChange={(keepOnFailure) => updateDraft({ keepOnFailure })}
          label={t('wizard.keepOnFailure')}
        >
          <span className="field-help">{t('wizard.keepOnFailureHelp')}</span>
        </CheckboxRow>
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
          <Button tone="primary" submit testId="tenant-create">
            {t('wizard.create')}
          </Button>
          <Button onClick={() => open({ view: 'list' })} testId="tenant-cancel">
            {t('wizard.cancel')}
          </Button>
        </div>
      </div>
    </form>
  );
}
