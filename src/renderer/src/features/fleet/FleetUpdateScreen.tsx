import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { useLng } from '../backups/BackupBadges';
import { ConfirmDialog } from '../../kit/ConfirmDialog';
import { ErrorBanner, ErrorBox } from '../../kit/ErrorBanner';
import { RichText } from '../../kit/RichText';
import { CheckIcon, WarningIcon } from '../../kit/Icons';
import { TenantStateBadge, ToneIcon } from '../tenants/TenantBadges';
import { formatDateTime, formatNumber } from '../../kit/format';
import { fleetStateBusy, fleetStateTone, knownLabels, selectedTenants, tallyFleet } from './fleetUpdate';
import type {
  FleetErrors,
  FleetField,
  FleetRow,
  FleetRowState,
  FleetRun,
  SelectionMode,
} from './fleetUpdate';
import { useFleetUpdate } from './fleetUpdateStore';
import { schemaMessage } from '../../i18n';
import { useConsole } from '../../app/store';
import { BASE_MODULES, hostUsable } from '../tenants/tenants';
import { useTenants } from '../tenants/tenantsStore';
import { ScreenHeader } from '../../kit/ScreenHeader';

const MODES: readonly SelectionMode[] = ['host', 'label', 'tenants'];

function useErrorText(): (e: FleetErrors[FleetField]) => string | undefined {
  const { t } = useTranslation();
  const lng = useLng();
  return (e) => {
    if (!e) return undefined;
    if ('schema' in e) return schemaMessage(e.schema, lng);
    // The key is one of `updates.errors.*` (set in fleetUpdate.ts).
    const translate = t as unknown as (key: string) => string;
    return translate(e.key);
  };
}

function FieldError({ id, text }: { id: string; text: string | undefined }): ReactElement | null {
  if (!text) return null;
  return (
    <p className="field-error" id={id} role="status" data-testid={`field-error-${id}`}>
      {text}
    </p>
  );
}

/** A whole-number field with its label, help and error (described by `<testId>-msg` and `<id>-help`). */
function NumberField(p: {
  id: string;
  field: FleetField;
  min: number;
  max: number;
  testId: string;
  label: string;
  help: string;
  error: string | undefined;
  value: string;
  onChange: (value: string) => void;
}): ReactElement {
  const msgId = `${p.testId}-msg`;
  return (
    <div className={`field${p.error ? ' field-invalid' : ''}`}>
      <label htmlFor={p.id}>{p.label}</label>
      <input
        id={p.id}
        type="number"
        min={p.min}
        max={p.max}
        data-testid={p.testId}
        data-field={p.field}
        value={p.value}
        aria-invalid={Boolean(p.error)}
        aria-describedby={`${p.error ? `${msgId} ` : ''}${p.id}-help`}
        onChange={(e) => p.onChange(e.target.value)}
      />
      <FieldError id={msgId} text={p.error} />
      <p className="field-help" id={`${p.id}-help`}>
        {p.help}
      </p>
    </div>
  );
}

export function FleetStateBadge({ state, testId }: { state: FleetRowState; testId?: string }): ReactElement {
  const { t } = useTranslation();
  const tone = fleetStateTone(state);
  return (
    <span className={`badge badge-${tone}`} data-testid={testId} data-state={state} data-tone={tone}>
      <ToneIcon tone={tone} busy={fleetStateBusy(state)} />
      <span className="badge-text">{t(`updates.state.${state}`)}</span>
    </span>
  );
}

// ---------- the form ----------

function FleetForm(): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const id = useId();
  const errorText = useErrorText();
  const draft = useFleetUpdate((s) => s.draft);
  const errors = useFleetUpdate((s) => s.errors);
  const updateDraft = useFleetUpdate((s) => s.updateDraft);
  const toggleSlug = useFleetUpdate((s) => s.toggleSlug);
  const setModule = useFleetUpdate((s) => s.setModule);
  const validate = useFleetUpdate((s) => s.validate);
  const start = useFleetUpdate((s) => s.start);
  const hosts = useConsole((s) => s.hosts);
  const tenants = useTenants((s) => s.tenants);
  const tenantsLoaded = useTenants((s) => s.loaded);
  const unreachable = useTenants((s) => s.unreachable);
  const catalog = useTenants((s) => s.catalog);
  const loadTenants = useTenants((s) => s.loadTenants);
  const loadCatalog = useTenants((s) => s.loadCatalog);
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
          <div className={`field fleet-field${errors.host ? ' field-invalid' : ''}`}>
            <label htmlFor={`${id}-host`}>{t('updates.host')}</label>
            <select
              id={`${id}-host`}
              data-testid="fleet-host"
              data-field="host"
              value={draft.host}
              aria-invalid={Boolean(errors.host)}
              aria-describedby={errors.host ? 'fleet-host-msg' : undefined}
              onChange={(e) => updateDraft({ host: e.target.value })}
            >
              <option value="">{t('updates.chooseHost')}</option>
              {hosts.map((h) => (
                <option key={h.name} value={h.name} disabled={!hostUsable(h)}>
                  {h.name}
                </option>
              ))}
            </select>
            <FieldError id="fleet-host-msg" text={errorText(errors.host)} />
          </div>
        ) : draft.mode === 'label' ? (
          <div className={`field fleet-field${errors.label ? ' field-invalid' : ''}`}>
            <label htmlFor={`${id}-label`}>{t('updates.label')}</label>
            <input
              id={`${id}-label`}
              type="text"
              className="mono"
              data-testid="fleet-label"
              data-field="label"
              value={draft.label}
              placeholder="region=almaty"
              autoComplete="off"
              spellCheck={false}
              aria-invalid={Boolean(errors.label)}
              aria-describedby={`${errors.label ? 'fleet-label-msg ' : ''}${id}-label-help`}
              onChange={(e) => updateDraft({ label: e.target.value })}
            />
            <FieldError id="fleet-label-msg" text={errorText(errors.label)} />
            <p className="field-help" id={`${id}-label-help`}>
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
            </p>
          </div>
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
              <p className="muted" role="status">
                <span className="spinner" aria-hidden="true" /> {t('updates.tenantsLoading')}
              </p>
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
        {unreachable.map((u) => (
          <div
            key={u.host}
            className="callout callout-warning"
            role="status"
            data-testid={`fleet-unreachable-${u.host}`}
          >
            <WarningIcon />
            <p>
              <RichText text={t('updates.unreachable', { host: u.host, message: u.error.message })} />
            </p>
          </div>
        ))}
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
          <p className="muted" role="status">
            <span className="spinner" aria-hidden="true" /> {t('updates.modulesLoading')}
          </p>
        ) : (
          <table className="table fleet-modules" data-testid="fleet-modules">
            <thead>
              <tr>
                <th scope="col">{t('updates.moduleCol.module')}</th>
                <th scope="col">{t('updates.moduleCol.change')}</th>
              </tr>
            </thead>
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
          <NumberField
            id={`${id}-conc`}
            field="concurrency"
            min={1}
            max={16}
            testId="fleet-concurrency"
            label={t('updates.concurrency')}
            help={t('updates.concurrencyHelp')}
            error={errorText(errors.concurrency)}
            value={draft.concurrency}
            onChange={(concurrency) => updateDraft({ concurrency })}
          />
          <NumberField
            id={`${id}-stop`}
            field="stopAfterFailures"
            min={1}
            max={1000}
            testId="fleet-stop-after"
            label={t('updates.stopAfter')}
            help={t('updates.stopAfterHelp')}
            error={errorText(errors.stopAfterFailures)}
            value={draft.stopAfterFailures}
            onChange={(stopAfterFailures) => updateDraft({ stopAfterFailures })}
          />
        </div>
      </section>

      <div className="wizard-actions">
        {Object.keys(errors).length > 0 ? (
          <p className="field-error" role="status">
            {t('updates.fixErrors')}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button button-primary" data-testid="fleet-start">
            {t('updates.start')}
          </button>
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

// ---------- the run ----------

function RowsTable({ run, final }: { run: FleetRun; final: boolean }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const seconds = (n: number | null): string =>
    n === null ? t('common.none') : t('updates.seconds', { value: formatNumber(n, lng, n < 10 ? 1 : 0) });
  return (
    <table
      className="table fleet-rows"
      aria-label={final ? t('updates.outcomesTitle') : t('updates.liveLabel')}
      data-testid={final ? 'fleet-outcomes' : 'fleet-live'}
    >
      <thead>
        <tr>
          <th scope="col">{t('updates.col.host')}</th>
          <th scope="col">{t('updates.col.tenant')}</th>
          <th scope="col">{t('updates.col.state')}</th>
          <th scope="col">{t('updates.col.detail')}</th>
          {final ? (
            <>
              <th scope="col">{t('updates.col.backup')}</th>
              <th scope="col" className="num">
                {t('updates.col.duration')}
              </th>
            </>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {run.rows.map((r: FleetRow) => (
          <tr
            key={`${r.host}/${r.slug}`}
            className={`tone-row tone-row-${fleetStateTone(r.state)}`}
            data-testid={`fleet-row-${r.slug}`}
            data-state={r.state}
            data-tone={fleetStateTone(r.state)}
          >
            <td className="nowrap">{r.host}</td>
            <th scope="row" className="mono">
              {r.slug}
            </th>
            <td className="nowrap">
              <FleetStateBadge state={r.state} testId={`fleet-state-${r.slug}`} />
            </td>
            <td className="small fleet-detail">{r.detail || t('common.none')}</td>
            {final ? (
              <>
                <td className="mono small">{r.backupId ?? t('common.none')}</td>
                <td className="num nowrap">{seconds(r.seconds)}</td>
              </>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FleetRunView({ run }: { run: FleetRun }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const closeRun = useFleetUpdate((s) => s.closeRun);
  const resetDraft = useFleetUpdate((s) => s.resetDraft);
  const tally = tallyFleet(run);
  const phase = run.phase;
  const title =
    phase === 'running'
      ? t('updates.titleRunning')
      : phase === 'done'
        ? t('updates.titleDone')
        : t('updates.titleFailed');
  const barState =
    phase === 'running'
      ? 'running'
      : phase === 'failed' || tally.failed > 0 || run.stopped
        ? 'failed'
        : 'succeeded';
  return (
    <>
      <ScreenHeader title={title} subtitle={t('updates.opId', { id: run.opId })} />
      <section className="card progress-card" data-testid="fleet-progress" data-phase={phase}>
        <div className="progress-meta">
          {phase === 'running' ? (
            <span className="spinner" aria-hidden="true" />
          ) : phase === 'done' && barState === 'succeeded' ? (
            <CheckIcon />
          ) : (
            <WarningIcon />
          )}
          <span data-testid="fleet-progress-text">
            {run.rows.length === 0 && phase === 'running'
              ? t('updates.waiting')
              : t('updates.progress', { finished: tally.finished, total: tally.total })}
          </span>
          <span className="muted small">{formatDateTime(run.startedAt, lng)}</span>
          <span className="progress-percent" data-testid="fleet-percent">
            {formatNumber(tally.percent, lng, 0)}
            {'\u00a0%'}
          </span>
        </div>
        <div
          className={`progress progress-${barState}`}
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={tally.percent}
          aria-label={t('updates.barLabel')}
          data-testid="fleet-bar"
        >
          <div className="progress-fill" style={{ width: `${tally.percent}%` }} />
        </div>
        <p className="fleet-tally" data-testid="fleet-tally">
          <span className="badge badge-ok" data-count={tally.updated} data-testid="fleet-tally-updated">
            <ToneIcon tone="ok" />
            <span className="badge-text">
              {t('updates.tally.updated')}: {tally.updated}
            </span>
          </span>
          <span
            className="badge badge-warning"
            data-count={tally.rolledBack}
            data-testid="fleet-tally-rolled-back"
          >
            <ToneIcon tone="warning" />
            <span className="badge-text">
              {t('updates.tally.rolledBack')}: {tally.rolledBack}
            </span>
          </span>
          <span className="badge badge-error" data-count={tally.failed} data-testid="fleet-tally-failed">
            <ToneIcon tone="error" />
            <span className="badge-text">
              {t('updates.tally.failed')}: {tally.failed}
            </span>
          </span>
          <span className="badge badge-unknown" data-count={tally.skipped} data-testid="fleet-tally-skipped">
            <ToneIcon tone="unknown" />
            <span className="badge-text">
              {t('updates.tally.skipped')}: {tally.skipped}
            </span>
          </span>
        </p>
        {phase === 'done' ? (
          run.stopped ? (
            <div className="callout callout-warning" role="status" data-testid="fleet-stopped">
              <WarningIcon />
              <p>{t('updates.stopped', { stop: run.input.stopAfterFailures ?? 1 })}</p>
            </div>
          ) : (
            <div className="callout callout-ok" role="status" data-testid="fleet-complete">
              <CheckIcon />
              <p>{t('updates.complete')}</p>
            </div>
          )
        ) : null}
        {phase === 'failed' && run.error ? <ErrorBox error={run.error} /> : null}
      </section>

      {run.rows.length > 0 ? (
        <section className="card table-card">
          {phase === 'running' ? null : <h2 className="table-card-title">{t('updates.outcomesTitle')}</h2>}
          <RowsTable run={run} final={phase !== 'running'} />
        </section>
      ) : null}

      {phase !== 'running' ? (
        <div className="form-actions">
          <button type="button" className="button" onClick={closeRun} data-testid="fleet-back">
            {t('updates.backToForm')}
          </button>
          <button
            type="button"
            className="button button-primary"
            onClick={resetDraft}
            data-testid="fleet-new"
          >
            {t('updates.newUpdate')}
          </button>
        </div>
      ) : null}
    </>
  );
}

/** The Fleet update section: the form, or the update in progress and its outcomes. */
export function FleetUpdateScreen(): ReactElement {
  const { t } = useTranslation();
  const run = useFleetUpdate((s) => s.run);
  return (
    <div className="screen" data-testid="screen-updates" data-view={run ? 'run' : 'form'}>
      {run ? (
        <FleetRunView run={run} />
      ) : (
        <>
          <ScreenHeader title={t('updates.title')} subtitle={t('updates.subtitle')} />
          <ErrorBanner scopes={['updates', 'tenants', 'wizard']} />
          <FleetForm />
        </>
      )}
    </div>
  );
}
