/**
 * Ask the bot: a question → `kb.ask` → the tenant's real bot answers a test customer of this
 * console: the reply, intent, model (or the template that needed no LLM call), cost, the LLM
 * calls, the sources it used and whether it escalated to a human.
 */
import { useId, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { BusyButton } from '../../kit/DetailParts';
import { ErrorBox } from '../../kit/ErrorBanner';
import { formatNumber } from '../../kit/format';
import { TableHead } from '../../kit/TableHead';
import { useLng } from '../../kit/useLocale';
import { dollars } from './kb';
import { useKnowledge } from './kbStore';

export function AskPanel(): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const id = useId();
  const [question, setQuestion] = useState('');
  const answer = useKnowledge((s) => s.answer);
  const running = useKnowledge((s) => Boolean(s.busy['ask']));
  const ask = useKnowledge((s) => s.ask);
  const a = answer?.value ?? null;
  const cost = (c: string | null): string => dollars(c) ?? t('kb.ask.unpriced');

  function submit(e: FormEvent): void {
    e.preventDefault();
    void ask(question);
  }

  return (
    <section className="card kb-panel" aria-labelledby={`${id}-title`} data-testid="kb-ask">
      <h2 id={`${id}-title`} className="kb-section-title">
        {t('kb.ask.title')}
      </h2>
      <p className="muted small">{t('kb.ask.intro')}</p>
      <form className="kb-ask-form" onSubmit={submit}>
        <label htmlFor={`${id}-q`} className="visually-hidden">
          {t('kb.ask.label')}
        </label>
        <textarea
          id={`${id}-q`}
          rows={2}
          value={question}
          maxLength={4096}
          placeholder={t('kb.ask.placeholder')}
          onChange={(e) => setQuestion(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void ask(question);
            }
          }}
          data-testid="kb-ask-input"
        />
        <BusyButton
          type="submit"
          className="button button-primary"
          busy={running}
          disabled={running || !question.trim()}
          label={t('kb.ask.run')}
          busyLabel={t('kb.ask.running')}
          data-testid="kb-ask-run"
        />
      </form>
      {answer?.error ? <ErrorBox error={answer.error} /> : null}
      {a ? (
        <div className="kb-result kb-answer" data-testid="kb-ask-result" data-escalated={a.escalated}>
          <div className="kb-reply" data-testid="kb-ask-reply">
            <h3 className="kb-subtitle">
              {t('kb.ask.reply')}
              {a.escalated ? (
                <span className="tag tag-warning" data-testid="kb-ask-escalated">
                  {t('kb.ask.escalated')}
                </span>
              ) : null}
            </h3>
            {a.reply ? (
              <p className="kb-reply-text">{a.reply}</p>
            ) : (
              <p className="muted">{t('kb.ask.noReply')}</p>
            )}
          </div>
          <dl className="kb-facts">
            <div>
              <dt>{t('kb.ask.intent')}</dt>
              <dd className="mono">{a.intent ?? '—'}</dd>
            </div>
            <div>
              <dt>{t('kb.ask.model')}</dt>
              <dd className="mono" data-testid="kb-ask-model">
                {a.model ?? t('kb.ask.template')}
              </dd>
            </div>
            <div>
              <dt>{t('kb.ask.cost')}</dt>
              <dd className="mono" data-testid="kb-ask-cost">
                {cost(a.costUsd)}
              </dd>
            </div>
            <div>
              <dt>{t('kb.ask.took')}</dt>
              <dd>{t('kb.ask.ms', { ms: formatNumber(Math.round(a.tookMs), lng, 0) })}</dd>
            </div>
          </dl>
          <h3 className="kb-subtitle">{t('kb.ask.sources')}</h3>
          {a.sources.length === 0 ? (
            <p className="muted small">{t('kb.ask.noSources')}</p>
          ) : (
            <ul className="kb-sources" data-testid="kb-ask-sources">
              {a.sources.map((s) => (
                <li key={s.n}>
                  <span className="mono">[{s.n}]</span> {s.filename ?? t('kb.ask.unknownSource')}{' '}
                  {s.score !== null ? (
                    <span className="muted small">
                      {t('kb.ask.sourceScore', { score: formatNumber(s.score, lng, 3) })}
                    </span>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
          {a.calls.length > 0 ? (
            <>
              <h3 className="kb-subtitle">{t('kb.ask.calls')}</h3>
              <div className="kb-calls-wrap">
                <table className="table kb-calls" data-testid="kb-ask-calls">
                  <TableHead
                    columns={[
                      t('kb.ask.col.stage'),
                      t('kb.ask.col.model'),
                      { label: t('kb.ask.col.tokensIn'), className: 'num' },
                      { label: t('kb.ask.col.tokensOut'), className: 'num' },
                      { label: t('kb.ask.col.cost'), className: 'num' },
                    ]}
                  />
                  <tbody>
                    {a.calls.map((c, i) => (
                      <tr key={i}>
                        <td>{c.stage}</td>
                        <td className="mono">{c.model}</td>
                        <td className="num">{formatNumber(c.inputTokens, lng, 0)}</td>
                        <td className="num">{formatNumber(c.outputTokens, lng, 0)}</td>
                        <td className="num mono">{cost(c.costUsd)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
