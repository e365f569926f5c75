import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { NavIcon } from './Icons';
import { ScreenHeader } from './ScreenHeader';

export type PlaceholderName = 'costs';

/** A section that is not built yet: says plainly what will be here. */
export function PlaceholderScreen({ name }: { name: PlaceholderName }): ReactElement {
  const { t } = useTranslation();
  return (
    <div className="screen" data-testid={`screen-${name}`}>
      <ScreenHeader title={t(`placeholder.${name}.title`)} />
      <section className="card empty-state" aria-label={t(`placeholder.${name}.title`)}>
        <div className="empty-icon">
          <NavIcon name={name} />
        </div>
        <span className="tag tag-unknown">{t('common.comingSoon')}</span>
        <p className="empty-body">{t(`placeholder.${name}.body`)}</p>
        <ul className="empty-points">
          <li>{t(`placeholder.${name}.p1`)}</li>
          <li>{t(`placeholder.${name}.p2`)}</li>
          <li>{t(`placeholder.${name}.p3`)}</li>
        </ul>
        <p className="muted small">{t('placeholder.soon')}</p>
      </section>
    </div>
  );
}
