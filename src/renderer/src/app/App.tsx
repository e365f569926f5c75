import { useEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorBanner, ErrorBox } from '../kit/ErrorBanner';
import { Sidebar } from './Sidebar';
import { Toasts } from './Toasts';
import { SCREEN_VIEWS } from '../features/screens';
import type { ScreenName } from '../features/routes';
import { installShortcuts, screenFromHash } from './shortcuts';
import { useConsole } from './store';
import { supportMay, useSupportConsole } from './support';
import { useFields } from '../kit/useFields';
import { LoadingLine } from '../kit/States';

/** The router: the screen the current section's route registers (not for support: why it is missing). */
function Screen({ screen }: { screen: ScreenName }): ReactElement {
  const support = useSupportConsole();
  const View = SCREEN_VIEWS[screen];
  if (support && !supportMay(screen)) return <SupportLocked screen={screen} />;
  return <View />;
}

function SupportLocked({ screen }: { screen: ScreenName }): ReactElement {
  const { t } = useTranslation();
  return (
    <section className="screen support-locked" data-testid="support-locked" data-screen={screen}>
      <h1 className="screen-title" tabIndex={-1}>
        {t(`nav.${screen}`)}
      </h1>
      <div className="card support-locked-card">
        <p className="support-locked-lead">{t('support.lockedLead', { section: t(`nav.${screen}`) })}</p>
        <p>{t('support.lockedWhy')}</p>
        <p className="muted">{t('support.lockedWhat')}</p>
      </div>
    </section>
  );
}

/** A support console says so on every screen: it may look, not change. */
function SupportBanner(): ReactElement | null {
  const { t } = useTranslation();
  if (!useSupportConsole()) return null;
  return (
    <div className="support-banner" role="note" data-testid="support-banner">
      <strong>{t('support.bannerTitle')}</strong> {t('support.banner')}
    </div>
  );
}

function Splash(): ReactElement {
  const { t } = useTranslation();
  const phase = useConsole((s) => s.phase);
  const startupError = useConsole((s) => s.startupError);
  const start = useConsole((s) => s.start);
  const starting = useConsole((s) => Boolean(s.busy['start']));
  return (
    <main className="splash" data-testid="splash" data-phase={phase}>
      <div className="splash-card">
        <span className="brand-mark brand-mark-large" aria-hidden="true">
          T
        </span>
        <h1>{t('app.name')}</h1>
        {phase === 'failed' && startupError ? (
          <>
            <p>{t('app.startFailed')}</p>
            <ErrorBox error={startupError} />
            <button
              type="button"
              className="button button-primary"
              onClick={() => void start()}
              disabled={starting}
              data-testid="retry-start"
            >
              {t('app.retry')}
            </button>
          </>
        ) : (
          <LoadingLine text={t('app.loading')} />
        )}
      </div>
    </main>
  );
}

function ConnectionBanner(): ReactElement | null {
  const { t } = useTranslation();
  const connection = useConsole((s) => s.connection);
  if (connection === 'open') return null;
  if (connection === 'ended')
    return (
      <div
        className="connection-banner"
        role="status"
        data-testid="connection-banner"
        data-state={connection}
      >
        {t('connection.ended')}
      </div>
    );
  return (
    <div className="connection-banner" role="status" data-testid="connection-banner" data-state={connection}>
      <span className="spinner" aria-hidden="true" /> {t('connection.lost')}
    </div>
  );
}

export function App(): ReactElement {
  const { t } = useTranslation();
  const { phase, screen, setScreen, start } = useFields(useConsole, [
    'phase',
    'screen',
    'setScreen',
    'start',
  ]);
  const [showShortcuts, setShowShortcuts] = useState(false);
  const support = useSupportConsole();
  const mainRef = useRef<HTMLElement>(null);
  const firstScreen = useRef(true);

  useEffect(() => {
    void start();
  }, [start]);

  // Hash routing: #/hosts etc. Back/forward work; links are real links.
  useEffect(() => {
    const sync = (): void => {
      const s = screenFromHash(location.hash);
      if (s) setScreen(s);
    };
    sync();
    window.addEventListener('hashchange', sync);
    return () => window.removeEventListener('hashchange', sync);
  }, [setScreen]);

  useEffect(() => installShortcuts(() => setShowShortcuts((v) => !v)), []);

  // After navigating, move focus to the new screen's title (not on first load).
  useEffect(() => {
    if (phase !== 'ready') return;
    if (firstScreen.current) {
      firstScreen.current = false;
      return;
    }
    const title = mainRef.current?.querySelector<HTMLElement>('.screen-title');
    if (title && !mainRef.current?.contains(document.activeElement)) title.focus({ preventScroll: false });
    mainRef.current?.scrollTo?.({ top: 0 });
  }, [screen, phase]);

  if (phase !== 'ready') return <Splash />;

  return (
    <div className={support ? 'shell shell-support' : 'shell'} data-support={support ? 'true' : undefined}>
      <a
        href="#main"
        className="skip-link"
        onClick={(e) => {
          e.preventDefault();
          mainRef.current?.querySelector<HTMLElement>('.screen-title')?.focus();
        }}
      >
        {t('app.skipToContent')}
      </a>
      <Sidebar showShortcuts={showShortcuts} onToggleShortcuts={() => setShowShortcuts((v) => !v)} />
      <main id="main" ref={mainRef} className="main" tabIndex={-1}>
        <ConnectionBanner />
        <SupportBanner />
        <ErrorBanner scopes={['global']} />
        <Screen screen={screen} />
      </main>
      <Toasts />
    </div>
  );
}
