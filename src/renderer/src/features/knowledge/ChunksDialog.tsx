/** A document's chunks, 50 at a time: index, page, heading path, tokens and the text. */
import { useId, useRef } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../kit/Button';
import { ErrorBox } from '../../kit/ErrorBanner';
import { formatNumber } from '../../kit/format';
import { Modal } from '../../kit/Modal';
import { LoadingLine } from '../../kit/States';
import { TableHead } from '../../kit/TableHead';
import { useLng } from '../../kit/useLocale';
import { CHUNK_PAGE, headingPath, pageRange, pageSpan } from './kb';
import { useKnowledge } from './kbStore';

export function ChunksDialog(): ReactElement | null {
  const { t } = useTranslation();
  const lng = useLng();
  const id = useId();
  const closeRef = useRef<HTMLButtonElement>(null);
  const chunks = useKnowledge((s) => s.chunks);
  const loading = useKnowledge((s) => Boolean(s.busy['chunks']));
  const loadChunks = useKnowledge((s) => s.loadChunks);
  const close = useKnowledge((s) => s.closeChunks);
  if (!chunks) return null;
  const page = chunks.page;
  const total = page?.total ?? 0;
  const range = page ? pageRange(chunks.offset, page.chunks.length) : null;
  return (
    <Modal
      labelledBy={`${id}-title`}
      onCancel={close}
      size="wide"
      testId="kb-chunks-dialog"
      initialFocus={closeRef}
    >
      <h2 id={`${id}-title`} className="modal-title">
        {t('kb.chunks.title', { name: chunks.filename })}
      </h2>
      <div className="modal-body kb-chunks-body">
        {chunks.error ? <ErrorBox error={chunks.error} /> : null}
        {!page && loading ? <LoadingLine text={t('kb.chunks.loading')} /> : null}
        {page && page.chunks.length === 0 ? <p className="muted">{t('kb.chunks.empty')}</p> : null}
        {page && page.chunks.length > 0 ? (
          <table className="table kb-chunks" data-testid="kb-chunks">
            <TableHead
              columns={[
                { label: t('kb.chunks.col.index'), className: 'num' },
                { label: t('kb.chunks.col.page'), className: 'num' },
                t('kb.chunks.col.headings'),
                { label: t('kb.chunks.col.tokens'), className: 'num' },
                t('kb.chunks.col.content'),
              ]}
            />
            <tbody>
              {page.chunks.map((c) => (
                <tr key={c.id} data-testid="kb-chunk-row" data-index={c.index}>
                  <td className="num">{c.index}</td>
                  <td className="num">{pageSpan(c.page, c.pageEnd) ?? '—'}</td>
                  <td className="kb-chunk-headings">{headingPath(c.headings) || '—'}</td>
                  <td className="num">{c.tokenCount === null ? '—' : formatNumber(c.tokenCount, lng, 0)}</td>
                  <td className="kb-chunk-content">
                    <div className="kb-chunk-text">{c.content}</div>
                    {c.indexed ? null : <span className="tag tag-warning">{t('kb.chunks.notIndexed')}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
      <div className="modal-actions kb-chunks-actions">
        <span className="muted small" aria-live="polite" data-testid="kb-chunks-range">
          {range ? t('kb.chunks.range', { from: range.from, to: range.to, total }) : ''}
        </span>
        <Button
          onClick={() => void loadChunks(Math.max(0, chunks.offset - CHUNK_PAGE))}
          disabled={loading || chunks.offset === 0}
          testId="kb-chunks-prev"
        >
          {t('kb.chunks.prev', { count: CHUNK_PAGE })}
        </Button>
        <Button
          onClick={() => void loadChunks(chunks.offset + CHUNK_PAGE)}
          disabled={loading || chunks.offset + CHUNK_PAGE >= total}
          testId="kb-chunks-next"
        >
          {t('kb.chunks.next', { count: CHUNK_PAGE })}
        </Button>
        <Button buttonRef={closeRef} onClick={close} testId="kb-chunks-close">
          {t('kb.chunks.close')}
        </Button>
      </div>
    </Modal>
  );
}
