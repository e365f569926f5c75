import { useEffect, useId } from 'react';
import type { AuditEntry, AuditVerify } from '../../../../shared/contract';
import { Button } from '../../kit/Button';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { ErrorBanner } from '../../kit/ErrorBanner';
import { NavIcon } from '../../kit/Icons';
import { RefreshButton } from '../../kit/States';
import { useFields } from '../../kit/useFields';
import { auditDetailsSummary, formatDateTime, formatRelative } from '../../kit/format';
import { useConsole } from '../../app/store';
import { ScreenHeader } from '../../kit/ScreenHeader';
import { TableHead } from '../../kit/TableHead';
import { SectionLink } from '../../app/SectionLink';

/** Actions the console words itself; any other is shown as its code. */
const KNOWN_ACTIONS = [
  'host.pin',
  'host.repin',
  'host.add',
  'host.import',
  'host.forget',
  // The door's own records of every command that changes something (core/audit.ts).
  'command.start',
  'command.ok',
  'command.failed',
] as const;
type KnownAction = (typeof KNOWN_ACTIONS)[number];

function actionText(t: TFunction, action: string): string | null {
  return (KNOWN_ACTIONS as readonly string[]).includes(action)
    ? t(`audit.actions.${action as KnownAction}`)
    : null;
}

const FIELDS = [
  'hosts',
  'auditHost',
  'selectedHost',
  'selectAuditHost',
  'loadAudit',
  'verifyAudit',
  'error',
] as const;

/** Who did it, with how the host knows: a key (plain), the account only (amber), an earlier console's claim (grey). */
function ActorCell({ e, t }: { e: AuditEntry; t: TFunction }): ReactElement {
  const proof = e.legacy ? 'legacy' : (e.proof ?? 'legacy');
  return (
    <td className="mono" data-testid="audit-actor" data-proof={proof} title={t(`audit.proof.${proof}`)}>
      {e.actor}
      {proof === 'none' ? (
        <span className="tag tag-warning audit-proof">{t('audit.accountOnly')}</span>
      ) : null}
      {proof === 'legacy' ? <span className="tag tag-unknown audit-proof">{t('audit.unproven')}</span> : null}
      {e.claimed && e.claimed !== e.actor ? (
        <div className="muted small" data-testid="audit-claimed">
          {t('audit.claimed', { who: e.claimed })}
        </div>
      ) : null}
    </td>
  );
}

/** The last verification of the host's chain: green when it holds, red with where it broke. */
function VerifyResult({ r, t }: { r: AuditVerify; t: TFunction }): ReactElement {
  if (r.ok)
    return (
      <p
        className="card audit-verify audit-verify-ok"
        role="status"
        data-testid="audit-verify"
        data-ok="true"
      >
        {r.head && r.checkpoints === 0
          ? t('audit.verifyOkFirst', { records: r.records, seq: r.head.seq })
          : r.head
            ? t('audit.verifyOk', {
                records: r.records,
                seq: r.head.seq,
                matched: r.checkpointsMatched,
                checkpoints: r.checkpoints,
              })
            : t('audit.verifyEmpty')}
      </p>
    );
  const p = r.problem!;
  return (
    <div
      className="card audit-verify audit-verify-bad"
      role="alert"
      data-testid="audit-verify"
      data-ok="false"
      data-kind={p.kind}
      title={p.message}
    >
      <strong>
        {t('audit.verifyBad', { kind: t(`audit.problem.${p.kind}`), line: p.line, seq: p.seq })}
      </strong>
      <p className="small">{t('audit.verifyBadDetail', { records: r.records })}</p>
    </div>
  );
}

/** A host's audit trail (kept on the host): newest first. */
export function AuditScreen(): ReactElement {
  const { t, i18n } = useTranslation();
  const lng = i18n.language === 'ru' ? 'ru' : 'en';
  const uid = useId();
  const { hosts, auditHost, selectedHost, selectAuditHost, loadAudit, verifyAudit, error } = useFields(
    useConsole,
    FIELDS,
  );
  // The host shown: the one chosen here, else the one selected on the Hosts screen, else the first.
  const name =
    (auditHost && hosts.some((h) => h.name === auditHost) ? auditHost : null) ??
    (selectedHost && hosts.some((h) => h.name === selectedHost) ? selectedHost : null) ??
    hosts[0]?.name ??
    null;
  const host = hosts.find((h) => h.name === name) ?? null;
  const log = useConsole((s) => (name ? s.audit[name] : undefined));
  const loading = useConsole((s) => (name ? Boolean(s.busy[`audit:${name}`]) : false));
  const verifying = useConsole((s) => (name ? Boolean(s.busy[`auditVerify:${name}`]) : false));
  const verified = useConsole((s) => (name ? s.auditVerify[name] : undefined));
  const failed = error?.scope === 'audit';

  useEffect(() => {
    if (name !== auditHost) selectAuditHost(name);
  }, [name, auditHost, selectAuditHost]);

  // Read the trail whenever another host is chosen (and on opening the screen).
  useEffect(() => {
    if (name && host?.kind === 'ssh') void loadAudit(name);
  }, [name, host?.kind, loadAudit]);

  return (
    <div className="screen" data-testid="screen-audit">
      <ScreenHeader title={t('audit.title')} subtitle={t('audit.subtitle')} />
      {hosts.length === 0 ? (
        <section className="card empty-state" data-testid="audit-no-hosts">
          <div className="empty-icon">
            <NavIcon name="audit" />
          </div>
          <p className="empty-body">{t('audit.noHosts')}</p>
          <p>
            <SectionLink screen="hosts">{t('fleet.openHosts')} →</SectionLink>
          </p>
        </section>
      ) : (
        <>
          <div className="audit-toolbar card">
            <div className="field audit-host-field">
              <label htmlFor={`${uid}-host`}>{t('audit.host')}</label>
              <select
                id={`${uid}-host`}
                data-testid="audit-host"
                value={name ?? ''}
                onChange={(e) => selectAuditHost(e.target.value || null)}
              >
                {hosts.map((h) => (
                  <option key={h.name} value={h.name}>
                    {h.name}
                  </option>
                ))}
              </select>
            </div>
            <RefreshButton
              testId="audit-refresh"
              busy={loading}
              disabled={!name || host?.kind !== 'ssh'}
              onClick={() => name && void loadAudit(name)}
              label={t('audit.refresh')}
            />
            <Button
              testId="audit-verify-button"
              busy={verifying}
              disabled={!name || host?.kind !== 'ssh' || verifying}
              onClick={() => name && void verifyAudit(name)}
            >
              {verifying ? t('audit.verifying') : t('audit.verify')}
            </Button>
            {log && !failed ? (
              <p className="muted small audit-count" data-testid="audit-count">
                {t('audit.count', { count: log.entries.length, when: formatRelative(log.loadedAt, lng) })}
              </p>
            ) : null}
          </div>

          <ErrorBanner scopes={['audit']} />
          {verified && host?.kind === 'ssh' ? <VerifyResult r={verified} t={t} /> : null}

          {host?.kind === 'local' ? (
            <p className="muted card" data-testid="audit-local">
              {t('audit.local', { name: host.name })}
            </p>
          ) : failed ? null : !log ? (
            <p className="muted" role="status" data-testid="audit-loading">
              <span className="spinner" aria-hidden="true" /> {t('audit.loading')}
            </p>
          ) : log.entries.length === 0 ? (
            <section className="card empty-state" data-testid="audit-empty">
              <div className="empty-icon">
                <NavIcon name="audit" />
              </div>
              <p className="empty-body">{t('audit.empty', { name: name ?? '' })}</p>
              <p className="muted">{t('audit.emptyHint')}</p>
            </section>
          ) : (
            <div className="card table-card">
              <table
                className="table audit-table"
                aria-label={t('audit.tableLabel', { name: name ?? '' })}
                data-testid="audit-table"
                aria-busy={loading}
              >
                <TableHead
                  columns={[
                    t('audit.col.seq'),
                    t('audit.col.at'),
                    t('audit.col.actor'),
                    t('audit.col.action'),
                    t('audit.col.subject'),
                    t('audit.col.details'),
                  ]}
                />
                <tbody>
                  {log.entries.map((e, i) => {
                    const text = actionText(t, e.action);
                    return (
                      <tr
                        key={e.seq !== undefined ? `s${e.seq}` : `${e.at}-${i}`}
                        data-testid="audit-row"
                        data-action={e.action}
                        data-subject={e.subject}
                      >
                        <td className="num mono muted">{e.seq ?? ''}</td>
                        <td className="nowrap">
                          <time dateTime={e.at} title={e.hostAt ? `${e.at} (host: ${e.hostAt})` : e.at}>
                            {formatDateTime(e.at, lng)}
                          </time>
                        </td>
                        <ActorCell e={e} t={t} />
                        <td>
                          {text ? <span className="audit-action">{text}</span> : null}
                          <div className={text ? 'mono muted small' : 'mono'}>{e.action}</div>
                        </td>
                        <td className="mono">{e.subject}</td>
                        <td className="audit-details mono small" title={JSON.stringify(e.details, null, 2)}>
                          {Object.keys(e.details).length > 0
                            ? auditDetailsSummary(e.details)
                            : t('common.none')}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </div>
  );
}
