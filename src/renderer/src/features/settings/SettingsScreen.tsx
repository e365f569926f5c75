import { useId } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSchema } from '../../../../shared/contract';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { useConsole } from '../../app/store';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { Fact } from '../../kit/Fact';
import { FieldHelp } from '../../kit/FieldText';
import { useFields } from '../../kit/useFields';

/** Language names are written in their own language, as is usual in language pickers. */
const LANGUAGE_NAMES = { en: 'English', ru: 'Русский' } as const;

const FIELDS = ['settings', 'info', 'changeLanguage'] as const;

export function SettingsScreen(): ReactElement {
  const { t } = useTranslation();
  const { settings, info, changeLanguage } = useFields(useConsole, FIELDS);
  const saving = useConsole((s) => Boolean(s.busy['settings']));
  const uid = useId();
  return (
    <div className="screen" data-testid="screen-settings">
      <ScreenHeader title={t('settings.title')} />
      <ErrorBanner scopes={['settings']} />
      <section className="card settings-card" aria-labelledby={`${uid}-lang`}>
        <div className="field">
          <label id={`${uid}-lang`} htmlFor={`${uid}-select`}>
            {t('settings.language')}
          </label>
          <select
            id={`${uid}-select`}
            data-testid="settings-language"
            value={settings?.language ?? 'en'}
            disabled={saving}
            aria-describedby={`${uid}-help`}
            onChange={(e) => {
              const parsed = LanguageSchema.safeParse(e.target.value);
              if (parsed.success) void changeLanguage(parsed.data);
            }}
          >
            {LanguageSchema.options.map((lng) => (
              <option key={lng} value={lng} lang={lng}>
                {LANGUAGE_NAMES[lng]}
              </option>
            ))}
          </select>
          <FieldHelp id={`${uid}-help`}>{t('settings.languageHelp')}</FieldHelp>
        </div>
      </section>
      {info ? (
        <section className="card settings-card" aria-labelledby={`${uid}-about`}>
          <h2 id={`${uid}-about`}>{t('settings.about')}</h2>
          <dl className="facts">
            <Fact label={t('settings.version')} testId="settings-version" value={{ className: 'mono' }}>
              {info.version}
            </Fact>
            <Fact label={t('settings.mode')} testId="settings-mode" value={{ 'data-mode': info.mode }}>
              {t(`settings.modes.${info.mode}`)}
            </Fact>
            <Fact label={t('settings.home')} testId="settings-home" wide value={{ className: 'mono' }}>
              {info.home}
            </Fact>
            <Fact label={t('settings.localDocker')} testId="settings-local-docker" wide>
              {info.localDocker.available
                ? t('settings.localDockerYes', {
                    version: info.localDocker.version ?? t('welcome.localUnknownVersion'),
                    socket: info.localDocker.socketPath,
                  })
                : t('settings.localDockerNo', { socket: info.localDocker.socketPath })}
            </Fact>
          </dl>
        </section>
      ) : null}
    </div>
  );
}
