import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { useConsole } from './store';
import type { Toast } from './store';
import { CheckIcon, CloseIcon, ErrorIcon, WarningIcon } from '../kit/Icons';

function toastText(t: TFunction, toast: Toast): string {
  const name = toast.values['name'] ?? '';
  switch (toast.key) {
    case 'toast.hostAdded':
      return t('toast.hostAdded', { name });
    case 'toast.hostForgotten':
      return t('toast.hostForgotten', { name });
    case 'toast.languageSaved':
      return t('toast.languageSaved');
    case 'toast.keyPinned':
      return t('toast.keyPinned', { name });
    case 'toast.auditFailed':
      return t('toast.auditFailed', { name, message: toast.values['message'] ?? '' });
    case 'toast.imported':
      return t('toast.imported', { count: toast.values['count'] ?? '0' });
    case 'toast.tenantCreated':
      return t('toast.tenantCreated', { slug: toast.values['slug'] ?? '', host: toast.values['host'] ?? '' });
    case 'toast.tenantDeleted':
      return t('toast.tenantDeleted', { slug: toast.values['slug'] ?? '', host: toast.values['host'] ?? '' });
    case 'toast.tenantDeletedWithBackup':
      return t('toast.tenantDeletedWithBackup', {
        slug: toast.values['slug'] ?? '',
        host: toast.values['host'] ?? '',
        backupId: toast.values['backupId'] ?? '',
      });
    case 'toast.backupKeyCreated':
      return t('toast.backupKeyCreated');
    case 'toast.backupCreated':
      return t('toast.backupCreated', { slug: toast.values['slug'] ?? '', id: toast.values['id'] ?? '' });
    case 'toast.restored':
      return t('toast.restored', { slug: toast.values['slug'] ?? '', id: toast.values['id'] ?? '' });
    case 'toast.escalated':
      return t('toast.escalated', { count: toast.values['count'] ?? '1' });
    case 'toast.restoreFailed':
      return t('toast.restoreFailed', { slug: toast.values['slug'] ?? '' });
    case 'toast.scheduleSaved':
      return t('toast.scheduleSaved', { host: toast.values['host'] ?? '' });
    case 'toast.fleetDone':
      return t('toast.fleetDone', {
        updated: toast.values['updated'] ?? '0',
        total: toast.values['total'] ?? '0',
      });
    case 'toast.kbDeleted':
      return t('toast.kbDeleted', { name });
    case 'toast.kbReindex':
      return t('toast.kbReindex', { count: toast.values['count'] ?? '0' });
  }
}

/** Short confirmations in the corner; announced politely to screen readers. */
export function Toasts(): ReactElement {
  const { t } = useTranslation();
  const toasts = useConsole((s) => s.toasts);
  const dismiss = useConsole((s) => s.dismissToast);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((toast) => (
        <div
          key={toast.id}
          className={`toast toast-${toast.kind}`}
          data-testid="toast"
          data-kind={toast.kind}
          data-key={toast.key}
        >
          {toast.kind === 'error' ? (
            <ErrorIcon />
          ) : toast.kind === 'warning' ? (
            <WarningIcon />
          ) : (
            <CheckIcon />
          )}
          <span className="toast-text">{toastText(t, toast)}</span>
          <button
            type="button"
            className="icon-button"
            onClick={() => dismiss(toast.id)}
            aria-label={t('common.dismiss')}
          >
            <CloseIcon />
          </button>
        </div>
      ))}
    </div>
  );
}
