import { useId } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { ROUTES } from '../features/routes';
import { NAV_BADGES } from '../features/screens';
import { hrefFor, navigate } from './navigation';
import { useConsole } from './store';
import { useSupportConsole } from './support';
import { KeyboardIcon, LockIcon, NavIcon } from '../kit/Icons';

export function Sidebar({
  showShortcuts,
  onToggleShortcuts,
}: {
  showShortcuts: boolean;
  onToggleShortcuts: () => void;
}): ReactElement {
  const { t } = useTranslation();
  const screen = useConsole((s) => s.screen);
  const info = useConsole((s) => s.info);
  const panelId = useId();
  const support = useSupportConsole();
  return (
    <aside className="sidebar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          T
        </span>
        <span className="brand-text">
          <span className="brand-name">{t('app.name')}</span>
          <span className="brand-tagline">{t(support ? 'support.tagline' : 'app.tagline')}</span>
        </span>
      </div>
      <nav aria-label={t('nav.label')} className="nav">
        <ul>
          {ROUTES.map(({ screen: s, support: may }, i) => {
            const Badge = NAV_BADGES[s];
            // A support console keeps the section in its place (keys stay the same), marked as not
            // for support; opening it says why.
            const locked = support && !may;
            return (
              <li key={s}>
                <a
                  href={hrefFor(s)}
                  className={locked ? 'nav-link nav-link-locked' : 'nav-link'}
                  data-testid={`nav-${s}`}
                  data-locked={locked ? 'true' : undefined}
                  title={locked ? t('support.navLocked') : undefined}
                  aria-current={screen === s ? 'page' : undefined}
                  aria-keyshortcuts={i < 9 ? `Alt+${i + 1}` : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(s);
                  }}
                >
                  <NavIcon name={s} />
                  <span className="nav-label">{t(`nav.${s}`)}</span>
                  {locked ? (
                    <span className="nav-lock" role="img" aria-label={t('support.operatorsOnly')}>
                      <LockIcon />
                    </span>
                  ) : null}
                  {Badge ? <Badge /> : null}
                </a>
              </li>
            );
          })}
        </ul>
      </nav>
      <div className="sidebar-footer">
        <button
          type="button"
          className="shortcuts-toggle"
          aria-expanded={showShortcuts}
          aria-controls={panelId}
          aria-keyshortcuts="?"
          onClick={onToggleShortcuts}
          data-testid="shortcuts-toggle"
        >
          <KeyboardIcon />
          <span>{showShortcuts ? t('shortcuts.hide') : t('shortcuts.toggle')}</span>
          <kbd>?</kbd>
        </button>
        <div id={panelId} className="shortcuts" hidden={!showShortcuts} data-testid="shortcuts">
          <p>{t('shortcuts.intro')}</p>
          <table>
            <tbody>
              {ROUTES.map(({ screen: s, key }, i) => (
                <tr key={s}>
                  <td>
                    {i < 9 ? (
                      <>
                        <kbd>Alt</kbd>+<kbd>{i + 1}</kbd>
                      </>
                    ) : null}
                  </td>
                  <td>
                    <kbd>G</kbd> <kbd>{key.letter}</kbd>
                  </td>
                  <td>{t(`nav.${s}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {info ? (
          <p className="sidebar-version">
            v{info.version} · {t(`settings.modes.${info.mode}`)}
          </p>
        ) : null}
      </div>
    </aside>
  );
}
