import { useId, useRef } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { ProbeResult } from '../../../../shared/contract';
import { CheckIcon, ErrorIcon, KeyIcon, LockIcon } from '../../kit/Icons';
import { Modal } from '../../kit/Modal';
import { Button } from '../../kit/Button';
import { hostKeyFile } from '../../kit/format';
import { useConsole } from '../../app/store';
import type { KeyReviewMode } from '../../app/store';
import { useFields } from '../../kit/useFields';
import { useBusy } from './HostState';

/**
 * Why the dialog is open: adding a new host (`add`), or reviewing the key of one already in the
 * inventory (see KeyReviewMode).
 */
export type FingerprintMode = 'add' | KeyReviewMode;

export interface FingerprintDialogProps {
  probe: ProbeResult;
  mode: FingerprintMode;
  /** The inventory name (review modes). */
  hostName?: string;
  busy: boolean;
  onConfirm: (fingerprint: string) => void;
  onCancel: () => void;
}

/** What the operator's own OpenSSH known_hosts says about the offered key. */
function KnownHostsLine({ probe }: { probe: ProbeResult }): ReactElement {
  const { t } = useTranslation();
  const { status, source } = probe.knownHosts;
  const src = source ?? '~/.ssh/known_hosts';
  const text =
    status === 'match'
      ? t('fingerprint.knownHosts.match', { source: src })
      : status === 'mismatch'
        ? t('fingerprint.knownHosts.mismatch', { source: src })
        : status === 'revoked'
          ? t('fingerprint.knownHosts.revoked', { source: src })
          : t('fingerprint.knownHosts.absent');
  const tone = status === 'match' ? 'ok' : status === 'absent' ? 'muted' : 'error';
  return (
    <p
      className={`known-hosts known-hosts-${tone}`}
      data-testid="fingerprint-known-hosts"
      data-status={status}
    >
      {status === 'match' ? <CheckIcon /> : status === 'absent' ? null : <ErrorIcon />}
      <span>{text}</span>
    </p>
  );
}

/**
 * Trust on first use, done properly: the operator sees the full fingerprint, what their own
 * known_hosts says about it, and how to check it on the server. When adding, a changed key is a
 * hard stop; when reviewing a host's key, a changed key can be pinned only after an explicit,
 * red confirmation. A key revoked in known_hosts is never offered for pinning.
 */
export function FingerprintDialog({
  probe,
  mode,
  hostName = '',
  busy,
  onConfirm,
  onCancel,
}: FingerprintDialogProps): ReactElement {
  const { t } = useTranslation();
  const uid = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const changed = probe.known === 'changed';
  const revoked = probe.knownHosts.status === 'revoked';
  const alreadyPinned = mode !== 'add' && mode !== 'unconfirmed' && probe.known === 'match';
  const canConfirm = !revoked && !alreadyPinned && (mode === 'add' ? !changed : true);
  const target = `${probe.address}:${probe.port}`;
  const command = `ssh-keygen -lf ${hostKeyFile(probe.algorithm)}`;
  const danger = changed || revoked;

  let title: string;
  let intro: string;
  let howTo: string;
  if (mode === 'add') {
    title = changed ? t('fingerprint.titleChanged') : t('fingerprint.title');
    intro = changed ? t('fingerprint.changedIntro', { target }) : t('fingerprint.intro', { target });
    howTo = changed ? t('fingerprint.changedHowTo') : t('fingerprint.howTo');
  } else if (changed) {
    title = t('fingerprint.titleReviewChanged', { name: hostName });
    intro = t('fingerprint.reviewChangedIntro', { name: hostName, target });
    howTo = t('fingerprint.reviewChangedHowTo');
  } else if (mode === 'unconfirmed') {
    title = t('fingerprint.titleUnconfirmed', { name: hostName });
    intro = t('fingerprint.unconfirmedIntro', { name: hostName, target });
    howTo = t('fingerprint.howTo');
  } else {
    title = t('fingerprint.titleRepin', { name: hostName });
    intro = t('fingerprint.repinIntro', { target });
    howTo = t('fingerprint.howTo');
  }
  const confirmLabel = busy
    ? mode === 'add'
      ? t('fingerprint.adding')
      : t('fingerprint.pinning')
    : mode === 'add'
      ? t('fingerprint.confirm')
      : changed
        ? t('fingerprint.pinChanged')
        : t('fingerprint.pinConfirm');

  return (
    <Modal
      labelledBy={`${uid}-title`}
      describedBy={`${uid}-intro`}
      onCancel={onCancel}
      busy={busy}
      testId="fingerprint-dialog"
      tone={danger ? 'danger' : 'normal'}
      initialFocus={cancelRef}
    >
      <h2 id={`${uid}-title`} className="modal-title" data-testid="fingerprint-title" data-mode={mode}>
        {changed ? (
          <LockIcon className="title-icon" />
        ) : mode === 'unconfirmed' ? (
          <KeyIcon className="title-icon" />
        ) : null}
        {title}
      </h2>
      <div className="modal-body">
        <p id={`${uid}-intro`}>{intro}</p>
        <dl className="fp-facts">
          <div>
            <dt>{t('details.target')}</dt>
            <dd className="mono" data-testid="fingerprint-target">
              {target}
            </dd>
          </div>
          <div>
            <dt>{t('fingerprint.algorithm')}</dt>
            <dd className="mono" data-testid="fingerprint-algorithm">
              {probe.algorithm}
            </dd>
          </div>
          {changed ? (
            <div>
              <dt>{t('fingerprint.pinned')}</dt>
              <dd>
                <code className="fingerprint" data-testid="fingerprint-pinned">
                  {probe.pinnedFingerprint ?? t('common.none')}
                </code>
              </dd>
            </div>
          ) : null}
          <div>
            <dt>{changed ? t('fingerprint.offered') : t('fingerprint.fingerprint')}</dt>
            <dd>
              <code
                className={danger ? 'fingerprint fingerprint-bad' : 'fingerprint'}
                data-testid="fingerprint-value"
              >
                {probe.fingerprint}
              </code>
            </dd>
          </div>
        </dl>
        <KnownHostsLine probe={probe} />
        {probe.known === 'match' && mode === 'add' ? (
          <p className="note">{t('fingerprint.matchNote')}</p>
        ) : null}
        {alreadyPinned ? (
          <p className="note" data-testid="fingerprint-already-pinned">
            {t('fingerprint.alreadyPinned', { name: hostName })}
          </p>
        ) : null}
        <p>{howTo}</p>
        <pre className="command">
          <code>{command}</code>
        </pre>
      </div>
      <div className="modal-actions">
        <Button buttonRef={cancelRef} onClick={onCancel} disabled={busy} testId="fingerprint-cancel">
          {canConfirm ? t('fingerprint.cancel') : t('common.close')}
        </Button>
        {canConfirm ? (
          <Button
            tone={changed ? 'danger' : 'primary'}
            onClick={() => onConfirm(probe.fingerprint)}
            disabled={busy}
            busy={busy}
            testId="fingerprint-confirm"
          >
            {confirmLabel}
          </Button>
        ) : null}
      </div>
    </Modal>
  );
}

const REVIEW = ['keyReview', 'confirmRepin', 'cancelKeyReview'] as const;

/** The key dialog of a host already in the inventory (key changed, unconfirmed, or a re-pin). */
export function KeyReviewDialog(): ReactElement | null {
  const { keyReview: review, confirmRepin, cancelKeyReview: cancel } = useFields(useConsole, REVIEW);
  const busy = useBusy('repin');
  if (!review) return null;
  return (
    <FingerprintDialog
      key={`${review.host}-${review.probe.fingerprint}`}
      probe={review.probe}
      mode={review.mode}
      hostName={review.host}
      busy={busy}
      onConfirm={(fp) => void confirmRepin(fp)}
      onCancel={cancel}
    />
  );
}
