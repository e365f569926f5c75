/**
 * The documents of a tenant's knowledge base: file (and type), status (ready, processing with its
 * job's progress, failed with the reason and what to do), chunks, size, who uploaded it and when;
 * per row Chunks, Re-index and Delete (asked first, naming the file). Rows are one tab stop:
 * arrows move, Enter shows the chunks, Delete asks to delete.
 */
import { useState } from 'react';
import type { KeyboardEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { KbDocumentView, KbJobView } from '../../../../shared/contract';
import { Button } from '../../kit/Button';
import { ConfirmDialog } from '../../kit/ConfirmDialog';
import { formatNumber } from '../../kit/format';
import { RelativeTime } from '../../kit/RelativeTime';
import { EmptyState } from '../../kit/States';
import { TableHead } from '../../kit/TableHead';
import { useLng } from '../../kit/useLocale';
import { useRowNavigation } from '../../kit/useRowNavigation';
import { useBytes } from '../backups/BackupBadges';
import { docStatusView, docTypeLabel, jobPercent } from './kb';
import type { DocStatusView } from './kb';
import { DocStatusBadge } from './KbBadges';
import { useKnowledge } from './kbStore';

/** The reason a document failed and what to do about it. */
export function ErrorReason({ view, testId }: { view: DocStatusView; testId?: string }): ReactElement | null {
  const { t } = useTranslation();
  if (view.status !== 'error') return null;
  return (
    <details className="kb-reason" data-testid={testId}>
      <summary>{t('kb.docs.more')}</summary>
      {view.reason ? <p className="kb-reason-text">{view.reason}</p> : null}
      <p className="kb-reason-hint">{t(`kb.hint.${view.code ?? 'unknown'}`)}</p>
    </details>
  );
}

type Ask = { kind: 'delete' | 'reindex'; doc: KbDocumentView } | null;

/** A row's part in the table's keyboard navigation. */
interface RowNav {
  active: boolean;
  rowRef: (el: HTMLTableRowElement | null) => void;
  onKey: (e: KeyboardEvent<HTMLTableRowElement>) => void;
  onFocus: () => void;
}

function Row({
  doc,
  jobs,
  nav: { active, rowRef, onKey, onFocus },
  onAsk,
}: {
  doc: KbDocumentView;
  jobs: readonly KbJobView[];
  nav: RowNav;
  onAsk: (a: Ask) => void;
}): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const bytes = useBytes();
  const openChunks = useKnowledge((s) => s.openChunks);
  const deleting = useKnowledge((s) => Boolean(s.busy[`delete:${doc.id}`]));
  const view = docStatusView(doc, jobs);
  const percent = view.job ? jobPercent(view.job) : null;
  const statusText = t(`kb.status.${view.status}`);
  return (
    <tr
      ref={rowRef}
      tabIndex={active ? 0 : -1}
      className={`kb-doc-row tone-row tone-row-${view.tone}`}
      data-testid="kb-doc-row"
      data-id={doc.id}
      data-name={doc.filename}
      data-status={view.status}
      aria-label={t('kb.docs.rowLabel', { name: doc.filename, status: statusText })}
      onFocus={onFocus}
      onKeyDown={(e) => {
        if (e.target !== e.currentTarget) return;
        if (e.key === 'Delete') {
          e.preventDefault();
          onAsk({ kind: 'delete', doc });
          return;
        }
        onKey(e);
      }}
    >
      <th scope="row" className="kb-doc-file">
        <span className={`kb-type kb-type-${docTypeLabel(doc.type, doc.filename).toLowerCase()}`}>
          {docTypeLabel(doc.type, doc.filename)}
        </span>
        <span className="kb-file-name" title={doc.filename}>
          {doc.filename}
        </span>
        {doc.pages ? <span className="muted small">{t('kb.docs.pages', { count: doc.pages })}</span> : null}
      </th>
      <td className="kb-doc-status">
        <DocStatusBadge view={view} testId="kb-doc-status" />
        {percent !== null ? (
          <span className="kb-minibar" aria-hidden="true">
            <span style={{ width: `${percent}%` }} />
          </span>
        ) : null}
        <ErrorReason view={view} testId="kb-doc-reason" />
      </td>
      <td className="num">{formatNumber(doc.chunkCount, lng, 0)}</td>
      <td className="num nowrap">{doc.sizeBytes === null ? '—' : bytes(doc.sizeBytes)}</td>
      <td className="nowrap">{doc.uploadedBy ?? '—'}</td>
      <td className="nowrap">
        <RelativeTime at={doc.createdAt} />
      </td>
      <td className="row-actions">
        <div className="kb-doc-actions">
          <Button
            small
            onClick={() => void openChunks(doc.id, doc.filename)}
            aria-label={t('kb.docs.viewChunksLabel', { name: doc.filename })}
            testId="kb-doc-chunks"
          >
            {t('kb.docs.viewChunks')}
          </Button>
          <Button
            small
            onClick={() => onAsk({ kind: 'reindex', doc })}
            disabled={view.busy}
            aria-label={t('kb.docs.reindexLabel', { name: doc.filename })}
            testId="kb-doc-reindex"
            data-write=""
          >
            {t('kb.docs.reindex')}
          </Button>
          <Button
            small
            tone="danger-outline"
            onClick={() => onAsk({ kind: 'delete', doc })}
            disabled={deleting}
            aria-label={t('kb.docs.deleteLabel', { name: doc.filename })}
            testId="kb-doc-delete"
            data-write=""
          >
            {t('kb.docs.delete')}
          </Button>
        </div>
      </td>
    </tr>
  );
}

export function DocumentTable({
  documents,
  jobs,
  slug,
  model,
}: {
  documents: readonly KbDocumentView[];
  jobs: readonly KbJobView[];
  slug: string;
  model: string;
}): ReactElement {
  const { t } = useTranslation();
  const openChunks = useKnowledge((s) => s.openChunks);
  const deleteDocument = useKnowledge((s) => s.deleteDocument);
  const reindex = useKnowledge((s) => s.reindex);
  const busy = useKnowledge((s) => s.busy);
  const [ask, setAsk] = useState<Ask>(null);
  const { activeIndex, setActive, rowRefs, onKey } = useRowNavigation(documents.length, (i) => {
    const d = documents[i];
    if (d) void openChunks(d.id, d.filename);
  });

  if (documents.length === 0) return <EmptyState testId="kb-docs-empty" text={t('kb.docs.empty')} />;

  return (
    <>
      <div className="card table-card">
        <table className="table kb-docs" aria-label={t('kb.docs.label')} data-testid="kb-docs">
          <TableHead
            columns={[
              t('kb.docs.col.file'),
              t('kb.docs.col.status'),
              { label: t('kb.docs.col.chunks'), className: 'num' },
              { label: t('kb.docs.col.size'), className: 'num' },
              t('kb.docs.col.by'),
              t('kb.docs.col.at'),
              { label: <span className="visually-hidden">{t('kb.docs.col.actions')}</span> },
            ]}
          />
          <tbody>
            {documents.map((d, i) => (
              <Row
                key={d.id}
                doc={d}
                jobs={jobs}
                nav={{
                  active: activeIndex === i,
                  rowRef: (el) => {
                    rowRefs.current[i] = el;
                  },
                  onKey: (e) => onKey(e, i),
                  onFocus: () => setActive(i),
                }}
                onAsk={setAsk}
              />
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small table-note kb-table-note">{t('kb.docs.keyboardHint')}</p>
      {ask?.kind === 'delete' ? (
        <ConfirmDialog
          title={t('kb.confirmDelete.title', { name: ask.doc.filename })}
          body={<p>{t('kb.confirmDelete.body', { chunks: ask.doc.chunkCount, slug })}</p>}
          confirmLabel={t('kb.confirmDelete.confirm')}
          busyLabel={t('kb.confirmDelete.busy')}
          busy={Boolean(busy[`delete:${ask.doc.id}`])}
          tone="danger"
          testId="kb-delete-dialog"
          onCancel={() => setAsk(null)}
          onConfirm={() => {
            void deleteDocument(ask.doc.id, ask.doc.filename).then(() => setAsk(null));
          }}
        />
      ) : null}
      {ask?.kind === 'reindex' ? (
        <ConfirmDialog
          title={t('kb.confirmReindex.title', { name: ask.doc.filename })}
          body={<p>{t('kb.confirmReindex.body', { chunks: ask.doc.chunkCount, model })}</p>}
          confirmLabel={t('kb.confirmReindex.confirm')}
          busyLabel={t('kb.confirmReindex.busy')}
          busy={Boolean(busy[`reindex:${ask.doc.id}`])}
          testId="kb-reindex-dialog"
          onCancel={() => setAsk(null)}
          onConfirm={() => {
            void reindex(ask.doc.id).then(() => setAsk(null));
          }}
        />
      ) : null}
    </>
  );
}
