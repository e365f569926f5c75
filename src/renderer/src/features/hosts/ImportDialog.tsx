import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { ImportCandidate } from '../../../../shared/contract';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { CheckIcon, KeyIcon, WarningIcon } from '../../kit/Icons';
import { Modal } from '../../kit/Modal';
import { RichText } from '../../kit/RichText';
import { StatusBadge } from '../../kit/StatusBadge';
import { effectiveStatus, jumpChainText } from '../../kit/format';
import { schemaMessage } from '../../i18n';
import { useConsole } from '../../app/store';
import { chosenAliases, importSourceFromPaths } from './validation';
import type { ImportPaths } from './validation';

function CandidateRow({
  c,
  checked,
  onToggle,
}: {
  c: ImportCandidate;
  checked: boolean;
  onToggle: (on: boolean) => void;
}): ReactElement {
  const { t } = useTranslation();
  const uid = useId();
  const can = c.action === 'add';
  return (
    <tr
      data-testid={`import-row-${c.alias}`}
      data-action={c.action}
      className={can ? (checked ? 'row-selected' : undefined) : 'row-disabled'}
    >
      <td className="check-cell">
        <input
          type="checkbox"
          id={`${uid}-check`}
          data-testid={`import-check-${c.alias}`}
          checked={can && checked}
          disabled={!can}
          aria-label={t('import.choose', { alias: c.alias })}
          aria-describedby={c.note ? `${uid}-note` : undefined}
          onChange={(e) => onToggle(e.target.checked)}
        />
      </td>
      <th scope="row">
        <label htmlFor={`${uid}-check`} className="import-name">
          {c.name}
        </label>
        <span
          className={`tag tag-${c.action === 'add' ? 'ok' : c.action === 'exists' ? 'unknown' : 'warning'}`}
        >
          {t(`import.action.${c.action}`)}
        </span>
        <div className="muted small mono" title={c.source}>
          {c.alias !== c.name ? `${t('import.alias', { alias: c.alias })} · ` : ''}
          {c.source}
        </div>
        {c.note ? (
          <div className={`import-note import-note-${c.action} small`} id={`${uid}-note`}>
            <RichText text={c.note} />
          </div>
        ) : null}
      </th>
      <td className="mono nowrap">
        {c.address}:{c.port}
      </td>
      <td className="mono nowrap">{c.user}</td>
      <td className="mono import-auth">{can ? (c.keyFile ?? t('import.agent')) : t('common.none')}</td>
      <td className="mono">{c.jump.length > 0 ? jumpChainText(c.jump) : t('common.none')}</td>
      <td className="import-key" data-testid={`import-key-${c.alias}`} data-known={c.knownKey ? 'yes' : 'no'}>
        {c.knownKey ? (
          <>
            <span className="known-key">
              <CheckIcon />
              <code className="fingerprint fingerprint-small">{c.knownKey.fingerprint}</code>
            </span>
            <div className="muted small mono">{c.knownKey.source}</div>
          </>
        ) : can ? (
          <span className="tag tag-warning" title={t('import.toConfirmTitle')}>
            <KeyIcon />
            {t('import.toConfirm')}
          </span>
        ) : (
          t('common.none')
        )}
      </td>
    </tr>
  );
}

/**
 * "Import from SSH config": paths (empty = the defaults) → preview of what would be added →
 * choose → import → summary. Keyboard: Tab through, Space ticks, Enter previews from the path
 * fields, Escape closes.
 */
export function ImportDialog(): ReactElement {
  const { t } = useTranslation();
  const uid = useId();
  const preview = useConsole((s) => s.importPreview);
  const result = useConsole((s) => s.importResult);
  const selection = useConsole((s) => s.importSelection);
  const hosts = useConsole((s) => s.hosts);
  const previewing = useConsole((s) => Boolean(s.busy['import.preview']));
  const importing = useConsole((s) => Boolean(s.busy['import.run']));
  const previewImport = useConsole((s) => s.previewImport);
  const runImport = useConsole((s) => s.runImport);
  const setSelection = useConsole((s) => s.setImportSelection);
  const closeImport = useConsole((s) => s.closeImport);
  const [paths, setPaths] = useState<ImportPaths>({ configPath: '', knownHostsPath: '' });
  const [pathError, setPathError] = useState<{ field: keyof ImportPaths; message: string } | null>(null);
  const configRef = useRef<HTMLInputElement>(null);
  const knownRef = useRef<HTMLInputElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const tableRef = useRef<HTMLTableElement>(null);
  const checks = useConsole((s) => s.checks);
  const liveStatus = useConsole((s) => s.liveStatus);

  // The button that had the focus goes away with the step it belonged to: move the focus on.
  useEffect(() => {
    if (result) closeRef.current?.focus();
  }, [result]);
  useEffect(() => {
    if (preview && preview.candidates.length > 0)
      tableRef.current?.querySelector<HTMLInputElement>('tbody input:not(:disabled)')?.focus();
  }, [preview]);

  const candidates = preview?.candidates ?? [];
  const addable = candidates.filter((c) => c.action === 'add');
  const chosen = preview ? chosenAliases(candidates, selection) : [];
  const allChosen = addable.length > 0 && chosen.length === addable.length;

  function onPreview(e: FormEvent<HTMLFormElement>): void {
    e.preventDefault();
    const parsed = importSourceFromPaths(paths);
    if (!parsed.ok) {
      setPathError({ field: parsed.field, message: parsed.message });
      (parsed.field === 'configPath' ? configRef : knownRef).current?.focus();
      return;
    }
    setPathError(null);
    void previewImport(parsed.value);
  }

  const fieldError = (f: keyof ImportPaths): string | undefined =>
    pathError?.field === f ? schemaMessage(pathError.message) : undefined;

  const addedUnconfirmed =
    result?.added.some((h) => effectiveStatus(h, undefined, undefined) === 'key-unconfirmed') ?? false;

  return (
    <Modal
      labelledBy={`${uid}-title`}
      describedBy={`${uid}-intro`}
      onCancel={importing ? () => {} : closeImport}
      testId="import-dialog"
      size="wide"
      initialFocus={configRef}
    >
      <h2 id={`${uid}-title`} className="modal-title">
        {t('import.title')}
      </h2>
      <div className="modal-body">
        <p id={`${uid}-intro`} className="muted">
          {t('import.intro')}
        </p>
        <form className="import-source" onSubmit={onPreview} noValidate>
          <div className={`field${fieldError('configPath') ? ' field-invalid' : ''}`}>
            <label htmlFor={`${uid}-config`}>{t('import.configPath')}</label>
            <input
              ref={configRef}
              id={`${uid}-config`}
              type="text"
              className="mono"
              data-testid="import-config-path"
              placeholder="~/.ssh/config"
              autoComplete="off"
              spellCheck={false}
              value={paths.configPath}
              aria-invalid={Boolean(fieldError('configPath'))}
              aria-describedby={`${uid}-config-help`}
              onChange={(e) => setPaths((p) => ({ ...p, configPath: e.target.value }))}
            />
            {fieldError('configPath') ? <p className="field-error">{fieldError('configPath')}</p> : null}
            <p className="field-help" id={`${uid}-config-help`}>
              {t('import.configPathHelp')}
            </p>
          </div>
          <div className={`field${fieldError('knownHostsPath') ? ' field-invalid' : ''}`}>
            <label htmlFor={`${uid}-known`}>{t('import.knownHostsPath')}</label>
            <input
              ref={knownRef}
              id={`${uid}-known`}
              type="text"
              className="mono"
              data-testid="import-known-hosts-path"
              placeholder="~/.ssh/known_hosts"
              autoComplete="off"
              spellCheck={false}
              value={paths.knownHostsPath}
              aria-invalid={Boolean(fieldError('knownHostsPath'))}
              aria-describedby={`${uid}-known-help`}
              onChange={(e) => setPaths((p) => ({ ...p, knownHostsPath: e.target.value }))}
            />
            {fieldError('knownHostsPath') ? (
              <p className="field-error">{fieldError('knownHostsPath')}</p>
            ) : null}
            <p className="field-help" id={`${uid}-known-help`}>
              {t('import.knownHostsPathHelp')}
            </p>
          </div>
          <div className="import-source-actions">
            <button
              type="submit"
              className={preview || result ? 'button' : 'button button-primary'}
              data-testid="import-preview"
              disabled={previewing || importing}
              aria-busy={previewing}
            >
              {previewing ? <span className="spinner" aria-hidden="true" /> : null}
              {previewing
                ? t('import.previewing')
                : preview || result
                  ? t('import.again')
                  : t('import.preview')}
            </button>
          </div>
        </form>

        <ErrorBanner scopes={['import']} />

        {preview ? (
          <section className="import-preview" data-testid="import-preview-result" aria-live="polite">
            <p className="muted small" data-testid="import-read">
              {t('import.read', {
                config: preview.configPath,
                knownHosts:
                  preview.knownHostsPaths.length > 0
                    ? preview.knownHostsPaths.join(', ')
                    : t('import.noKnownHosts'),
              })}
            </p>
            {preview.warnings.length > 0 ? (
              <div className="callout callout-warning import-warnings" data-testid="import-warnings">
                <WarningIcon />
                <div>
                  <p className="callout-title">{t('import.warnings')}</p>
                  <ul>
                    {preview.warnings.map((w, i) => (
                      <li key={i}>
                        <RichText text={w} />
                      </li>
                    ))}
                  </ul>
                </div>
              </div>
            ) : null}
            {candidates.length === 0 ? (
              <p className="muted" data-testid="import-none">
                {t('import.none')}
              </p>
            ) : (
              <div className="table-scroll">
                <table
                  ref={tableRef}
                  className="table import-table"
                  aria-label={t('import.tableLabel')}
                  data-testid="import-table"
                >
                  <thead>
                    <tr>
                      <th scope="col" className="check-cell">
                        <input
                          type="checkbox"
                          data-testid="import-check-all"
                          aria-label={t('import.selectAll')}
                          title={t('import.selectAll')}
                          checked={allChosen}
                          disabled={addable.length === 0}
                          ref={(el) => {
                            if (el) el.indeterminate = chosen.length > 0 && !allChosen;
                          }}
                          onChange={(e) => {
                            const next: Record<string, boolean> = {};
                            for (const c of addable) next[c.alias] = e.target.checked;
                            setSelection(next);
                          }}
                        />
                      </th>
                      <th scope="col">{t('import.col.name')}</th>
                      <th scope="col">{t('import.col.address')}</th>
                      <th scope="col">{t('import.col.user')}</th>
                      <th scope="col">{t('import.col.auth')}</th>
                      <th scope="col">{t('import.col.jump')}</th>
                      <th scope="col">{t('import.col.key')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {candidates.map((c) => (
                      <CandidateRow
                        key={c.alias}
                        c={c}
                        checked={Boolean(selection[c.alias])}
                        onToggle={(on) => setSelection({ ...selection, [c.alias]: on })}
                      />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        ) : null}

        {result ? (
          <section className="import-result" data-testid="import-result" aria-live="polite">
            <h3>{t('import.done')}</h3>
            {result.added.length > 0 ? (
              <>
                <p className="import-result-title">{t('import.added', { count: result.added.length })}</p>
                <ul className="import-result-list" data-testid="import-added">
                  {result.added.map((h) => {
                    const existing = hosts.find((x) => x.name === h.name) ?? h;
                    return (
                      <li key={h.name} data-testid={`import-added-${h.name}`}>
                        <span className="mono import-result-name">{h.name}</span>
                        <span className="mono muted">
                          {h.user}@{h.address}:{h.port}
                        </span>
                        <StatusBadge
                          status={effectiveStatus(existing, checks[h.name], liveStatus[h.name])}
                          testId={`import-added-status-${h.name}`}
                        />
                      </li>
                    );
                  })}
                </ul>
              </>
            ) : (
              <p className="muted">{t('import.addedNone')}</p>
            )}
            {result.skipped.length > 0 ? (
              <>
                <p className="import-result-title">{t('import.skipped', { count: result.skipped.length })}</p>
                <ul className="import-result-list" data-testid="import-skipped">
                  {result.skipped.map((s) => (
                    <li key={s.alias} data-testid={`import-skipped-${s.alias}`}>
                      <span className="mono import-result-name">{s.alias}</span>
                      <span className="muted">
                        <RichText text={s.reason} />
                      </span>
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            {addedUnconfirmed ? (
              <p className="callout callout-warning">
                {t('import.unconfirmedAfter', { status: t('status.key-unconfirmed') })}
              </p>
            ) : null}
          </section>
        ) : null}
      </div>
      <div className="modal-actions">
        {preview && candidates.length > 0 ? (
          <span className="muted small modal-actions-note" data-testid="import-chosen" aria-live="polite">
            {t('import.chosen', { count: chosen.length, total: addable.length })}
          </span>
        ) : null}
        <button
          type="button"
          ref={closeRef}
          className={result ? 'button button-primary' : 'button'}
          onClick={closeImport}
          disabled={importing}
          data-testid="import-close"
        >
          {result ? t('common.close') : t('common.cancel')}
        </button>
        {preview ? (
          <button
            type="button"
            className="button button-primary"
            data-testid="import-run"
            disabled={chosen.length === 0 || importing || previewing}
            aria-busy={importing}
            onClick={() => void runImport(chosen)}
          >
            {importing ? <span className="spinner" aria-hidden="true" /> : null}
            {importing ? t('import.running') : t('import.run', { count: chosen.length })}
          </button>
        ) : null}
      </div>
    </Modal>
  );
}
