import { useEffect } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { useTenants } from './tenantsStore';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { useFields } from '../../kit/useFields';

import { CreateProgressView } from './CreateProgressView';
import { BackLink } from './WizardFields';
import { WizardForm } from './WizardForm';

const FIELDS = ['creation', 'loadCatalog', 'loaded', 'loadTenants'] as const;

/** "New tenant": the form, then the live progress of the create. */
export function TenantWizard(): ReactElement {
  const { t } = useTranslation();
  const { creation, loadCatalog, loaded, loadTenants } = useFields(useTenants, FIELDS);

  useEffect(() => {
    void loadCatalog();
    if (!loaded) void loadTenants({ quiet: true });
  }, [loadCatalog, loadTenants, loaded]);

  if (creation) return <CreateProgressView creation={creation} />;
  return (
    <div className="screen" data-testid="screen-tenants" data-view="new">
      <BackLink />
      <ScreenHeader title={t('wizard.title')} subtitle={t('wizard.subtitle')} />
      <WizardForm />
    </div>
  );
}
