import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { useFleetUpdate } from './fleetUpdateStore';
import { ScreenHeader } from '../../kit/ScreenHeader';

import { FleetForm } from './FleetForm';
import { FleetRunView } from './FleetRunView';

export function FleetUpdateScreen(): ReactElement {
  const { t } = useTranslation();
  const run = useFleetUpdate((s) => s.run);
  return (
    <div className="screen" data-testid="screen-updates" data-view={run ? 'run' : 'form'}>
      {run ? (
        <FleetRunView run={run} />
      ) : (
        <>
          <ScreenHeader title={t('updates.title')} subtitle={t('updates.subtitle')} />
          <ErrorBanner scopes={['updates', 'tenants', 'wizard']} />
          <FleetForm />
        </>
      )}
    </div>
  );
}
