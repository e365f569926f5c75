import type { ReactElement, RefObject } from 'react';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { ImportCandidate } from '../../../../shared/contract';
import { CheckIcon, KeyIcon } from '../../kit/Icons';
import { RichText } from '../../kit/RichText';
import { jumpChainText } from '../../kit/format';
import { FieldError, FieldHelp } from '../../kit/FieldText';

/** The two path fields; their label and help are `import.<key>` and `import.<key>Help`. */
export const PATH_FIELDS = [
  { key: 'configPath', id: 'config', testId: 'import-config-path', placeholder: '~/.ssh/config' },
  {
    key: 'knownHostsPath',
    id: 'known',
    testId: 'import-known-hosts-path',
    placeholder: '~/.ssh/known_hosts',
  },
] as const;

export function PathField({
  id,
  label,
  help,
  error,
  testId,
  placeholder,
  value,
  inputRef,
  onChange,
}: {
  id: string;
  label: string;
  help: string;
  error: string | undefined;
  testId: string;
  placeholder: string;
  value: string;
  inputRef: RefObject<HTMLInputElement | null>;
  onChange: (value: string) => void;
}): ReactElement {
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        ref={inputRef}
        id={id}
        type="text"
        className="mono"
        data-testid={testId}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        value={value}
        aria-invalid={Boolean(error)}
        aria-describedby={`${id}-help`}
        onChange={(e) => onChange(e.target.value)}
      />
      <FieldError>{error}</FieldError>
      <FieldHelp id={`${id}-help`}>{help}</FieldHelp>
    </div>
  );
}

/** One host of the SSH config in the preview table. */
export function CandidateRow({
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
