import type { ReactElement, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ArrowDownIcon, ArrowUpIcon, CloseIcon } from '../../kit/Icons';
import { FieldError, FieldHelp } from '../../kit/FieldText';
import { Button } from '../../kit/Button';
import type { DraftField, LabelRow } from './validation';

export const FIELD_INPUT: Record<DraftField, string> = {
  name: 'host-name',
  address: 'host-address',
  port: 'host-port',
  user: 'host-user',
  'key-path': 'host-key-path',
  'key-text': 'host-key-text',
  jump: 'host-jump-add',
  labels: 'host-label-key-0',
  'base-domain': 'host-base-domain',
  'registry-mirror': 'host-registry-mirror',
};

/** A small button showing only an icon; `label` is its accessible name and tooltip. */
function IconButton({
  label,
  disabled,
  onClick,
  children,
}: {
  label: string;
  disabled?: boolean;
  onClick: () => void;
  children: ReactNode;
}): ReactElement {
  return (
    <button
      type="button"
      className="icon-button"
      aria-label={label}
      title={label}
      disabled={disabled}
      onClick={onClick}
    >
      {children}
    </button>
  );
}

/** The ProxyJump chain: inventory SSH hosts, ordered, each movable and removable. */
export function JumpChainEditor({
  id,
  chain,
  candidates,
  error,
  onChange,
}: {
  id: string;
  chain: readonly string[];
  candidates: readonly string[];
  error: string | undefined;
  onChange: (next: string[]) => void;
}): ReactElement {
  const { t } = useTranslation();
  const available = candidates.filter((c) => !chain.includes(c));
  const errorId = `${id}-error`;
  const helpId = `${id}-help`;
  const move = (i: number, by: -1 | 1): void => {
    const next = [...chain];
    const j = i + by;
    const a = next[i];
    const b = next[j];
    if (a === undefined || b === undefined) return;
    next[i] = b;
    next[j] = a;
    onChange(next);
  };
  return (
    <div className={`field field-full${error ? ' field-invalid' : ''}`} data-testid="host-jump">
      <span className="field-label" id={`${id}-label`}>
        {t('form.jump')}
      </span>
      {chain.length === 0 ? (
        <p className="muted small jump-empty">{t('form.jumpNone')}</p>
      ) : (
        <ol className="jump-chain" aria-labelledby={`${id}-label`} data-testid="host-jump-chain">
          {chain.map((hop, i) => (
            <li key={hop} className="jump-hop" data-testid={`host-jump-hop-${hop}`}>
              <span className="jump-hop-index muted small">{t('form.jumpHop', { n: i + 1 })}</span>
              <span className="mono jump-hop-name">{hop}</span>
              <IconButton
                label={t('form.jumpUp', { name: hop })}
                disabled={i === 0}
                onClick={() => move(i, -1)}
              >
                <ArrowUpIcon />
              </IconButton>
              <IconButton
                label={t('form.jumpDown', { name: hop })}
                disabled={i === chain.length - 1}
                onClick={() => move(i, 1)}
              >
                <ArrowDownIcon />
              </IconButton>
              <IconButton
                label={t('form.jumpRemove', { name: hop })}
                onClick={() => onChange(chain.filter((h) => h !== hop))}
              >
                <CloseIcon />
              </IconButton>
            </li>
          ))}
          <li className="jump-hop jump-target muted">→ {t('form.jumpTarget')}</li>
        </ol>
      )}
      {candidates.length === 0 ? (
        <FieldHelp id={helpId}>{t('form.jumpNoHosts')}</FieldHelp>
      ) : (
        <>
          <select
            id={id}
            className="jump-add"
            data-testid="host-jump-add"
            value=""
            disabled={available.length === 0 || chain.length >= 8}
            aria-label={t('form.jumpAdd')}
            aria-invalid={Boolean(error)}
            aria-describedby={[error ? errorId : '', helpId].filter(Boolean).join(' ')}
            onChange={(e) => {
              if (e.target.value) onChange([...chain, e.target.value]);
            }}
          >
            <option value="">{t('form.jumpAdd')}…</option>
            {available.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          <FieldHelp id={helpId}>{t('form.jumpHelp')}</FieldHelp>
        </>
      )}
      <FieldError id={errorId} testId="field-error-jump">
        {error}
      </FieldError>
    </div>
  );
}

/** `name = value` rows. */
export function LabelsEditor({
  id,
  rows,
  error,
  onChange,
  onBlur,
}: {
  id: string;
  rows: readonly LabelRow[];
  error: string | undefined;
  onChange: (next: LabelRow[]) => void;
  onBlur: (next: EventTarget | null) => void;
}): ReactElement {
  const { t } = useTranslation();
  const errorId = `${id}-error`;
  const helpId = `${id}-help`;
  const describedBy = [error ? errorId : '', helpId].filter(Boolean).join(' ');
  const set = (i: number, patch: Partial<LabelRow>): void =>
    onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  /** A label's name (mono, no spell check) or value input. */
  const labelInput = (i: number, r: LabelRow, part: 'key' | 'value'): ReactElement => (
    <input
      type="text"
      className={part === 'key' ? 'mono' : undefined}
      data-testid={`host-label-${part}-${i}`}
      aria-label={part === 'key' ? t('form.labelKey') : t('form.labelValue')}
      aria-invalid={Boolean(error)}
      aria-describedby={describedBy}
      placeholder={part === 'key' ? 'region' : 'almaty'}
      autoComplete="off"
      spellCheck={part === 'key' ? false : undefined}
      value={r[part]}
      onChange={(e) => set(i, { [part]: e.target.value })}
      onBlur={(e) => onBlur(e.relatedTarget)}
    />
  );
  return (
    <div className={`field field-full${error ? ' field-invalid' : ''}`} data-testid="host-labels">
      <span className="field-label" id={`${id}-label`}>
        {t('form.labels')}
      </span>
      {rows.length > 0 ? (
        <ul className="label-rows" aria-labelledby={`${id}-label`}>
          {rows.map((r, i) => (
            <li key={i} className="label-row">
              {labelInput(i, r, 'key')}
              <span aria-hidden="true" className="muted">
                =
              </span>
              {labelInput(i, r, 'value')}
              <IconButton
                label={t('form.labelRemove')}
                onClick={() => onChange(rows.filter((_, j) => j !== i))}
              >
                <CloseIcon />
              </IconButton>
            </li>
          ))}
        </ul>
      ) : null}
      <div>
        <Button small testId="host-label-add" onClick={() => onChange([...rows, { key: '', value: '' }])}>
          + {t('form.labelAdd')}
        </Button>
      </div>
      <FieldError id={errorId} testId="field-error-labels">
        {error}
      </FieldError>
      <FieldHelp id={helpId}>{t('form.labelsHelp')}</FieldHelp>
    </div>
  );
}

interface FieldProps {
  field: DraftField | null;
  id: string;
  label: string;
  help?: string;
  error?: string | undefined;
  className?: string;
  children: (aria: {
    'aria-invalid': boolean;
    'aria-describedby': string | undefined;
    id: string;
  }) => ReactNode;
}

export function Field({ field, id, label, help, error, className, children }: FieldProps): ReactElement {
  const helpId = help ? `${id}-help` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, helpId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ 'aria-invalid': Boolean(error), 'aria-describedby': describedBy, id })}
      {field ? (
        <FieldError id={errorId} testId={`field-error-${field}`}>
          {error}
        </FieldError>
      ) : null}
      <FieldHelp id={helpId}>{help}</FieldHelp>
    </div>
  );
}

/**
 * The add-host form. Submitting validates with the contract's schemas, then probes the host key;
 * the fingerprint dialog takes it from there. The draft lives in the store, so nothing typed is
 * lost on an error or when the operator looks at another screen.
 */
