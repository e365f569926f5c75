/** The UI language as the formatters take it, and the unit words in it. */
import { useTranslation } from 'react-i18next';
import type { UnitLabels } from './format';

export type Lng = 'en' | 'ru';

export function useLng(): Lng {
  const { i18n } = useTranslation();
  return i18n.language === 'ru' ? 'ru' : 'en';
}

export function useUnits(): UnitLabels {
  const { t } = useTranslation();
  return {
    B: t('units.B'),
    KiB: t('units.KiB'),
    MiB: t('units.MiB'),
    GiB: t('units.GiB'),
    TiB: t('units.TiB'),
    day: t('units.day'),
    hour: t('units.hour'),
    minute: t('units.minute'),
  };
}
