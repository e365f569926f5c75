import { useEffect, useId, useRef, useState } from 'react';
import type { ChangeEvent, FocusEvent, FormEvent, ReactElement, RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { schemaMessage } from '../../i18n';
import { useConsole } from '../../app/store';
import { validateDraft, validateField } from './validation';
import type { AuthKind, DraftField, FieldErrors, HostDraft } from './validation';
import { FingerprintDialog } from './FingerprintDialog';
import { useFields } from '../../kit/useFields';
import { Button } from '../../kit/Button';
import { useBusy } from './HostState';

import { FIELD_INPUT, Field, JumpChainEditor, LabelsEditor } from './HostFormParts';

/** The draft's one-line text fields. */
type TextKey = 'name' | 'address' | 'user' | 'keyPath' | 'keyText' | 'baseDomain' | 'registryMirror';

const FORM = [
  'draft',
  'updateDraft',
  'probeDraft',
  'closeAddForm',
  'probe',
  'confirmAdd',
  'cancelProbe',
  'hosts',
] as const;

export function AddHostForm(): ReactElement {
  const { t, i18n } = useTranslation();
  const { draft, updateDraft, probeDraft, closeAddForm, probe, confirmAdd, cancelProbe, hosts } = useFields(
    useConsole,
    FORM,
  );
  const probing = useBusy('probe');
  const adding = useBusy('add');
  const jumpCandidates = hosts
    .filter((h) => h.kind === 'ssh' && h.name !== draft.name.trim())
    .map((h) => h.name);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [touched, setTouched] = useState<Partial<Record<DraftField, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const uid = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const lng = i18n.language === 'ru' ? 'ru' : 'en';

  useEffect(() => {
    nameRef.current?.focus();
  }, []);

  const shown = (f: DraftField): string | undefined => {
    const msg = errors[f];
    return msg && (touched[f] || submitted) ? schemaMessage(msg, lng) : undefined;
  };

  function change(patch: Partial<HostDraft>, fields: DraftField[]): void {
    updateDraft(patch);
    const next = { ...draft, ...patch };
    // Once a field shows an error, re-check it as the operator types so the error clears.
    setErrors((prev) => {
      const out = { ...prev };
      for (const f of fields) {
        if (!prev[f] && !submitted) continue;
        const msg = validateField(f, next);
        if (msg) out[f] = msg;
        else delete out[f];
      }
      return out;
    });
  }

  function blur(f: DraftField, next: EventTarget | null): void {
    setTouched((prev) => ({ ...prev, [f]: true }));
    // Leaving the field for Submit or Cancel: don't show an error now — it would move the button
    // under the pointer before the click lands. Submit validates everything anyway.
    if (next instanceof HTMLElement && next.closest('.form-actions')) return;
    const msg = validateField(f, draft);
    setErrors((prev) => {
      const out = { ...prev };
      if (msg) out[f] = msg;
      else delete out[f];
      return out;
    });
  }

  function onSubmit(e: FormEvent<HTMLFormElement>): void {
    e.preventDefault();
    setSubmitted(true);
    const all = validateDraft(draft);
    setErrors(all);
    const first = (Object.keys(all) as DraftField[])[0];
    if (first) {
      formRef.current?.querySelector<HTMLElement>(`[data-testid="${FIELD_INPUT[first]}"]`)?.focus();
      return;
    }
    void probeDraft();
  }

  const id = (f: string): string => `${uid}-${f}`;
  const hasErrors = submitted && Object.keys(errors).length > 0;

  /**
   * A text field of the draft (a textarea of `rows` lines, else one line); its label and help are
   * `form.<key>` and `form.<key>Help`.
   */
  function textField(
    f: DraftField,
    key: TextKey,
    o: {
      placeholder: string;
      className?: string;
      mono?: boolean;
      rows?: number;
      inputRef?: RefObject<HTMLInputElement | null>;
    },
  ): ReactElement {
    return (
      <Field
        field={f}
        id={id(key)}
        label={t(`form.${key}`)}
        help={t(`form.${key}Help`)}
        error={shown(f)}
        className={o.className}
      >
        {(aria) => {
          const props = {
            ...aria,
            className: o.mono ? 'mono' : undefined,
            'data-testid': `host-${f}`,
            value: draft[key],
            autoComplete: 'off',
            spellCheck: false,
            placeholder: o.placeholder,
            onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
              change({ [key]: e.target.value }, [f]),
            onBlur: (e: FocusEvent) => blur(f, e.relatedTarget),
          };
          return o.rows ? (
            <textarea {...props} rows={o.rows} />
          ) : (
            <input {...props} ref={o.inputRef} type="text" />
          );
        }}
      </Field>
    );
  }

  return (
    <section className="card add-host" aria-labelledby={id('title')} data-testid="add-host-form">
      <h2 id={id('title')}>{t('form.title')}</h2>
      <p className="muted">{t('form.intro')}</p>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <div className="form-grid">
          {textField('name', 'name', { placeholder: 'almaty-1', inputRef: nameRef })}
          {textField('address', 'address', { placeholder: '203.0.113.10', className: 'field-wide' })}
          <Field
            field="port"
            id={id('port')}
            label={t('form.port')}
            error={shown('port')}
            className="field-narrow"
          >
            {(aria) => (
              <input
                {...aria}
                type="text"
                inputMode="numeric"
                data-testid="host-port"
                value={draft.port}
                autoComplete="off"
                onChange={(e) => change({ port: e.target.value }, ['port'])}
                onBlur={(e) => blur('port', e.relatedTarget)}
              />
            )}
          </Field>
          {textField('user', 'user', { placeholder: 'root' })}
          <Field
            field={null}
            id={id('auth')}
            label={t('form.authKind')}
            help={draft.authKind === 'agent' ? t('form.agentHelp') : undefined}
          >
            {(aria) => (
              <select
                {...aria}
                data-testid="host-auth-kind"
                value={draft.authKind}
                onChange={(e) => {
                  const authKind = e.target.value as AuthKind;
                  updateDraft({ authKind });
                  setErrors((prev) => {
                    const out = { ...prev };
                    delete out['key-path'];
                    delete out['key-text'];
                    return out;
                  });
                }}
              >
                <option value="agent">{t('auth.agent')}</option>
                <option value="keyFile">{t('auth.keyFile')}</option>
                <option value="storedKey">{t('auth.storedKey')}</option>
              </select>
            )}
          </Field>
          {draft.authKind === 'keyFile'
            ? textField('key-path', 'keyPath', {
                placeholder: '~/.ssh/id_ed25519',
                className: 'field-wide',
                mono: true,
              })
            : null}
          {draft.authKind === 'storedKey'
            ? textField('key-text', 'keyText', {
                placeholder: '-----BEGIN OPENSSH PRIVATE KEY-----',
                className: 'field-full',
                mono: true,
                rows: 6,
              })
            : null}
          {draft.authKind !== 'agent' ? (
            <Field
              field={null}
              id={id('passphrase')}
              label={t('form.passphrase')}
              help={t('form.passphraseHelp')}
            >
              {(aria) => (
                <input
                  {...aria}
                  type="password"
                  data-testid="host-passphrase"
                  value={draft.passphrase}
                  autoComplete="off"
                  onChange={(e) => updateDraft({ passphrase: e.target.value })}
                />
              )}
            </Field>
          ) : null}
        </div>
        <fieldset className="form-section">
          <legend>{t('form.more')}</legend>
          <p className="muted small">{t('form.moreHelp')}</p>
          <div className="form-grid">
            <JumpChainEditor
              id={id('jump')}
              chain={draft.jump}
              candidates={jumpCandidates}
              error={shown('jump')}
              onChange={(jump) => {
                setTouched((prev) => ({ ...prev, jump: true }));
                change({ jump }, ['jump']);
                const msg = validateField('jump', { ...draft, jump });
                setErrors((prev) => {
                  const out = { ...prev };
                  if (msg) out.jump = msg;
                  else delete out.jump;
                  return out;
                });
              }}
            />
            <LabelsEditor
              id={id('labels')}
              rows={draft.labels}
              error={shown('labels')}
              onChange={(labels) => change({ labels }, ['labels'])}
              onBlur={(next) => {
                // Moving between the name and value inputs of the labels is not leaving the field.
                if (next instanceof HTMLElement && next.closest('[data-testid="host-labels"]')) return;
                blur('labels', next);
              }}
            />
            {textField('base-domain', 'baseDomain', {
              placeholder: 'bots.example.kz',
              className: 'field-wide',
              mono: true,
            })}
            {textField('registry-mirror', 'registryMirror', {
              placeholder: 'registry.example.kz:5000',
              className: 'field-wide',
              mono: true,
            })}
          </div>
        </fieldset>
        <ErrorBanner scopes={['addHost']} />
        {hasErrors ? (
          <p className="form-summary" role="alert">
            {t('form.fixErrors')}
          </p>
        ) : null}
        <div className="form-actions">
          <Button submit tone="primary" testId="host-add-submit" disabled={probing} busy={probing}>
            {probing ? t('form.submitting') : t('form.submit')}
          </Button>
          <Button onClick={closeAddForm} testId="host-add-cancel">
            {t('form.cancel')}
          </Button>
        </div>
      </form>
      {probe ? (
        <FingerprintDialog
          probe={probe}
          mode="add"
          busy={adding}
          onConfirm={(fp) => void confirmAdd(fp)}
          onCancel={cancelProbe}
        />
      ) : null}
    </section>
  );
}
