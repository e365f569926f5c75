/**
 * The parts of a one-tenant page (Tenants, Backups): the page with its way back, its title and
 * actions; a button that spins while its work runs; a titled table card; what shows before the
 * first read arrives or when a later one fails.
 */
import type { ButtonHTMLAttributes, ReactElement, ReactNode, RefObject } from 'react';
import type { ErrorInfo } from '../../../shared/contract';
import { useTranslation } from 'react-i18next';
import { ErrorBanner, ErrorBox } from './ErrorBanner';
import { WarningIcon } from './Icons';
import { LoadingLine, RefreshButton } from './States';
import { CheckboxRow } from './CheckboxRow';
import { Modal } from './Modal';

/** A button that shows a spinner and `busyLabel` (and says it is busy) while `busy`. */
export function BusyButton({
  busy,
  label,
  busyLabel,
  className = 'button',
  type = 'button',
  ...attrs
}: {
  busy: boolean;
  label: ReactNode;
  busyLabel: ReactNode;
  type?: 'button' | 'submit';
} & Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type'>): ReactElement {
  return (
    <button type={type} className={className} aria-busy={busy} {...attrs}>
      {busy ? <span className="spinner" aria-hidden="true" /> : null}
      {busy ? busyLabel : label}
    </button>
  );
}

/**
 * A dialog that asks before something that cannot be undone: a red title with a warning sign,
 * then a form (`children`) whose submit calls `onSubmit`. It cannot be dismissed while `busy`.
 */
export function DangerDialog({
  id,
  busy,
  onCancel,
  testId,
  initialFocus,
  title,
  titleTestId,
  onSubmit,
  children,
}: {
  /** From useId: names `<id>-title` and `<id>-body` (the form's body). */
  id: string;
  busy: boolean;
  onCancel: () => void;
  testId: string;
  initialFocus: RefObject<HTMLElement | null>;
  title: ReactNode;
  titleTestId?: string;
  onSubmit: () => void;
  children: ReactNode;
}): ReactElement {
  return (
    <Modal
      labelledBy={`${id}-title`}
      describedBy={`${id}-body`}
      onCancel={busy ? () => {} : onCancel}
      testId={testId}
      tone="danger"
      initialFocus={initialFocus}
    >
      <h2 id={`${id}-title`} className="modal-title" data-testid={titleTestId}>
        <WarningIcon className="title-icon" />
        {title}
      </h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit();
        }}
      >
        {children}
      </form>
    </Modal>
  );
}

/** A checkbox with a warning beside it while it is set the risky way (`warning` not null). */
export function RiskyCheckbox({
  testId,
  label,
  checked,
  disabled,
  onChange,
  warning,
}: {
  testId: string;
  label: string;
  checked: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
  warning: string | null;
}): ReactElement {
  return (
    <CheckboxRow
      testId={testId}
      checked={checked}
      disabled={disabled ?? false}
      onChange={onChange}
      label={label}
    >
      {warning === null ? null : (
        <span className="field-error" role="status">
          {warning}
        </span>
      )}
    </CheckboxRow>
  );
}

/** "Type <slug> to confirm": the field a dangerous action waits on. */
export function TypeToConfirm({
  id,
  label,
  slug,
  inputRef,
  testId,
  value,
  disabled,
  onChange,
}: {
  /** The input's id. */
  id: string;
  label: string;
  slug: string;
  inputRef: RefObject<HTMLInputElement | null>;
  testId: string;
  value: string;
  disabled?: boolean;
  onChange: (value: string) => void;
}): ReactElement {
  return (
    <div className="field">
      <label htmlFor={id}>
        {label} <code className="inline-code">{slug}</code>
      </label>
      <input
        id={id}
        ref={inputRef}
        type="text"
        className="mono"
        data-testid={testId}
        value={value}
        autoComplete="off"
        spellCheck={false}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}

/**
 * A confirming dialog's buttons: Cancel (`<prefix>-cancel`, off while `busy`) and the submit
 * (`<prefix>-confirm`), a danger button that may be pressed only when `ready` and not `busy`.
 */
export function ConfirmButtons({
  prefix,
  busy,
  ready,
  onCancel,
  label,
  busyLabel,
  spinner = false,
}: {
  prefix: string;
  busy: boolean;
  ready: boolean;
  onCancel: () => void;
  label: string;
  busyLabel: string;
  /** A spinner beside `busyLabel`. */
  spinner?: boolean;
}): ReactElement {
  const { t } = useTranslation();
  return (
    <>
      <button
        type="button"
        className="button"
        onClick={onCancel}
        disabled={busy}
        data-testid={`${prefix}-cancel`}
      >
        {t('common.cancel')}
      </button>
      <button
        type="submit"
        className="button button-danger"
        disabled={!ready || busy}
        aria-busy={busy}
        data-testid={`${prefix}-confirm`}
      >
        {spinner && busy ? <span className="spinner" aria-hidden="true" /> : null}
        {busy ? busyLabel : label}
      </button>
    </>
  );
}

/** A card with a titled table (or a line saying it is empty). */
export function TableCard({
  titleId,
  title,
  empty,
  emptyTestId,
  children,
}: {
  titleId: string;
  title: ReactNode;
  /** When set, this line shows instead of the table. */
  empty?: string | null;
  emptyTestId?: string;
  children: ReactNode;
}): ReactElement {
  return (
    <section className="card table-card" aria-labelledby={titleId}>
      <h2 id={titleId} className="table-card-title">
        {title}
      </h2>
      {empty ? (
        <p className="muted table-empty" data-testid={emptyTestId}>
          {empty}
        </p>
      ) : (
        children
      )}
    </section>
  );
}

/** A section and the name of its one-tenant page (its i18n namespace, test ids and error scope). */
const PAGE_OF = { tenants: 'tenant', backups: 'backup' } as const;

export interface DetailScreenProps {
  /** The section: names the screen's test id, the way back (`#/<section>`) and its test id. */
  section: keyof typeof PAGE_OF;
  host: string;
  slug: string;
  backLabel: string;
  onBack: () => void;
  /** After the slug in the title. */
  badge?: ReactNode;
  /** The line under the title (none when null). */
  subtitle: ReactNode;
  /** Refresh: `<page>-refresh`, worded `<page>.refresh` and `<page>.refreshing`. */
  refreshing: boolean;
  onRefresh: () => void;
  /** More actions after Refresh. */
  actions: ReactNode;
  children: ReactNode;
}

/** A one-tenant page: the way back, the slug as its title, Refresh and the actions, its errors. */
export function DetailScreen(p: DetailScreenProps): ReactElement {
  const page = PAGE_OF[p.section];
  return (
    <div
      className="screen"
      data-testid={`screen-${p.section}`}
      data-view="tenant"
      data-slug={p.slug}
      data-host={p.host}
    >
      <a
        href={`#/${p.section}`}
        className="back-link"
        data-testid={`back-to-${p.section}`}
        onClick={(e) => {
          e.preventDefault();
          p.onBack();
        }}
      >
        ← {p.backLabel}
      </a>
      <header className="screen-header">
        <div>
          <h1 tabIndex={-1} className="screen-title tenant-title">
            <span className="mono">{p.slug}</span>
            {p.badge}
          </h1>
          {p.subtitle === null ? null : <p className="screen-subtitle tenant-subtitle">{p.subtitle}</p>}
        </div>
        <div className="screen-actions">
          <SectionRefresh ns={page} busy={p.refreshing} onClick={p.onRefresh} />
          {p.actions}
        </div>
      </header>

      <ErrorBanner scopes={[page]} />
      {p.children}
    </div>
  );
}

/** A section's Refresh: test id `<ns>-refresh`, worded `<ns>.refresh`, `<ns>.refreshing` while busy. */
export function SectionRefresh({
  ns,
  busy,
  onClick,
}: {
  ns: 'tenants' | 'backups' | 'tenant' | 'backup';
  busy: boolean;
  onClick: () => void;
}): ReactElement {
  const { t } = useTranslation();
  return (
    <RefreshButton
      busy={busy}
      onClick={onClick}
      testId={`${ns}-refresh`}
      label={t(`${ns}.refresh`)}
      busyLabel={t(`${ns}.refreshing`)}
    />
  );
}

/** A later read failed while an older one is shown: say so, with why. */
export function StaleNotice({ testId, text }: { testId: string; text: string }): ReactElement {
  return (
    <div className="callout callout-warning" role="status" data-testid={testId}>
      <WarningIcon />
      <p>{text}</p>
    </div>
  );
}

/** Before the first read arrives: "Loading…" while it runs, then its error if it failed. */
export function FirstRead({
  reading,
  error,
  text,
}: {
  reading: boolean;
  error: ErrorInfo | null;
  text: string;
}): ReactElement | null {
  if (reading) return <LoadingLine text={text} />;
  return error ? <ErrorBox error={error} /> : null;
}
