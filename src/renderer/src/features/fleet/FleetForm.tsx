import { useEffect, useId, useRef, useState } from 'react';
import type { ChangeEvent, FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { useLng } from '../../kit/useLocale';
import { ConfirmDialog } from '../../kit/ConfirmDialog';
import { UnreachableNotes } from '../../kit/Callout';
import { TenantStateBadge } from '../tenants/TenantBadges';
import { knownLabels, selectedTenants } from './fleetUpdate';
import { useFleetUpdate } from './fleetUpdateStore';
import { useConsole } from '../../app/store';
import { BASE_MODULES, hostUsable } from '../tenants/tenants';
import { useTenants } from '../tenants/tenantsStore';

import { FieldError, MODES, NumberField, useErrorText } from './FleetFields';
import { LoadingLine } from '../../kit/States';
import { TableHead } from '../../kit/TableHead';
import { useFields } from '../../kit/useFields';
import { Button } from '../../kit/Button';
import { CodeInput, FormField } from '../../kit/FormField';

const FORM_FIELDS = [
  'draft',
  'errors',
  'updateDraft',
  'toggleSlug',
  'setModule',
  'validate',
  'start',
] as const;
const TENANT_FIELDS = ['tenants', 'loaded', 'unreachable', 'catalog', 'loadTenants', 'loadCatalog'] as const;

/** The two number fields of "how": their ids, limits, test ids and `updates.*` label keys. */
const HOW_FIELDS = [
  { field: 'concurrency', idSuffix: 'conc', max: 16, testId: 'fleet-concurrency', label: 'concurrency' },
  { field: 'stopAfterFailures', idSuffix: 'stop', max: 1000, testId: 'fleet-stop-after', label: 'stopAfter' },
] as const;

export function FleetForm(): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const id = useId();
  const errorText = useErrorText();
  const { draft, errors, updateDraft, toggleSlug, setModule, validate, start } = useFields(
    useFleetUpdate,
    FORM_FIELDS,
  );
  const hosts = useConsole((s) => s.hosts);
  const {
    tenants,
    loaded: tenantsLoaded,
    unreachable,
    catalog,
    loadTenants,
    loadCatalog,
  } = useFields(useTenants, TENANT_FIELDS);
  const [confirming, setConfirming] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    void loadTenants({ quiet: useTenants.getState().loaded });
    void loadCatalog();
  }, [loadTenants, loadCatalog]);

  const preview = selectedTenants(draft, tenants, hosts);
  const labels = knownLabels(hosts);
  const modules = (catalog ?? [])
    .filter((m) => m.status === 'available' && !BASE_MODULES.includes(m.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const sortedTenants = [...tenants].sort(
    (a, b) => a.host.localeCompare(b.host) || a.slug.localeCompare(b.slug),
  );
  const title = (name: string): string => catalog?.find((m) => m.name === name)?.title[lng] ?? name;

  /** The host or label field's label, error and ids (its error line is `fleet-<field>-msg`). */
  const shell = (field: 'host' | 'label') => ({
    id: `${id}-${field}`,
    msgId: `fleet-${field}-msg`,
    testId: `fleet-${field}-msg`,
    className: 'fleet-field',
    label: t(`updates.${field}`),
    error: errorText(errors[field]),
  });
  /** What ties the host or label field to the draft: test id, focus key, value and edits. */
  const bound = (field: 'host' | 'label') => ({
    'data-testid': `fleet-${field}`,
    'data-field': field,
    value: draft[field],
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
      updateDraft({ [field]: e.target.value }),
  });

  function onSubmit(e: FormEvent<HTMLFormElement>): void {
    e.preventDefault();
    const wrong = validate();
    const first = (['host', 'label', 'slugs', 'concurrency', 'stopAfterFailures'] as const).find(
      (f) => wrong[f],
    );
    if (first) {
      formRef.current?.querySelector<HTMLElement>(`[data-field="${first}"]`)?.focus();
      return;
    }
    setConfirming(true);
  }

  return (
    <form ref={formRef} className="wizard fleet-form" onSubmit={onSubmit} noValidate data-testid="fleet-form">
      <section className="card wizard-section" aria-labelledby={`${id}-which`}>
        <h2 id={`${id}-which`}>{t('updates.section.which')}</h2>
        <div className="mode-choice" role="radiogroup" aria-labelledby={`${id}-which`}>
          {MODES.map((m) => (
            <label key={m} className={`plan-card mode-card${draft.mode === m ? ' plan-card-selected' : ''}`}>
              <input
                type="radio"
                name={`${id}-mode`}
                value={m}
                checked={draft.mode === m}
                onChange={() => updateDraft({ mode: m })}
                data-testid={`fleet-mode-${m}`}
              />
              <span className="plan-name">{t(`updates.mode.${m}`)}</span>
            </label>
          ))}
        </div>

        {draft.mode === 'host' ? (
          <FormField {...shell('host')}>
            {(aria) => (
              <select {...aria} {...bound('host')}>
                <option value="">{t('updates.chooseHost')}</option>
                {hosts.map((h) => (
                  <option key={h.name} value={h.name} disabled={!hostUsable(h)}>
                    {h.name}
                  </option>
                ))}
              </select>
            )}
          </FormField>
        ) : draft.mode === 'label' ? (
          <FormField
            {...shell('label')}
            help={
              <>
                {t('updates.labelHelp')}{' '}
                {labels.length === 0 ? (
                  t('updates.labelsNone')
                ) : (
                  <>
                    {t('updates.labelsKnown')}{' '}
                    <span className="chips">
                      {labels.map((l) => (
                        <button
                          key={l}
                          type="button"
                          className="chip chip-button mono"
                          onClick={() => updateDraft({ label: l })}
                          data-testid={`fleet-label-${l}`}
                        >
                          {l}
                        </button>
                      ))}
                    </span>
                  </>
                )}
              </>
            }
          >
            {(aria) => <CodeInput {...aria} {...bound('label')} placeholder="region=almaty" />}
          </FormField>
        ) : (
          <div className={`fleet-tenants${errors.slugs ? ' field-invalid' : ''}`}>
            <div className="fleet-tenants-head">
              <span className="field-label" id={`${id}-tenants`}>
                {t('updates.tenantsLabel')}
              </span>
              <button
                type="button"
                className="button button-small"
                onClick={() => updateDraft({ slugs: sortedTenants.map((x) => x.slug).sort() })}
                data-testid="fleet-select-all"
                data-field="slugs"
              >
                {t('updates.selectAll')}
              </button>
              <button
                type="button"
                className="button button-small"
                onClick={() => updateDraft({ slugs: [] })}
                data-testid="fleet-select-none"
              >
                {t('updates.selectNone')}
              </button>
            </div>
            <FieldError id="fleet-slugs-msg" text={errorText(errors.slugs)} />
            {!tenantsLoaded ? (
              <LoadingLine text={t('updates.tenantsLoading')} />
            ) : sortedTenants.length === 0 ? (
              <p className="muted">{t('updates.noTenants')}</p>
            ) : (
              <div className="table-scroll fleet-tenant-list">
                <table className="table" aria-labelledby={`${id}-tenants`} data-testid="fleet-tenants">
                  <tbody>
                    {sortedTenants.map((x) => {
                      const cid = `${id}-t-${x.host}-${x.slug}`;
                      return (
                        <tr key={`${x.host}/${x.slug}`}>
                          <td className="check-cell">
                            <input
                              id={cid}
                              type="checkbox"
                              checked={draft.slugs.includes(x.slug)}
                              onChange={(e) => toggleSlug(x.slug, e.target.checked)}
                              aria-label={t('updates.choose', { slug: x.slug, host: x.host })}
                              data-testid={`fleet-tenant-${x.slug}`}
                            />
                          </td>
                          <th scope="row">
                            <label htmlFor={cid} className="mono tenant-slug">
                              {x.slug}
                            </label>
                          </th>
                          <td>{x.host}</td>
                          <td>
                            <TenantStateBadge state={x.state} />
                          </td>
                          <td>
                            <span className={`tag tag-plan tag-plan-${x.plan}`}>{t(`plan.${x.plan}`)}</span>
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
          </div>
        )}
        <UnreachableNotes
          hosts={unreachable}
          testIdPrefix="fleet-unreachable"
          text={(u) => t('updates.unreachable', { host: u.host, message: u.error.message })}
        />
        <p
          className="fleet-preview"
          data-testid="fleet-preview"
          data-count={preview.length}
          aria-live="polite"
        >
          {preview.length > 0 ? (
            <>
              <strong>{t('updates.preview', { count: preview.length })}</strong>{' '}
              <span className="mono small">{preview.map((x) => x.slug).join(', ')}</span>
            </>
          ) : (
            <span className="muted">{t('updates.previewNone')}</span>
          )}
          <span className="muted small fleet-preview-note">{t('updates.previewNote')}</span>
        </p>
      </section>

      <section className="card wizard-section" aria-labelledby={`${id}-modules`}>
        <h2 id={`${id}-modules`}>{t('updates.section.modules')}</h2>
        <p className="muted">{t('updates.modulesIntro')}</p>
        {!catalog ? (
          <LoadingLine text={t('updates.modulesLoading')} />
        ) : (
          <table className="table fleet-modules" data-testid="fleet-modules">
            <TableHead columns={[t('updates.moduleCol.module'), t('updates.moduleCol.change')]} />
            <tbody>
              {modules.map((m) => {
                const change = draft.addModules.includes(m.name)
                  ? 'add'
                  : draft.removeModules.includes(m.name)
                    ? 'remove'
                    : '';
                return (
                  <tr key={m.name} data-change={change || 'none'}>
                    <th scope="row">
                      <label htmlFor={`${id}-m-${m.name}`}>
                        {title(m.name)} <span className="mono muted small">{m.name}</span>
                      </label>
                    </th>
                    <td>
                      <select
                        id={`${id}-m-${m.name}`}
                        value={change}
                        data-testid={`fleet-module-${m.name}`}
                        onChange={(e) =>
                          setModule(
                            m.name,
                            e.target.value === 'add' || e.target.value === 'remove' ? e.target.value : null,
                          )
                        }
                      >
                        <option value="">{t('updates.unchanged')}</option>
                        <option value="add">{t('updates.add')}</option>
                        <option value="remove">{t('updates.remove')}</option>
                      </select>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      <section className="card wizard-section" aria-labelledby={`${id}-how`}>
        <h2 id={`${id}-how`}>{t('updates.section.how')}</h2>
        <div className="form-grid">
          {HOW_FIELDS.map((f) => (
            <NumberField
              key={f.field}
              id={`${id}-${f.idSuffix}`}
              field={f.field}
              min={1}
              max={f.max}
              testId={f.testId}
              label={t(`updates.${f.label}`)}
              help={t(`updates.${f.label}Help`)}
              error={errorText(errors[f.field])}
              value={draft[f.field]}
              onChange={(value) => updateDraft({ [f.field]: value })}
            />
          ))}
        </div>
      </section>

      <div className="wizard-actions">
        {Object.keys(errors).length > 0 ? (
          <p className="field-error" role="status">
            {t('updates.fixErrors')}
          </p>
        ) : null}
        <div className="form-actions">
          <Button tone="primary" submit testId="fleet-start">
            {t('updates.start')}
          </Button>
        </div>
      </div>

      {confirming ? (
        <ConfirmDialog
          title={t('updates.confirmTitle', { count: preview.length })}
          testId="fleet-confirm"
          confirmLabel={t('updates.confirm')}
          body={
            <>
              <p>{t('updates.confirmBody')}</p>
              {preview.length > 0 ? (
                <p className="mono small">{preview.map((x) => x.slug).join(', ')}</p>
              ) : null}
              {draft.addModules.length > 0 ? (
                <p>{t('updates.confirmAdd', { modules: draft.addModules.join(', ') })}</p>
              ) : null}
              {draft.removeModules.length > 0 ? (
                <p>{t('updates.confirmRemove', { modules: draft.removeModules.join(', ') })}</p>
              ) : null}
              <p>
                {t('updates.confirmHow', {
                  concurrency: draft.concurrency.trim(),
                  stop: draft.stopAfterFailures.trim(),
                })}
              </p>
            </>
          }
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void start(preview.length);
          }}
        />
      ) : null}
    </form>
  );
}
