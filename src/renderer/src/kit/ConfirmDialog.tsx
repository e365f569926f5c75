import { useId, useRef } from 'react';
import type { ReactElement, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Modal } from './Modal';
import { Button } from './Button';

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
      onCancel={onCancel}
      busy={busy}
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
        <Button buttonRef={cancelRef} onClick={onCancel} disabled={busy} testId={`${testId}-cancel`}>
          {t('common.cancel')}
        </Button>
        <Button
          tone={tone === 'danger' ? 'danger' : 'primary'}
          onClick={onConfirm}
          disabled={busy}
          busy={busy}
          testId={`${testId}-confirm`}
        >
          {busy && busyLabel ? busyLabel : confirmLabel}
        </Button>
      </div>
    </Modal>
  );
}
