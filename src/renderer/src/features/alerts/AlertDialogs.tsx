/**
 * The Alerts screen's dialogs: acknowledge an alert (with an optional note), silence alerts for
 * 1 h / 4 h / 24 h or any number of minutes (its rule and subject prefilled as patterns), and plan
 * a maintenance window on a host. Each shows its own error and closes once the host took it.
 */
import { useId, useRef, useState } from 'react';
import type { FormEvent, ReactElement, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo } from '../../../../shared/contract';
import { Button } from '../../kit/Button';
import { ErrorBox } from '../../kit/ErrorBanner';
import { FormField } from '../../kit/FormField';
import { Modal } from '../../kit/Modal';
import type { AlertRow } from './alerts';
import { useAlerts } from './alertsStore';
import type { Outcome } from './alertsStore';
import { useAlertFormat, useNow, useProblem } from './AlertText';
import {
  SILENCE_PRESETS,
  maintenanceDraft,
  maintenanceEnd,
  maintenanceInput,
  silenceDraftFor,
  silenceInput,
} from './forms';
import type { FieldErrors, MaintenanceDraft, SilenceDraft, SilencePreset } from './forms';

/** A dialog with a form: title, body, its error, Cancel and the submit button. */
function FormDialog({
  testId,
  title,
  busy,
  error,
  confirmLabel,
  busyLabel,
  onCancel,
  onSubmit,
  children,
}: {
  testId: string;
  title: string;
  busy: boolean;
  error: ErrorInfo | null;
  confirmLabel: string;
  busyLabel: string;
  onCancel: () => void;
  onSubmit: () => void;
  children: ReactNode;
}): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  return (
    <Modal labelledBy={`${id}-title`} onCancel={onCancel} busy={busy} testId={testId}>
      <form
        noValidate
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          if (!busy) onSubmit();
        }}
      >
        <h2 id={`${id}-title`} className="modal-title">
          {title}
        </h2>
        <div className="modal-body">
          {children}
          {error ? <ErrorBox error={error} /> : null}
        </div>
        <div className="modal-actions">
          <Button onClick={onCancel} disabled={busy} testId={`${testId}-cancel`}>
            {t('common.cancel')}
          </Button>
          <Button tone="primary" submit disabled={busy} busy={busy} testId={`${testId}-confirm`}>
            {busy ? busyLabel : confirmLabel}
          </Button>
        </div>
      </form>
    </Modal>
  );
}

/** Runs a dialog's action: closes on success, keeps the error otherwise. */
function useSubmit<T>(onDone: () => void): {
  busy: boolean;
  error: ErrorInfo | null;
  submit: (run: () => Promise<Outcome<T> | null>) => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  return {
    busy,
    error,
    submit: (run) => {
      setBusy(true);
      setError(null);
      void run().then((r) => {
        setBusy(false);
        if (r?.ok) onDone();
        else if (r) setError(r.error);
      });
    },
  };
}

export function AckDialog({ row, onClose }: { row: AlertRow; onClose: () => void }): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  const ack = useAlerts((s) => s.ack);
  const [note, setNote] = useState('');
  const { busy, error, submit } = useSubmit(onClose);
  return (
    <FormDialog
      testId="alert-ack-dialog"
      title={t('alerts.ack.title', { id: row.id, host: row.host })}
      busy={busy}
      error={error}
      confirmLabel={t('alerts.ack.confirm')}
      busyLabel={t('alerts.ack.busy')}
      onCancel={onClose}
      onSubmit={() => submit(() => ack(row.host, row.id, note))}
    >
      <p>{t('alerts.ack.body')}</p>
      <FormField id={`${id}-note`} label={t('alerts.ack.note')} testId="alert-ack-note">
        {(aria) => (
          <textarea
            {...aria}
            rows={2}
            maxLength={1000}
            value={note}
            placeholder={t('alerts.ack.notePlaceholder')}
            data-testid="alert-ack-note"
            onChange={(e) => setNote(e.target.value)}
          />
        )}
      </FormField>
    </FormDialog>
  );
}

/** A pattern field (rules or subjects) of the silence and maintenance forms. */
function GlobField({
  id,
  label,
  help,
  error,
  value,
  testId,
  onChange,
}: {
  id: string;
  label: string;
  help: string;
  error: string | undefined;
  value: string;
  testId: string;
  onChange: (v: string) => void;
}): ReactElement {
  return (
    <FormField id={id} label={label} help={help} error={error} testId={testId}>
      {(aria) => (
        <input
          {...aria}
          type="text"
          className="mono"
          autoComplete="off"
          spellCheck={false}
          maxLength={512}
          value={value}
          data-testid={testId}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </FormField>
  );
}

export function SilenceDialog({ row, onClose }: { row: AlertRow; onClose: () => void }): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  const f = useAlertFormat();
  const silence = useAlerts((s) => s.silence);
  const now = useNow(15_000);
  const [draft, setDraft] = useState<SilenceDraft>(() => silenceDraftFor(row));
  const [errors, setErrors] = useState<FieldErrors>({});
  const problem = useProblem(errors);
  const { busy, error, submit } = useSubmit(onClose);
  const minutesRef = useRef<HTMLInputElement>(null);
  const change = (patch: Partial<SilenceDraft>): void => setDraft((d) => ({ ...d, ...patch }));
  const minutes = draft.preset === 'custom' ? Number(draft.minutes) : draft.preset;
  const presets: readonly SilencePreset[] = [...SILENCE_PRESETS, 'custom'];
  return (
    <FormDialog
      testId="alert-silence-dialog"
      title={t('alerts.silence.title', { host: row.host })}
      busy={busy}
      error={error}
      confirmLabel={t('alerts.silence.confirm')}
      busyLabel={t('alerts.silence.busy')}
      onCancel={onClose}
      onSubmit={() => {
        const r = silenceInput(row.host, draft);
        setErrors(r.ok ? {} : r.errors);
        if (r.ok) submit(() => silence(r.input));
      }}
    >
      <p>{t('alerts.silence.body')}</p>
      <fieldset className="alert-presets">
        <legend>{t('alerts.silence.duration')}</legend>
        {presets.map((p) => (
          <label key={p} className="alert-preset">
            <input
              type="radio"
              name={`${id}-preset`}
              checked={draft.preset === p}
              data-testid={`alert-silence-preset-${p}`}
              onChange={() => {
                change({ preset: p });
                if (p === 'custom') setTimeout(() => minutesRef.current?.focus(), 0);
              }}
            />
            {t(`alerts.silence.preset.${p}`)}
          </label>
        ))}
      </fieldset>
      {draft.preset === 'custom' ? (
        <FormField
          id={`${id}-minutes`}
          label={t('alerts.silence.minutes')}
          error={problem('minutes')}
          testId="alert-silence-minutes"
        >
          {(aria) => (
            <input
              {...aria}
              ref={minutesRef}
              type="text"
              inputMode="numeric"
              className="mono alert-minutes"
              value={draft.minutes}
              data-testid="alert-silence-minutes"
              onChange={(e) => change({ minutes: e.target.value })}
            />
          )}
        </FormField>
      ) : null}
      {minutes >= 1 && minutes <= 43_200 ? (
        <p className="muted small" data-testid="alert-silence-until">
          {t('alerts.silence.until', { until: f.when(now + minutes * 60_000) })}
        </p>
      ) : null}
      <GlobField
        id={`${id}-rule`}
        label={t('alerts.silence.rule')}
        help={t('alerts.silence.ruleHelp')}
        error={problem('rule')}
        value={draft.rule}
        testId="alert-silence-rule"
        onChange={(rule) => change({ rule })}
      />
      <GlobField
        id={`${id}-subject`}
        label={t('alerts.silence.subject')}
        help={t('alerts.silence.subjectHelp')}
        error={problem('subject')}
        value={draft.subject}
        testId="alert-silence-subject"
        onChange={(subject) => change({ subject })}
      />
      <FormField id={`${id}-reason`} label={t('alerts.silence.reason')} testId="alert-silence-reason">
        {(aria) => (
          <input
            {...aria}
            type="text"
            maxLength={1000}
            value={draft.reason}
            data-testid="alert-silence-reason"
            onChange={(e) => change({ reason: e.target.value })}
          />
        )}
      </FormField>
    </FormDialog>
  );
}

export function MaintenanceDialog({ host, onClose }: { host: string; onClose: () => void }): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  const f = useAlertFormat();
  const plan = useAlerts((s) => s.maintenance);
  const [draft, setDraft] = useState<MaintenanceDraft>(() => maintenanceDraft(Date.now()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const problem = useProblem(errors);
  const { busy, error, submit } = useSubmit(onClose);
  const change = (patch: Partial<MaintenanceDraft>): void => setDraft((d) => ({ ...d, ...patch }));
  const end = maintenanceEnd(draft);
  return (
    <FormDialog
      testId="alerts-maintenance-dialog"
      title={t('alerts.maintenance.title', { host })}
      busy={busy}
      error={error}
      confirmLabel={t('alerts.maintenance.confirm')}
      busyLabel={t('alerts.maintenance.busy')}
      onCancel={onClose}
      onSubmit={() => {
        const r = maintenanceInput(host, draft);
        setErrors(r.ok ? {} : r.errors);
        if (r.ok) submit(() => plan(r.input));
      }}
    >
      <p>{t('alerts.maintenance.body')}</p>
      <div className="form-grid">
        <FormField
          id={`${id}-start`}
          label={t('alerts.maintenance.start')}
          error={problem('start')}
          testId="alerts-maintenance-start"
        >
          {(aria) => (
            <input
              {...aria}
              type="datetime-local"
              value={draft.start}
              data-testid="alerts-maintenance-start"
              onChange={(e) => change({ start: e.target.value })}
            />
          )}
        </FormField>
        <FormField
          id={`${id}-minutes`}
          label={t('alerts.maintenance.minutes')}
          error={problem('minutes')}
          testId="alerts-maintenance-minutes"
        >
          {(aria) => (
            <input
              {...aria}
              type="text"
              inputMode="numeric"
              className="mono alert-minutes"
              value={draft.minutes}
              data-testid="alerts-maintenance-minutes"
              onChange={(e) => change({ minutes: e.target.value })}
            />
          )}
        </FormField>
      </div>
      {end !== null ? (
        <p className="muted small" data-testid="alerts-maintenance-end">
          {t('alerts.maintenance.ends', { end: f.when(end) })}
        </p>
      ) : null}
      <GlobField
        id={`${id}-rule`}
        label={t('alerts.silence.rule')}
        help={t('alerts.silence.ruleHelp')}
        error={problem('rule')}
        value={draft.rule}
        testId="alerts-maintenance-rule"
        onChange={(rule) => change({ rule })}
      />
      <GlobField
        id={`${id}-subject`}
        label={t('alerts.silence.subject')}
        help={t('alerts.silence.subjectHelp')}
        error={problem('subject')}
        value={draft.subject}
        testId="alerts-maintenance-subject"
        onChange={(subject) => change({ subject })}
      />
      <FormField id={`${id}-reason`} label={t('alerts.silence.reason')} testId="alerts-maintenance-reason">
        {(aria) => (
          <input
            {...aria}
            type="text"
            maxLength={1000}
            value={draft.reason}
            data-testid="alerts-maintenance-reason"
            onChange={(e) => change({ reason: e.target.value })}
          />
        )}
      </FormField>
    </FormDialog>
  );
}
