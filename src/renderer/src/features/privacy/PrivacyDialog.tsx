/**
 * A customer's personal-data request (issue 17): what the tenant holds about them in each store
 * (PostgreSQL, Qdrant, Redis, n8n's executions), the export as one JSON file, and the erasure,
 * which asks for the phone number again. The backups that still hold the data, and when the
 * retention rule removes them, are said before anything is erased. Operators only (`data-write`:
 * a support console has no door to it).
 */
import { useId, useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../kit/Button';
import { Callout } from '../../kit/Callout';
import { ErrorBox } from '../../kit/ErrorBanner';
import { formatDateTime } from '../../kit/format';
import { CodeInput, FormField } from '../../kit/FormField';
import { Modal } from '../../kit/Modal';
import { LoadingLine } from '../../kit/States';
import { useLng } from '../../kit/useLocale';
import { downloadText } from '../../kit/download';
import type { Finding, PrivacySubject } from './privacyStore';
import { usePrivacy } from './privacyStore';
import './privacy.css';

const digits = (s: string): string => s.replace(/\D/g, '');

/** The places the erasure knows, with the i18n key of what it does there. */
const ACTIONS: Record<
  string,
  | 'customers'
  | 'conversations'
  | 'messages'
  | 'orders'
  | 'payments'
  | 'billing_events'
  | 'audit_logs'
  | 'knowledge_chunks'
> = {
  'public.customers': 'customers',
  'public.conversations': 'conversations',
  'public.messages': 'messages',
  'public.orders': 'orders',
  'public.payments': 'payments',
  'public.billing_events': 'billing_events',
  'public.audit_logs': 'audit_logs',
  'public.knowledge_chunks': 'knowledge_chunks',
};

function FindingTable({ f }: { f: Finding }): ReactElement {
  const { t } = useTranslation();
  const rows = f.stores.flatMap((s) => s.places.map((p) => ({ store: s.store, ...p })));
  if (!rows.length)
    return (
      <Callout tone="ok" testId="privacy-nothing">
        {t('privacy.nothing')}
      </Callout>
    );
  return (
    <table className="table privacy-table" data-testid="privacy-table">
      <thead>
        <tr>
          <th scope="col">{t('privacy.col.store')}</th>
          <th scope="col">{t('privacy.col.where')}</th>
          <th scope="col" className="num">
            {t('privacy.col.count')}
          </th>
          <th scope="col">{t('privacy.col.onErase')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.store}/${r.place}`} data-testid="privacy-row" data-place={r.place}>
            <td>{t(`privacy.store.${r.store}`)}</td>
            <td className="mono small">{r.place}</td>
            <td className="num">{r.count}</td>
            <td className="small">
              {ACTIONS[r.place]
                ? t(`privacy.action.${ACTIONS[r.place]!}`)
                : r.store === 'postgres'
                  ? t('privacy.action.unknown')
                  : t(`privacy.action.${r.store}`)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function BackupsNote({ f }: { f: Finding }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const b = f.backups;
  const day = (iso: string | null): string => (iso ? formatDateTime(iso, lng).split(',')[0]! : '—');
  return (
    <Callout tone={b.holding ? 'warning' : 'info'} testId="privacy-backups">
      {b.holding === 0
        ? t('privacy.backups.none')
        : [
            t('privacy.backups.holding', { count: b.holding, oldest: day(b.oldest), newest: day(b.newest) }),
            b.retention
              ? b.goneBy
                ? t('privacy.backups.goneBy', {
                    daily: b.retention.daily,
                    weekly: b.retention.weekly,
                    date: day(b.goneBy),
                  })
                : t('privacy.backups.final')
              : t('privacy.backups.unknownRule'),
            b.offsiteDays ? t('privacy.backups.offsite', { days: b.offsiteDays }) : '',
            t('privacy.backups.restore'),
          ]
            .filter(Boolean)
            .join(' ')}
    </Callout>
  );
}

/** The dialog, shown while a request is open. */
export function PrivacyDialog(): ReactElement | null {
  const { t } = useTranslation();
  const id = useId();
  const { subject, finding, erasure, exported, error, busy, close, exportData, erase } = usePrivacy();
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  if (!subject) return null;
  const matches = digits(typed) === digits(subject.phone);
  const done = (): void => {
    setConfirming(false);
    setTyped('');
    close();
  };
  return (
    <Modal
      labelledBy={`${id}-title`}
      onCancel={done}
      busy={busy !== ''}
      testId="privacy-dialog"
      tone={confirming ? 'danger' : 'normal'}
      size="wide"
    >
      <h2 id={`${id}-title`} className="modal-title">
        {t('privacy.title', { who: subject.name ?? subject.phone })}
      </h2>
      <div className="modal-body privacy-body">
        <p className="muted small">{t('privacy.intro', { tenant: subject.tenant, phone: subject.phone })}</p>
        {busy === 'find' ? <LoadingLine text={t('privacy.searching')} /> : null}
        {error ? <ErrorBox error={error} /> : null}
        {erasure ? (
          <Callout tone={erasure.after.total === 0 ? 'ok' : 'warning'} testId="privacy-erased">
            {t('privacy.erased', { count: erasure.erased.total })}{' '}
            {erasure.after.total === 0
              ? t('privacy.afterNothing')
              : t('privacy.afterSome', { count: erasure.after.total })}
          </Callout>
        ) : finding ? (
          <>
            <p data-testid="privacy-summary">
              {finding.customers.length
                ? t('privacy.summary', { count: finding.total })
                : t('privacy.noCustomer', { count: finding.total })}
            </p>
            <FindingTable f={finding} />
            <p className="muted small">{t('privacy.matchedBy')}</p>
            <BackupsNote f={finding} />
            {exported ? (
              <Callout tone="ok" testId="privacy-exported">
                {t('privacy.exported', { file: exported })}
              </Callout>
            ) : null}
          </>
        ) : null}
        {confirming && !erasure ? (
          <FormField
            id={`${id}-confirm`}
            label={t('privacy.confirmLabel')}
            help={t('privacy.confirmHelp')}
            testId="privacy-confirm"
          >
            {(aria) => (
              <CodeInput
                {...aria}
                value={typed}
                autoFocus
                data-testid="privacy-confirm-input"
                onChange={(e) => setTyped(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && matches && busy === '') void erase(typed);
                }}
              />
            )}
          </FormField>
        ) : null}
      </div>
      <div className="modal-actions">
        <Button onClick={done} disabled={busy !== ''} testId="privacy-close">
          {t('privacy.close')}
        </Button>
        {finding && !erasure ? (
          <Button
            busy={busy === 'export'}
            disabled={busy !== ''}
            testId="privacy-export"
            onClick={() =>
              void exportData().then((r) => {
                if (r) downloadText(r.json, r.fileName, 'application/json;charset=utf-8');
              })
            }
          >
            {busy === 'export' ? t('privacy.exporting') : t('privacy.export')}
          </Button>
        ) : null}
        {finding && !erasure && finding.total > 0 ? (
          confirming ? (
            <Button
              tone="danger"
              busy={busy === 'erase'}
              disabled={!matches || busy !== ''}
              testId="privacy-erase-confirm"
              onClick={() => void erase(typed)}
            >
              {busy === 'erase' ? t('privacy.erasing') : t('privacy.eraseNow')}
            </Button>
          ) : (
            <Button
              tone="danger"
              disabled={busy !== ''}
              testId="privacy-erase"
              onClick={() => setConfirming(true)}
            >
              {t('privacy.erase')}
            </Button>
          )
        ) : null}
      </div>
    </Modal>
  );
}

/** Opens a personal-data request about this customer (operators only). */
export function PrivacyButton({ subject }: { subject: PrivacySubject }): ReactElement {
  const { t } = useTranslation();
  const open = usePrivacy((s) => s.open);
  return (
    <Button small data-write="" testId="privacy-open" onClick={() => void open(subject)}>
      {t('privacy.open')}
    </Button>
  );
}
