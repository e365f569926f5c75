/**
 * The Inbox's count in the sidebar: conversations waiting for an operator (escalated, by the bot or
 * by a person), over every tenant, read every 15 s (`inbox.pending`: counts only), and every minute
 * while the window is hidden or minimised — that is when a notification matters most. When it
 * grows, a toast says so, and the system shows a notification when the person allowed them (from
 * the Alerts screen; the desktop app allows them).
 */
import { useEffect } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { useConsole } from '../../app/store';
import { useInbox } from './inboxStore';

const EVERY_MS = 15_000;
const HIDDEN_EVERY_MS = 60_000;

export function InboxNavBadge(): ReactElement | null {
  const { t } = useTranslation();
  const count = useInbox((s) => s.escalated);
  useEffect(() => {
    let last: number | null = null;
    let readAt = 0;
    const read = async (): Promise<void> => {
      if (document.visibilityState !== 'visible' && Date.now() - readAt < HIDDEN_EVERY_MS) return;
      readAt = Date.now();
      const n = await useInbox.getState().refreshPending();
      if (n !== null && last !== null && n > last) {
        const text = t('toast.escalated', { count: String(n) });
        useConsole.getState().pushToast('info', 'toast.escalated', { count: String(n) });
        if (typeof Notification !== 'undefined' && Notification.permission === 'granted')
          new Notification(t('nav.inbox'), { body: text, tag: 'truffles-inbox' });
      }
      if (n !== null) last = n;
    };
    void read();
    const timer = setInterval(() => void read(), EVERY_MS);
    return () => clearInterval(timer);
  }, [t]);
  if (!count) return null;
  return (
    <span
      className="nav-count alert-count-warning"
      data-testid="nav-inbox-count"
      data-count={count}
      title={t('inbox.badge', { count })}
    >
      <span aria-hidden="true">{count}</span>
      <span className="visually-hidden">{t('inbox.badge', { count })}</span>
    </span>
  );
}
