/** One conversation: its messages (customer, bot, operator) with each message's calls and their cost. */
import { useId, useRef } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../kit/Button';
import { ErrorBox } from '../../kit/ErrorBanner';
import { Fact } from '../../kit/Fact';
import { formatDateTime } from '../../kit/format';
import { Modal } from '../../kit/Modal';
import { LoadingLine } from '../../kit/States';
import { TableHead } from '../../kit/TableHead';
import { useLng } from '../../kit/useLocale';
import { MoneyText, ToneTag, useCostFormat } from './CostParts';
import { formatMoney, messageCost, senderOf, shortId } from './costs';
import type { ConversationState } from './costsStore';
import { useCosts } from './costsStore';

/** The dialog's content (apart from the dialog, so it can be shown and tested on its own). */
export function ConversationBody({ state }: { state: ConversationState }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const f = useCostFormat();
  const d = state.detail;
  if (!d)
    return state.error ? (
      <ErrorBox error={state.error} />
    ) : (
      <LoadingLine text={t('costs.conversation.loading')} />
    );
  const usd = (v: string): string => formatMoney(v, 'USD', lng);
  return (
    <div data-testid="cost-conversation-detail">
      <dl className="facts cost-conversation-facts">
        <Fact label={t('costs.col.tenant')}>
          <span className="mono">{d.tenant}</span> <span className="muted">{d.host}</span>
        </Fact>
        <Fact label={t('costs.conversation.id')}>
          <span className="mono">{d.conversationId}</span>
        </Fact>
        <Fact label={t('costs.conversation.channel')}>{d.channel ?? t('common.none')}</Fact>
        <Fact label={t('costs.conversation.status')}>{d.status ?? t('common.none')}</Fact>
        <Fact label={t('costs.col.cost')} testId="cost-conversation-cost">
          <MoneyText money={d.cost} />
          {f.other(d.cost) ? <span className="muted small"> · {f.other(d.cost)}</span> : null}
        </Fact>
        <Fact label={t('costs.conversation.messages')}>{f.count(d.messages.length)}</Fact>
      </dl>
      {d.messages.length === 0 ? <p className="muted">{t('costs.conversation.noMessages')}</p> : null}
      <ol className="cost-messages" aria-label={t('costs.conversation.messages')}>
        {d.messages.map((m) => {
          const sender = senderOf(m);
          const spent = messageCost(m);
          return (
            <li key={m.id} className={`cost-message cost-message-${sender}`} data-sender={sender}>
              <div className="cost-message-head">
                <span className={`tag cost-sender cost-sender-${sender}`}>
                  {sender === 'other' ? m.sender : t(`costs.sender.${sender}`)}
                </span>
                <time className="muted small" dateTime={m.at}>
                  {formatDateTime(m.at, lng)}
                </time>
                {m.intent ? (
                  <span className="chip" title={t('costs.conversation.intent')}>
                    {t('costs.conversation.intentValue', { intent: m.intent })}
                  </span>
                ) : null}
                {m.model ? (
                  <span className="chip" title={t('costs.conversation.model')}>
                    {m.model}
                  </span>
                ) : null}
              </div>
              <p className="cost-message-text">
                {m.text ?? <em className="muted">{t('costs.conversation.noText')}</em>}
              </p>
              {m.calls.length > 0 ? (
                <table className="table cost-calls" aria-label={t('costs.conversation.callsOf')}>
                  <TableHead
                    columns={[
                      t('costs.col.stage'),
                      t('costs.col.model'),
                      { label: t('costs.col.tokensIn'), className: 'num' },
                      { label: t('costs.col.tokensOut'), className: 'num' },
                      { label: t('costs.col.costUsd'), className: 'num' },
                    ]}
                  />
                  <tbody>
                    {m.calls.map((c, i) => (
                      <tr key={i}>
                        <td>{c.stage}</td>
                        <td className="mono">{c.model}</td>
                        <td className="num">{f.count(c.inputTokens)}</td>
                        <td className="num">{f.count(c.outputTokens)}</td>
                        <td className="num">
                          {c.costUsd === null ? (
                            <ToneTag tone="warning" text={t('costs.conversation.unpriced')} />
                          ) : (
                            usd(c.costUsd)
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                  <tfoot>
                    <tr>
                      <th scope="row" colSpan={4}>
                        {t('costs.conversation.messageTotal')}
                      </th>
                      <td className="num">
                        {usd(spent.usd)}
                        {spent.unpriced > 0 ? (
                          <span className="small cost-unpriced-note">
                            {t('costs.conversation.plusUnpriced', { n: f.count(spent.unpriced) })}
                          </span>
                        ) : null}
                      </td>
                    </tr>
                  </tfoot>
                </table>
              ) : null}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

export function ConversationDialog(): ReactElement | null {
  const { t } = useTranslation();
  const id = useId();
  const closeRef = useRef<HTMLButtonElement>(null);
  const state = useCosts((s) => s.conversation);
  const close = useCosts((s) => s.closeConversation);
  if (!state) return null;
  return (
    <Modal
      labelledBy={`${id}-title`}
      onCancel={close}
      size="wide"
      testId="cost-conversation"
      initialFocus={closeRef}
    >
      <h2 id={`${id}-title`} className="modal-title">
        {t('costs.conversation.title', { id: shortId(state.row.conversationId), tenant: state.row.tenant })}
      </h2>
      <div className="modal-body cost-conversation-body">
        <ConversationBody state={state} />
      </div>
      <div className="modal-actions">
        <Button buttonRef={closeRef} onClick={close} testId="cost-conversation-close">
          {t('common.close')}
        </Button>
      </div>
    </Modal>
  );
}
