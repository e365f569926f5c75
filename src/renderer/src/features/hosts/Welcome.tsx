import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { ServerIcon } from '../../kit/Icons';
import { navigate } from '../../app/navigation';
import { useConsole } from '../../app/store';

/** First run: no hosts yet. */
export function Welcome(): ReactElement {
  const { t } = useTranslation();
  const info = useConsole((s) => s.info);
  const busyLocal = useConsole((s) => Boolean(s.busy['addLocal']));
  const openAddForm = useConsole((s) => s.openAddForm);
  const addLocal = useConsole((s) => s.addLocal);
  const openImport = useConsole((s) => s.openImport);
  const local = info?.localDocker;
  return (
    <section className="welcome card" data-testid="welcome" aria-labelledby="welcome-title">
      <ServerIcon className="welcome-icon" />
      <h2 id="welcome-title">{t('welcome.title')}</h2>
      <p className="welcome-body">{t('welcome.body')}</p>
      <ErrorBanner scopes={['welcome']} />
      <div className="welcome-actions">
        <button
          type="button"
          className="button button-primary"
          data-testid="welcome-add-host"
          onClick={() => {
            openAddForm();
            navigate('hosts');
          }}
        >
          {t('welcome.addHost')}
        </button>
        <button
          type="button"
          className="button"
          data-testid="welcome-import"
          onClick={() => {
            navigate('hosts');
            openImport();
          }}
        >
          {t('hosts.import')}
        </button>
        {local?.available ? (
          <button
            type="button"
            className="button"
            data-testid="welcome-add-local"
            onClick={() => {
              void addLocal().then(() => {
                if (useConsole.getState().hosts.length > 0) navigate('hosts');
              });
            }}
            disabled={busyLocal}
            aria-busy={busyLocal}
          >
            {busyLocal ? t('common.working') : t('welcome.addLocal')}
          </button>
        ) : null}
      </div>
      {local?.available ? (
        <p className="welcome-local muted">
          {t('welcome.localAvailable', {
            version: local.version ?? t('welcome.localUnknownVersion'),
            socket: local.socketPath,
          })}
        </p>
      ) : null}
    </section>
  );
}
