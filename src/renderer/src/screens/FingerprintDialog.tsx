import { useId, useRef } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { ProbeResult } from '../../../shared/contract';
import { LockIcon } from '../components/Icons';
import { Modal } from '../components/Modal';
import { hostKeyFile } from '../format';
import { useConsole } from '../store';

/**
 * Trust on first use, done properly: the operator sees the full fingerprint and how to check it
 * on the server. A changed key is a hard stop — there is no button to accept it.
 */
export function FingerprintDialog({ probe }: { probe: ProbeResult }): ReactElement {
  const { t } = useTranslation();
  const uid = useId();
  const adding = useConsole((s) => Boolean(s.busy['add']));
  const confirmAdd = useConsole((s) => s.confirmAdd);
  const cancelProbe = useConsole((s) => s.cancelProbe);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const changed = probe.known === 'changed';
  const target = `${probe.address}:${probe.port}`;
  const command = `ssh-keygen -lf ${hostKeyFile(probe.algorithm)}`;

  return (
    <Modal
      labelledBy={`${uid}-title`}
      describedBy={`${uid}-intro`}
      onCancel={cancelProbe}
      testId="fingerprint-dialog"
      tone={changed ? 'danger' : 'normal'}
      initialFocus={cancelRef}
    >
      <h2 id={`${uid}-title`} className="modal-title">
        {changed ? <LockIcon className="title-icon" /> : null}
        {changed ? t('fingerprint.titleChanged') : t('fingerprint.title')}
      </h2>
      <div className="modal-body">
        <p id={`${uid}-intro`}>
          {changed ? t('fingerprint.changedIntro', { target }) : t('fingerprint.intro', { target })}
        </p>
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
                className={changed ? 'fingerprint fingerprint-bad' : 'fingerprint'}
                data-testid="fingerprint-value"
              >
                {probe.fingerprint}
              </code>
            </dd>
          </div>
        </dl>
        {probe.known === 'match' ? <p className="note">{t('fingerprint.matchNote')}</p> : null}
        <p>{changed ? t('fingerprint.changedHowTo') : t('fingerprint.howTo')}</p>
        <pre className="command">
          <code>{command}</code>
        </pre>
      </div>
      <div className="modal-actions">
        <button
          type="button"
          ref={cancelRef}
          className="button"
          onClick={cancelProbe}
          disabled={adding}
          data-testid="fingerprint-cancel"
        >
          {changed ? t('common.close') : t('fingerprint.cancel')}
        </button>
        {changed ? null : (
          <button
            type="button"
            className="button button-primary"
            onClick={() => void confirmAdd(probe.fingerprint)}
            disabled={adding}
            aria-busy={adding}
            data-testid="fingerprint-confirm"
          >
            {adding ? t('fingerprint.adding') : t('fingerprint.confirm')}
          </button>
        )}
      </div>
    </Modal>
  );
}
