/**
 * The Inbox (issue 17, the spec's admin panel): a tenant's conversations, newest first, filtered by
 * status, channel and phone or name; one opened as a chat (who sent each message: the customer, the
 * bot or an operator); an operator takes it over (the bot stays silent), replies through its
 * channel, hands it back to the bot or closes it. Support sees the same, without the actions.
 * While open it asks every 5 s whether the tenant's conversations changed, and reads them again
 * when they did.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { KeyboardEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../kit/Button';
import { ErrorBox } from '../../kit/ErrorBanner';
import { formatDateTime, formatRelative } from '../../kit/format';
import { GlyphIcon } from '../../kit/Icons';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { EmptyState, LoadingLine, RefreshButton } from '../../kit/States';
import { useLng } from '../../kit/useLocale';
import { PrivacyButton, PrivacyDialog } from '../privacy';
import type { Conversation, StatusFilter } from './inboxStore';
import { useInbox } from './inboxStore';

const STATUS_TONE = { active: 'ok', escalated: 'warning', closed: 'unknown' } as const;
const FILTERS: StatusFilter[] = ['', 'escalated', 'active', 'closed'];
const CHANNELS = ['', 'whatsapp', 'telegram', 'instagram', 'web'];
const POLL_MS = 5000;

function StatusTag({ status }: { status: Conversation['status'] }): ReactElement {
  const { t } = useTranslation();
  const tone = STATUS_TONE[status];
  return (
    <span className={`tag tag-${tone}`} data-tone={tone} data-testid="inbox-status">
      <GlyphIcon name={tone} />
      {t(`inbox.status.${status}`)}
    </span>
  );
}

function Filters(): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  const { tenants, chosen, status, channel, q, choose, setFilter } = useInbox();
  const [text, setText] = useState(q);
  return (
    <div className="card inbox-filters">
      <div className="field">
        <label htmlFor={`${id}-tenant`}>{t('inbox.tenant')}</label>
        <select
          id={`${id}-tenant`}
          data-testid="inbox-tenant"
          value={chosen ? `${chosen.host}/${chosen.tenant}` : ''}
          onChange={(e) => {
            const [host = '', tenant = ''] = e.target.value.split('/');
            choose(host ? { host, tenant } : null);
          }}
        >
          {tenants.length === 0 ? <option value="">{t('inbox.noTenants')}</option> : null}
          {tenants.map((x) => (
            <option key={`${x.host}/${x.tenant}`} value={`${x.host}/${x.tenant}`}>
              {t('inbox.tenantOption', { tenant: x.tenant, host: x.host })}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <span className="field-label" id={`${id}-status`}>
          {t('inbox.statusFilter')}
        </span>
        <div className="inbox-status-buttons" role="group" aria-labelledby={`${id}-status`}>
          {FILTERS.map((f) => (
            <Button
              key={f || 'all'}
              small
              tone={status === f ? 'primary' : 'normal'}
              aria-pressed={status === f}
              testId={`inbox-filter-${f || 'all'}`}
              onClick={() => setFilter({ status: f })}
            >
              {f ? t(`inbox.status.${f}`) : t('inbox.all')}
            </Button>
          ))}
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${id}-channel`}>{t('inbox.channel')}</label>
        <select
          id={`${id}-channel`}
          data-testid="inbox-channel"
          value={channel}
          onChange={(e) => setFilter({ channel: e.target.value })}
        >
          {CHANNELS.map((c) => (
            <option key={c || 'all'} value={c}>
              {c ? t(`inbox.channels.${c as 'web'}`) : t('inbox.all')}
            </option>
          ))}
        </select>
      </div>
      <form
        className="field inbox-search"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({ q: text });
        }}
      >
        <label htmlFor={`${id}-q`}>{t('inbox.search')}</label>
        <input
          id={`${id}-q`}
          type="search"
          data-testid="inbox-search"
          value={text}
          placeholder={t('inbox.searchHint')}
          onChange={(e) => setText(e.target.value)}
          onBlur={() => text !== q && setFilter({ q: text })}
        />
      </form>
    </div>
  );
}

function List(): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const { list, listError, openId, open, busy, chosen } = useInbox();
  const ref = useRef<HTMLUListElement>(null);
  const move = (e: KeyboardEvent<HTMLButtonElement>): void => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const rows = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button.inbox-row') ?? [])];
    const i = rows.indexOf(e.currentTarget);
    rows[Math.max(0, Math.min(rows.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))]?.focus();
  };
  if (!chosen) return <EmptyState testId="inbox-no-tenant" text={t('inbox.chooseTenant')} />;
  if (listError && !list) return <ErrorBox error={listError} />;
  if (!list) return busy['list'] ? <LoadingLine text={t('inbox.loading')} /> : <div />;
  return (
    <section className="card inbox-list" aria-label={t('inbox.listLabel')} data-testid="inbox-list">
      {listError ? <ErrorBox error={listError} /> : null}
      <p className="muted small">{t('inbox.count', { shown: list.items.length, total: list.total })}</p>
      {list.items.length === 0 ? (
        <p className="muted" data-testid="inbox-empty">
          {t('inbox.empty')}
        </p>
      ) : (
        <ul ref={ref}>
          {list.items.map((c) => (
            <li key={c.id}>
              <button
                type="button"
                className={`inbox-row${c.id === openId ? ' inbox-row-open' : ''}${c.status === 'escalated' ? ' inbox-row-escalated' : ''}`}
                data-testid={`inbox-row-${c.id}`}
                data-status={c.status}
                aria-current={c.id === openId ? 'true' : undefined}
                onClick={() => open(c.id)}
                onKeyDown={move}
              >
                <span className="inbox-row-head">
                  <strong>{c.customer.name ?? c.customer.phone}</strong>
                  <StatusTag status={c.status} />
                </span>
                <span className="inbox-row-meta muted small">
                  {c.customer.phone} · {t(`inbox.channels.${c.channel}`, { defaultValue: c.channel })} ·{' '}
                  {t('inbox.messagesCount', { count: c.message_count })} ·{' '}
                  {formatRelative(c.last_message_at ?? c.created_at, lng)}
                </span>
                {c.last_message ? (
                  <span className="inbox-row-last small">
                    {t(`inbox.sender.${c.last_message.sender_type}`, {
                      defaultValue: c.last_message.sender_type,
                    })}
                    : {c.last_message.content ?? t('inbox.noText')}
                  </span>
                ) : null}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Reply(): ReactElement {
  const { t } = useTranslation();
  const id = useId();
  const [text, setText] = useState('');
  const { act, busy } = useInbox();
  const send = async (): Promise<void> => {
    if (!text.trim()) return;
    if (await act('reply', text.trim())) setText('');
  };
  return (
    <form
      className="inbox-reply"
      data-write=""
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label htmlFor={`${id}-reply`}>{t('inbox.reply')}</label>
      <textarea
        id={`${id}-reply`}
        data-testid="inbox-reply-text"
        rows={3}
        maxLength={4096}
        value={text}
        placeholder={t('inbox.replyHint')}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <div className="form-actions">
        <span className="muted small">{t('inbox.replyNote')}</span>
        <Button
          tone="primary"
          submit
          busy={Boolean(busy['reply'])}
          disabled={!text.trim() || Boolean(busy['reply'])}
          testId="inbox-reply-send"
        >
          {t('inbox.send')}
        </Button>
      </div>
    </form>
  );
}

function Detail(): ReactElement | null {
  const { t } = useTranslation();
  const lng = useLng();
  const { list, openId, messages, messagesError, actionError, act, busy, chosen } = useInbox();
  const end = useRef<HTMLLIElement>(null);
  const count = messages?.items.length ?? 0;
  // In braces: scrollIntoView returns a promise in newer browsers, and an effect may return only its cleanup.
  useEffect(() => {
    void end.current?.scrollIntoView({ block: 'nearest' });
  }, [count]);
  const c = list?.items.find((x) => x.id === openId);
  if (!openId || !c) return <EmptyState testId="inbox-pick" text={t('inbox.pick')} />;
  return (
    <section
      className="card inbox-detail"
      data-testid="inbox-detail"
      data-status={c.status}
      aria-label={t('inbox.detailLabel')}
    >
      <header className="inbox-detail-head">
        <div>
          <h2 className="inbox-customer">{c.customer.name ?? c.customer.phone}</h2>
          <p className="muted small">
            {c.customer.phone} · {t(`inbox.channels.${c.channel}`, { defaultValue: c.channel })}
            {c.assigned_to ? ` · ${t('inbox.assigned', { who: c.assigned_to })}` : ''}
          </p>
        </div>
        <div className="inbox-detail-tags">
          {chosen ? (
            <PrivacyButton
              subject={{
                host: chosen.host,
                tenant: chosen.tenant,
                phone: c.customer.phone,
                name: c.customer.name,
              }}
            />
          ) : null}
          <StatusTag status={c.status} />
        </div>
      </header>
      <p className="muted small" data-testid="inbox-explain">
        {t(`inbox.explain.${c.status}`)}
      </p>
      <div className="inbox-actions" data-write="">
        {c.status === 'active' ? (
          <Button
            tone="warning"
            busy={Boolean(busy['takeOver'])}
            testId="inbox-take-over"
            onClick={() => void act('takeOver')}
          >
            {t('inbox.takeOver')}
          </Button>
        ) : null}
        {c.status === 'escalated' ? (
          <Button
            tone="primary"
            busy={Boolean(busy['handBack'])}
            testId="inbox-hand-back"
            onClick={() => void act('handBack')}
          >
            {t('inbox.handBack')}
          </Button>
        ) : null}
        {c.status !== 'closed' ? (
          <Button busy={Boolean(busy['close'])} testId="inbox-close" onClick={() => void act('close')}>
            {t('inbox.close')}
          </Button>
        ) : null}
      </div>
      {actionError ? <ErrorBox error={actionError} /> : null}
      {messagesError ? <ErrorBox error={messagesError} /> : null}
      {!messages ? (
        <LoadingLine text={t('inbox.loadingMessages')} />
      ) : (
        <ol className="inbox-messages" data-testid="inbox-messages" aria-live="polite">
          {messages.items.map((m) => (
            <li
              key={m.id}
              className={`inbox-message inbox-message-${m.sender_type}`}
              data-testid="inbox-message"
              data-sender={m.sender_type}
            >
              <span className="inbox-message-who small">
                {t(`inbox.sender.${m.sender_type}`, { defaultValue: m.sender_type })} ·{' '}
                <time dateTime={m.created_at}>{formatDateTime(m.created_at, lng)}</time>
              </span>
              <span className="inbox-message-text">{m.content ?? t('inbox.noText')}</span>
            </li>
          ))}
          <li ref={end} aria-hidden="true" className="inbox-end" />
        </ol>
      )}
      {c.status !== 'closed' ? <Reply /> : null}
    </section>
  );
}

export function InboxScreen(): ReactElement {
  const { t } = useTranslation();
  const { busy, loadTenants, loadList, loadMessages, refreshPending, tenantsError } = useInbox();
  useEffect(() => {
    void loadTenants();
    // Every 5 s the agents say, per tenant, how many conversations there are and when the last
    // message came (no one's data, no audit record); the chosen tenant's are read again only
    // when that changed, so its audit log records reads a person caused, not a timer.
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refreshPending();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [loadTenants, refreshPending]);
  return (
    <div className="screen inbox-screen" data-testid="screen-inbox">
      <ScreenHeader title={t('inbox.title')} subtitle={t('inbox.subtitle')}>
        <RefreshButton
          busy={Boolean(busy['list'])}
          onClick={() => {
            void loadTenants();
            void loadList();
            void loadMessages();
          }}
          testId="inbox-refresh"
          label={t('inbox.refresh')}
          busyLabel={t('inbox.refreshing')}
        />
      </ScreenHeader>
      {tenantsError ? <ErrorBox error={tenantsError} /> : null}
      <Filters />
      <div className="inbox-layout">
        <List />
        <Detail />
      </div>
      <PrivacyDialog />
    </div>
  );
}
