import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { WarningIcon } from '../../kit/Icons';
import { Modal } from '../../kit/Modal';
import { Button } from '../../kit/Button';
import { RichText } from '../../kit/RichText';
import { StatusBadge } from '../../kit/StatusBadge';
import { effectiveStatus } from '../../kit/format';
import { schemaMessage } from '../../i18n';
import { useConsole } from '../../app/store';
import { chosenAliases, importSourceFromPaths } from './validation';
import type { ImportPaths } from './validation';
import { useFields } from '../../kit/useFields';
import { useBusy } from './HostState';
import { CandidateRow, PATH_FIELDS, PathField } from './ImportParts';

const IMPORT = [
  'importPreview',
  'importResult',
  'importSelection',
  'hosts',
  'previewImport',
  'runImport',
  'setImportSelection',
  'closeImport',
  'checks',
  'liveStatus',
] as const;

/**
 * "Import from SSH config": paths (empty = the defaults) → preview of what would be added →
 * choose → import → summary. Keyboard: Tab through, Space ticks, Enter previews from the path
 * fields, Escape closes.
 */
export function ImportDialog(): ReactElement {
  const { t } = useTranslation();
  const uid = useId();
  const {
    importPreview: preview,
    importResult: result,
    importSelection: selection,
    hosts,
    previewImport,
    runImport,
    setImportSelection: setSelection,
    closeImport,
    checks,
    liveStatus,
  } = useFields(useConsole, IMPORT);
  const previewing = useBusy('import.preview');
  const importing = useBusy('import.run');
  const [paths, setPaths] = useState<ImportPaths>({ configPath: '', knownHostsPath: '' });
  const [pathError, setPathError] = useState<{ field: keyof ImportPaths; message: string } | null>(null);
  const configRef = useRef<HTMLInputElement>(null);
  const knownRef = useRef<HTMLInputElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const tableRef = useRef<HTMLTableElement>(null);
  const pathRefs = { configPath: configRef, knownHostsPath: knownRef };

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
      pathRefs[parsed.field].current?.focus();
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
      onCancel={closeImport}
      busy={importing}
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
          {PATH_FIELDS.map((f) => (
            <PathField
              key={f.key}
              id={`${uid}-${f.id}`}
              label={t(`import.${f.key}`)}
              help={t(`import.${f.key}Help`)}
              error={fieldError(f.key)}
              testId={f.testId}
              placeholder={f.placeholder}
              value={paths[f.key]}
              inputRef={pathRefs[f.key]}
              onChange={(value) => setPaths((p) => ({ ...p, [f.key]: value }))}
            />
          ))}
          <div className="import-source-actions">
            <Button
              submit
              tone={preview || result ? 'normal' : 'primary'}
              testId="import-preview"
              disabled={previewing || importing}
              busy={previewing}
            >
              {previewing ? <span className="spinner" aria-hidden="true" /> : null}
              {previewing
                ? t('import.previewing')
                : preview || result
                  ? t('import.again')
                  : t('import.preview')}
            </Button>
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
        <Button
          buttonRef={closeRef}
          tone={result ? 'primary' : 'normal'}
          onClick={closeImport}
          disabled={importing}
          testId="import-close"
        >
          {result ? t('common.close') : t('common.cancel')}
        </Button>
        {preview ? (
          <Button
            tone="primary"
            onClick={() => void runImport(chosen)}
            disabled={chosen.length === 0 || importing || previewing}
            busy={importing}
            testId="import-run"
          >
            {importing ? <span className="spinner" aria-hidden="true" /> : null}
            {importing ? t('import.running') : t('import.run', { count: chosen.length })}
          </Button>
        ) : null}
      </div>
    </Modal>
  );
}
