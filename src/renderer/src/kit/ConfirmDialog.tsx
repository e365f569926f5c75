import { useId, useRef } from 'react';
import type { ReactElement, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Modal } from './Modal';

export interface ConfirmDialogProps {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  busyLabel?: string;
  busy?: boolean;
  tone?: 'normal' | 'danger';
  testId?: string;
  onConfirm: () => void;
  onCancel: () => void;
}

/** "Are you sure?" — Cancel has the focus, so Enter never destroys anything by accident. */
export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  busyLabel,
  busy = false,
  tone = 'normal',
  testId = 'confirm-dialog',
  onConfirm,
  onCancel,
}: ConfirmDialogProps): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  return (
    <Modal
      labelledBy={`${id}-title`}
      describedBy={`${id}-body`}
      onCancel={busy ? () => {} : onCancel}
      testId={testId}
      tone={tone}
      initialFocus={cancelRef}
    >
      <h2 id={`${id}-title`} className="modal-title">
        {title}
      </h2>
      <div id={`${id}-body`} className="modal-body">
        {body}
      </div>
      <div className="modal-actions">
        <button
          type="button"
          ref={cancelRef}
          className="button"
          onClick={onCancel}
          disabled={busy}
          data-testid={`${testId}-cancel`}
        >
          {t('common.cancel')}
        </button>
        <button
          type="button"
          className={tone === 'danger' ? 'button button-danger' : 'button button-primary'}
          onClick={onConfirm}
          disabled={busy}
          aria-busy={busy}
          data-testid={`${testId}-confirm`}
        >
          {busy && busyLabel ? busyLabel : confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
