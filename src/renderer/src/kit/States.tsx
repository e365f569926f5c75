import type { ReactElement, ReactNode } from 'react';
import { RefreshIcon } from './Icons';

/** "Loading…" with a spinner, announced to screen readers. */
export function LoadingLine({ text }: { text: string }): ReactElement {
  return (
    <p className="muted" role="status">
      <span className="spinner" aria-hidden="true" /> {text}
    </p>
  );
}

/** A card that says there is nothing to show yet, and what to do about it (`children`). */
export function EmptyState({
  testId,
  text,
  children,
}: {
  testId: string;
  text: ReactNode;
  children?: ReactNode;
}): ReactElement {
  return (
    <section className="card empty-state" data-testid={testId}>
      <p className="empty-body">{text}</p>
      {children}
    </section>
  );
}

/** "Refresh": the arrows turn and the label says so while `busy`; disabled meanwhile (and when `disabled`). */
export function RefreshButton({
  busy,
  onClick,
  testId,
  label,
  busyLabel = label,
  disabled = false,
}: {
  busy: boolean;
  onClick(): void;
  testId: string;
  label: string;
  busyLabel?: string;
  disabled?: boolean;
}): ReactElement {
  return (
    <button
      type="button"
      className="button"
      onClick={onClick}
      disabled={busy || disabled}
      aria-busy={busy}
      data-testid={testId}
    >
      <RefreshIcon className={busy ? 'icon-spin' : undefined} />
      {busy ? busyLabel : label}
    </button>
  );
}
