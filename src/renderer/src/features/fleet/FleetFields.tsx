import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { useLng } from '../../kit/useLocale';
import { ToneIcon } from '../tenants/TenantBadges';
import { fleetStateBusy, fleetStateTone } from './fleetUpdate';
import type { FleetErrors, FleetField, FleetRowState, SelectionMode } from './fleetUpdate';
import { schemaMessage } from '../../i18n';
import { FormField } from '../../kit/FormField';

export const MODES: readonly SelectionMode[] = ['host', 'label', 'tenants'];

export function useErrorText(): (e: FleetErrors[FleetField]) => string | undefined {
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

export function FieldError({ id, text }: { id: string; text: string | undefined }): ReactElement | null {
  if (!text) return null;
  return (
    <p className="field-error" id={id} role="status" data-testid={`field-error-${id}`}>
      {text}
    </p>
  );
}

/** A whole-number field with its label, help and error (described by `<testId>-msg` and `<id>-help`). */
export function NumberField(p: {
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
    <FormField id={p.id} msgId={msgId} testId={msgId} label={p.label} help={p.help} error={p.error}>
      {(aria) => (
        <input
          {...aria}
          type="number"
          min={p.min}
          max={p.max}
          data-testid={p.testId}
          data-field={p.field}
          value={p.value}
          onChange={(e) => p.onChange(e.target.value)}
        />
      )}
    </FormField>
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
