import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { ServerIcon } from '../../kit/Icons';
import { navigate } from '../../app/navigation';
import { useConsole } from '../../app/store';
import { Button } from '../../kit/Button';
import { useFields } from '../../kit/useFields';
import { useBusy } from './HostState';

const WELCOME = ['info', 'openAddForm', 'addLocal', 'openImport'] as const;

/** First run: no hosts yet. */
export function Welcome(): ReactElement {
  const { t } = useTranslation();
  const { info, openAddForm, addLocal, openImport } = useFields(useConsole, WELCOME);
  const busyLocal = useBusy('addLocal');
  const local = info?.localDocker;
  return (
    <section className="welcome card" data-testid="welcome" aria-labelledby="welcome-title">
      <ServerIcon className="welcome-icon" />
      <h2 id="welcome-title">{t('welcome.title')}</h2>
      <p className="welcome-body">{t('welcome.body')}</p>
      <ErrorBanner scopes={['welcome']} />
      <div className="welcome-actions">
        <Button
          tone="primary"
          testId="welcome-add-host"
          onClick={() => {
            openAddForm();
            navigate('hosts');
          }}
        >
          {t('welcome.addHost')}
        </Button>
        <Button
          testId="welcome-import"
          onClick={() => {
            navigate('hosts');
            openImport();
          }}
        >
          {t('hosts.import')}
        </Button>
        {local?.available ? (
          <Button
            testId="welcome-add-local"
            onClick={() => {
              void addLocal().then(() => {
                if (useConsole.getState().hosts.length > 0) navigate('hosts');
              });
            }}
            disabled={busyLocal}
            busy={busyLocal}
          >
            {busyLocal ? t('common.working') : t('welcome.addLocal')}
          </Button>
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
