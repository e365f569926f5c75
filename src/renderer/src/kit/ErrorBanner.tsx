import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo } from '../../../shared/contract';
import { useConsole } from '../app/store';
import type { ErrorScope } from '../app/store';
import { CloseIcon, ErrorIcon } from './Icons';
import { RichText } from './RichText';

/** Shows an error: what went wrong, and what to do about it. */
const RENDERER_ERRORS = {
  'bridge.disconnected': 'disconnected',
  'bridge.unavailable': 'unavailable',
  'bridge.failed': 'failed',
  'bridge.no-session': 'noSession',
} as const;

/**
 * Errors made by the renderer itself (the bridge) are shown in the UI language; errors from the
 * core are shown as the core wrote them.
 */
function useLocalized(error: ErrorInfo): ErrorInfo {
  const { t } = useTranslation();
  const key = (
    RENDERER_ERRORS as Record<string, (typeof RENDERER_ERRORS)[keyof typeof RENDERER_ERRORS] | undefined>
  )[error.code];
  if (!key) return error;
  return { ...error, message: t(`errors.${key}.message`), hint: t(`errors.${key}.hint`) };
}

export function ErrorBox({
  error: raw,
  onDismiss,
}: {
  error: ErrorInfo;
  onDismiss?: () => void;
}): ReactElement {
  const { t } = useTranslation();
  const error = useLocalized(raw);
  return (
    <div className="error-banner" role="alert" data-testid="error-banner" data-code={error.code}>
      <ErrorIcon className="error-banner-icon" />
      <div className="error-banner-body">
        <p className="error-message">
          <RichText text={error.message} />
        </p>
        {error.hint ? (
          <p className="error-hint">
            <span className="error-hint-label">{t('common.hint')}:</span> <RichText text={error.hint} />
          </p>
        ) : null}
        <p className="error-code">
          {t('common.errorCode')}: <code>{error.code}</code>
        </p>
      </div>
      {onDismiss ? (
        <button type="button" className="icon-button" onClick={onDismiss} aria-label={t('common.dismiss')}>
          <CloseIcon />
        </button>
      ) : null}
    </div>
  );
}

/** The current error from the store, if it belongs to one of these places. */
export function ErrorBanner({ scopes }: { scopes: readonly ErrorScope[] }): ReactElement | null {
  const error = useConsole((s) => s.error);
  const clearError = useConsole((s) => s.clearError);
  if (!error || !scopes.includes(error.scope)) return null;
  return <ErrorBox error={error} onDismiss={clearError} />;
}
