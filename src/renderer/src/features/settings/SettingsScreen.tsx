import { useId } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSchema } from '../../../../shared/contract';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { useConsole } from '../../app/store';
import { ScreenHeader } from '../../kit/ScreenHeader';

/** Language names are written in their own language, as is usual in language pickers. */
const LANGUAGE_NAMES = { en: 'English', ru: 'Русский' } as const;

export function SettingsScreen(): ReactElement {
  const { t } = useTranslation();
  const settings = useConsole((s) => s.settings);
  const info = useConsole((s) => s.info);
  const saving = useConsole((s) => Boolean(s.busy['settings']));
  const changeLanguage = useConsole((s) => s.changeLanguage);
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
          <p className="field-help" id={`${uid}-help`}>
            {t('settings.languageHelp')}
          </p>
        </div>
      </section>
      {info ? (
        <section className="card settings-card" aria-labelledby={`${uid}-about`}>
          <h2 id={`${uid}-about`}>{t('settings.about')}</h2>
          <dl className="facts">
            <div className="fact">
              <dt>{t('settings.version')}</dt>
              <dd data-testid="settings-version" className="mono">
                {info.version}
              </dd>
            </div>
            <div className="fact">
              <dt>{t('settings.mode')}</dt>
              <dd data-testid="settings-mode" data-mode={info.mode}>
                {t(`settings.modes.${info.mode}`)}
              </dd>
            </div>
            <div className="fact fact-wide">
              <dt>{t('settings.home')}</dt>
              <dd data-testid="settings-home" className="mono">
                {info.home}
              </dd>
            </div>
            <div className="fact fact-wide">
              <dt>{t('settings.localDocker')}</dt>
              <dd data-testid="settings-local-docker">
                {info.localDocker.available
                  ? t('settings.localDockerYes', {
                      version: info.localDocker.version ?? t('welcome.localUnknownVersion'),
                      socket: info.localDocker.socketPath,
                    })
                  : t('settings.localDockerNo', { socket: info.localDocker.socketPath })}
              </dd>
            </div>
          </dl>
        </section>
      ) : null}
    </div>
  );
}
