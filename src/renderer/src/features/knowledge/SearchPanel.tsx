/**
 * Test search: a query → `kb.search` → what the bot would retrieve (score bar, file, chunk, page,
 * heading path, the start of the text, expandable), and the model, top_k and min score it used.
 */
import { useId, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { KbSearchView } from '../../../../shared/contract';
import { ErrorBox } from '../../kit/ErrorBanner';
import { BusyButton } from '../../kit/DetailParts';
import { formatNumber } from '../../kit/format';
import { useLng } from '../../kit/useLocale';
import { headingPath, preview, scorePercent } from './kb';
import { useKnowledge } from './kbStore';

type Hit = KbSearchView['hits'][number];

function HitItem({ hit, rank }: { hit: Hit; rank: number }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const [open, setOpen] = useState(false);
  const p = preview(hit.content);
  const path = headingPath(hit.headings);
  return (
    <li className="kb-hit" data-testid="kb-search-hit" data-rank={rank} data-score={hit.score}>
      <div className="kb-hit-head">
        <span className="kb-score" title={t('kb.search.score', { score: formatNumber(hit.score, lng, 3) })}>
          <span className="kb-score-bar" aria-hidden="true">
            <span style={{ width: `${scorePercent(hit.score)}%` }} />
          </span>
          <span className="kb-score-value mono">{formatNumber(hit.score, lng, 3)}</span>
        </span>
        <span className="kb-file-name">{hit.filename}</span>
        <span className="muted small">{t('kb.search.chunk', { index: hit.chunkIndex })}</span>
        {hit.page !== null ? (
          <span className="muted small">{t('kb.search.page', { page: hit.page })}</span>
        ) : null}
      </div>
      {path ? <p className="kb-hit-path small">{path}</p> : null}
      <p className="kb-hit-text">{open ? hit.content : p.text}</p>
      {p.cut ? (
        <button type="button" className="link" onClick={() => setOpen(!open)} aria-expanded={open}>
          {open ? t('kb.search.less') : t('kb.search.more')}
        </button>
      ) : null}
    </li>
  );
}

export function SearchPanel(): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const id = useId();
  const [query, setQuery] = useState('');
  const search = useKnowledge((s) => s.search);
  const running = useKnowledge((s) => Boolean(s.busy['search']));
  const runSearch = useKnowledge((s) => s.runSearch);
  const r = search?.value ?? null;

  function submit(e: FormEvent): void {
    e.preventDefault();
    void runSearch(query);
  }

  return (
    <section className="card kb-panel" aria-labelledby={`${id}-title`} data-testid="kb-search">
      <h2 id={`${id}-title`} className="kb-section-title">
        {t('kb.search.title')}
      </h2>
      <p className="muted small">{t('kb.search.intro')}</p>
      <form className="kb-ask-form" onSubmit={submit}>
        <label htmlFor={`${id}-q`} className="visually-hidden">
          {t('kb.search.label')}
        </label>
        <input
          id={`${id}-q`}
          type="search"
          value={query}
          maxLength={4096}
          placeholder={t('kb.search.placeholder')}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="kb-search-input"
        />
        <BusyButton
          type="submit"
          className="button button-primary"
          busy={running}
          disabled={running || !query.trim()}
          label={t('kb.search.run')}
          busyLabel={t('kb.search.running')}
          data-testid="kb-search-run"
        />
      </form>
      {search?.error ? <ErrorBox error={search.error} /> : null}
      {r ? (
        <div className="kb-result" data-testid="kb-search-result" data-hits={r.hits.length}>
          <p className="muted small mono" data-testid="kb-search-used">
            {t('kb.search.used', {
              model: r.model,
              topK: r.topK,
              minScore: formatNumber(r.minScore, lng, 3),
              tokens: r.embeddingTokens,
              ms: Math.round(r.tookMs),
            })}
          </p>
          {r.hits.length === 0 ? (
            <p className="callout callout-warning" data-testid="kb-search-none">
              {t('kb.search.none', { minScore: formatNumber(r.minScore, lng, 3), query: r.query })}
            </p>
          ) : (
            <ol className="kb-hits" aria-label={t('kb.search.hits')}>
              {r.hits.map((h, i) => (
                <HitItem key={`${h.documentId}/${h.chunkIndex}`} hit={h} rank={i + 1} />
              ))}
            </ol>
          )}
        </div>
      ) : null}
    </section>
  );
}
