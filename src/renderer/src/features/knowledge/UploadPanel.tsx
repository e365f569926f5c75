/**
 * Upload: a drop zone and a file chooser (several files at once), then the queue — per file its
 * name, size, bytes sent, then its job's phase on the host — with a Cancel per file (while it
 * waits, while it is sent, and once the host queued it) and Try again for a failed one.
 */
import { useRef, useState } from 'react';
import type { DragEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../kit/Button';
import { ErrorBox } from '../../kit/ErrorBanner';
import { ImportIcon } from '../../kit/Icons';
import { ProgressMeter } from '../../kit/ProgressMeter';
import { useFields } from '../../kit/useFields';
import { useBytes } from '../backups/BackupBadges';
import { isFinal, sameTenant } from './kb';
import type { TenantRef } from './kb';
import { PhaseBadge } from './KbBadges';
import { useKnowledge } from './kbStore';
import type { UploadItem } from './kbStore';
import { KB_ACCEPT, KB_MAX_FILE_BYTES, sentPercent } from './upload';
import type { Refusal } from './upload';

function useRefusalText(): (r: Refusal) => string {
  const { t } = useTranslation();
  const bytes = useBytes();
  return (r) => {
    switch (r.code) {
      case 'type':
        return r.extension
          ? t('kb.upload.refusal.type', { extension: r.extension })
          : t('kb.upload.refusal.typeNone');
      case 'too-large':
        return t('kb.upload.refusal.tooLarge', { size: bytes(r.sizeBytes), max: bytes(r.maxBytes) });
      case 'empty':
        return t('kb.upload.refusal.empty');
      default:
        return t('kb.upload.refusal.name');
    }
  };
}

function QueueRow({ u }: { u: UploadItem }): ReactElement {
  const { t } = useTranslation();
  const bytes = useBytes();
  const refusalText = useRefusalText();
  const job = useKnowledge((s) => (u.jobId ? s.jobs.find((j) => j.id === u.jobId) : undefined));
  const cancelling = useKnowledge((s) => Boolean(u.jobId && s.busy[`cancel:${u.jobId}`]));
  const cancelUpload = useKnowledge((s) => s.cancelUpload);
  const retryUpload = useKnowledge((s) => s.retryUpload);
  const canCancel =
    u.state === 'waiting' ||
    u.state === 'sending' ||
    u.state === 'closing' ||
    (u.state === 'queued' && (!job || !isFinal(job.phase)));
  const showBar = u.state === 'sending' || u.state === 'closing' || u.state === 'waiting';
  const percent = sentPercent(u.sent, u.size);
  return (
    <li
      className={`kb-queue-item kb-queue-${u.state}`}
      data-testid="kb-upload-item"
      data-name={u.name}
      data-state={u.state}
      data-phase={job?.phase}
    >
      <div className="kb-queue-head">
        <span className="kb-file-name" title={u.name}>
          {u.name}
        </span>
        <span className="muted small nowrap">{bytes(u.size)}</span>
        <span className="kb-queue-state">
          {u.state === 'queued' && job ? (
            <PhaseBadge job={job} testId="kb-upload-phase" />
          ) : (
            <span
              className={`tag tag-${u.state === 'failed' || u.state === 'refused' ? 'error' : u.state === 'cancelled' ? 'unknown' : 'info'}`}
              data-testid="kb-upload-state"
            >
              {t(`kb.upload.state.${u.state}`)}
            </span>
          )}
        </span>
        <span className="kb-queue-actions">
          {u.state === 'failed' ? (
            <Button small onClick={() => retryUpload(u.key)} testId="kb-upload-retry">
              {t('kb.upload.retry')}
            </Button>
          ) : null}
          {canCancel ? (
            <Button
              small
              onClick={() => void cancelUpload(u.key)}
              disabled={cancelling}
              aria-label={t('kb.upload.cancelLabel', { name: u.name })}
              testId="kb-upload-cancel"
            >
              {t('kb.upload.cancel')}
            </Button>
          ) : null}
        </span>
      </div>
      {showBar ? (
        <div className="kb-queue-progress">
          <ProgressMeter
            percent={percent}
            state="running"
            label={t('kb.upload.progressLabel', { name: u.name })}
            testIdPrefix="kb-upload"
          >
            <span className="muted small">
              {t('kb.upload.sentOf', { sent: bytes(u.sent), size: bytes(u.size) })}
            </span>
          </ProgressMeter>
        </div>
      ) : null}
      {u.refusal ? (
        <p className="field-error" role="status" data-testid="kb-upload-refusal">
          {refusalText(u.refusal)}
        </p>
      ) : null}
      {u.error ? <ErrorBox error={u.error} /> : null}
      {job?.error ? (
        <p className="field-error" data-testid="kb-upload-job-error">
          {job.error.message}
        </p>
      ) : null}
    </li>
  );
}

export function UploadPanel({ tenant }: { tenant: TenantRef }): ReactElement {
  const { t } = useTranslation();
  const bytes = useBytes();
  const { uploads, addFiles, clearUploads } = useFields(useKnowledge, [
    'uploads',
    'addFiles',
    'clearUploads',
  ]);
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const mine = uploads.filter((u) => sameTenant(u, tenant));
  const finished = mine.some((u) => u.state !== 'waiting' && u.state !== 'sending' && u.state !== 'closing');

  function onDrop(e: DragEvent<HTMLDivElement>): void {
    e.preventDefault();
    setOver(false);
    addFiles([...e.dataTransfer.files]);
  }

  return (
    <section className="card kb-upload" aria-labelledby="kb-upload-title" data-testid="kb-upload">
      <h2 id="kb-upload-title" className="kb-section-title">
        {t('kb.upload.title')}
      </h2>
      <div
        className={`kb-drop${over ? ' kb-drop-over' : ''}`}
        data-testid="kb-drop"
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <ImportIcon className="kb-drop-icon" />
        <p className="kb-drop-text">
          {t('kb.upload.drop')} <span className="muted">{t('kb.upload.or')}</span>{' '}
          <Button tone="primary" onClick={() => input.current?.click()} testId="kb-upload-choose">
            {t('kb.upload.choose')}
          </Button>
        </p>
        <p className="muted small">{t('kb.upload.limits', { max: bytes(KB_MAX_FILE_BYTES) })}</p>
        <input
          ref={input}
          type="file"
          multiple
          accept={KB_ACCEPT}
          className="visually-hidden"
          tabIndex={-1}
          aria-label={t('kb.upload.inputLabel')}
          data-testid="kb-upload-input"
          onChange={(e) => {
            const files = e.target.files ? [...e.target.files] : [];
            addFiles(files);
            e.target.value = '';
          }}
        />
      </div>
      {mine.length > 0 ? (
        <>
          <ul className="kb-queue" aria-label={t('kb.upload.queueLabel')} data-testid="kb-upload-queue">
            {mine.map((u) => (
              <QueueRow key={u.key} u={u} />
            ))}
          </ul>
          {finished ? (
            <Button small onClick={clearUploads} testId="kb-upload-clear">
              {t('kb.upload.clear')}
            </Button>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
