import { useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { HostFacts, HostView } from '../../../../shared/contract';
import { ConfirmDialog } from '../../kit/ConfirmDialog';
import { ErrorBanner, ErrorBox } from '../../kit/ErrorBanner';
import { ErrorIcon, KeyIcon, LockIcon, WarningIcon } from '../../kit/Icons';
import { RichText } from '../../kit/RichText';
import { StatusBadge } from '../../kit/StatusBadge';
import {
  diskLevel,
  formatBytes,
  formatDateTime,
  formatNumber,
  formatUptime,
  jumpChainText,
  percent,
} from '../../kit/format';
import { useConsole } from '../../app/store';
import { useUnits } from '../../kit/useLocale';
import { TableHead } from '../../kit/TableHead';
import { Fact } from '../../kit/Fact';
import { useFields } from '../../kit/useFields';
import { Button } from '../../kit/Button';
import { RelativeTime } from '../../kit/RelativeTime';
import { KeyActionButton, useBusy, useHostState } from './HostState';
import { HostHealthPanel, UsageBar } from '../health';

/** Docker or Compose: its version and `extra`, or "not installed" in red. */
function ToolFact({
  label,
  tool,
  version,
  children,
}: {
  label: string;
  tool: 'docker' | 'compose';
  version: string | undefined;
  children: ReactNode;
}): ReactElement {
  const { t } = useTranslation();
  return (
    <Fact label={label}>
      {version !== undefined ? (
        <>
          <span className="mono" data-testid={`fact-${tool}-version`}>
            {version}
          </span>{' '}
          {children}
        </>
      ) : (
        <span className="text-error" data-testid={`fact-${tool}-version`} data-missing="true">
          {t('details.notInstalled')}
        </span>
      )}
    </Fact>
  );
}

function Facts({ facts }: { facts: HostFacts }): ReactElement {
  const { t, i18n } = useTranslation();
  const lng = i18n.language === 'ru' ? 'ru' : 'en';
  const units = useUnits();
  const memUsed = Math.max(0, facts.memoryBytes - facts.memoryAvailableBytes);
  const memPct = percent(memUsed, facts.memoryBytes);
  const osText =
    facts.os.version && !facts.os.name.includes(facts.os.version)
      ? `${facts.os.name} ${facts.os.version}`
      : facts.os.name;
  return (
    <>
      <h3>{t('details.facts')}</h3>
      <dl className="facts">
        <Fact label={t('details.os')} testId="fact-os">
          {osText || facts.os.id}
        </Fact>
        <Fact label={t('details.kernel')} testId="fact-kernel">
          <span className="mono">{facts.kernel}</span>
        </Fact>
        <Fact label={t('details.arch')} testId="fact-arch">
          {facts.arch}
        </Fact>
        <Fact label={t('details.cpus')} testId="fact-cpus">
          {facts.cpus}
        </Fact>
        <Fact label={t('details.memory')} testId="fact-memory">
          {t('details.memoryValue', {
            used: formatBytes(memUsed, lng, units),
            total: formatBytes(facts.memoryBytes, lng, units),
          })}{' '}
          <span className="muted">
            ({formatNumber(memPct, lng, 0)}
            {'\u00a0'}%)
          </span>
        </Fact>
        <Fact label={t('details.load')} testId="fact-load">
          <span className="mono">{facts.load.map((l) => formatNumber(l, lng, 2)).join(' / ')}</span>
        </Fact>
        <Fact label={t('details.uptime')} testId="fact-uptime">
          {formatUptime(facts.uptimeSeconds, units)}
        </Fact>
        <ToolFact label={t('details.docker')} tool="docker" version={facts.docker?.version}>
          <span className="muted" data-testid="fact-docker-api">
            {t('details.dockerApi', { version: facts.docker?.apiVersion })}
          </span>
        </ToolFact>
        <ToolFact label={t('details.compose')} tool="compose" version={facts.compose?.version}>
          <span
            className={facts.compose?.v2 ? 'tag tag-ok' : 'tag tag-warning'}
            data-testid="fact-compose-v2"
            data-v2={facts.compose?.v2}
          >
            {facts.compose?.v2 ? t('details.composeV2') : t('details.composeLegacy')}
          </span>
        </ToolFact>
      </dl>
      {facts.disks.length > 0 ? (
        <>
          <h3>{t('details.disks')}</h3>
          <table className="table disks" data-testid="fact-disks">
            <TableHead columns={[t('details.mount'), t('details.filesystem'), t('details.usage')]} />
            <tbody>
              {facts.disks.map((d) => {
                const pct = percent(d.usedBytes, d.sizeBytes);
                const level = diskLevel(pct);
                return (
                  <tr key={`${d.mount}-${d.filesystem}`} data-testid={`disk-${d.mount}`} data-level={level}>
                    <td className="mono">{d.mount}</td>
                    <td className="mono muted">{d.filesystem}</td>
                    <td>
                      <div className="disk-usage">
                        <UsageBar pct={pct} tone={level} label={d.mount} />
                        <span className={`disk-text disk-${level}`}>
                          {level !== 'ok' ? level === 'error' ? <ErrorIcon /> : <WarningIcon /> : null}
                          {formatNumber(pct, lng, 0)}
                          {'\u00a0'}% ·{' '}
                          {t('details.diskValue', {
                            used: formatBytes(d.usedBytes, lng, units),
                            size: formatBytes(d.sizeBytes, lng, units),
                          })}
                        </span>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      ) : null}
    </>
  );
}

const DETAIL_ACTIONS = ['checkHost', 'forgetHost', 'reviewKey'] as const;

export function HostDetails({ host }: { host: HostView }): ReactElement {
  const { t, i18n } = useTranslation();
  const lng = i18n.language === 'ru' ? 'ru' : 'en';
  const { check, status, action, chips, checking, readingKey } = useHostState(host);
  const forgetting = useBusy(`forget:${host.name}`);
  const { checkHost, forgetHost, reviewKey } = useFields(useConsole, DETAIL_ACTIONS);
  const [confirmForget, setConfirmForget] = useState(false);
  const problems = check?.problems ?? [];

  return (
    <section
      className="card details"
      data-testid="host-details"
      aria-labelledby="details-title"
      data-host={host.name}
    >
      <header className="details-header">
        <div>
          <h2 id="details-title">
            {host.name} <StatusBadge status={status} testId="details-status" />
          </h2>
          <p className="muted mono">
            {host.kind === 'local' ? t('hosts.thisMachine') : `${host.user}@${host.address}:${host.port}`}
          </p>
        </div>
        <div className="details-actions">
          <Button
            tone="primary"
            testId="host-check"
            onClick={() => void checkHost(host.name)}
            disabled={checking}
            busy={checking}
          >
            {checking ? <span className="spinner" aria-hidden="true" /> : null}
            {checking ? t('details.checking') : t('details.check')}
          </Button>
          {host.kind === 'ssh' && host.fingerprint && !action ? (
            <Button
              testId="host-repin"
              onClick={() => void reviewKey(host.name, 'repin')}
              disabled={readingKey}
              busy={readingKey}
              aria-haspopup="dialog"
            >
              <KeyIcon />
              {readingKey ? t('hosts.readingKey') : t('details.repin')}
            </Button>
          ) : null}
          <Button
            tone="danger-outline"
            testId="host-forget"
            onClick={() => setConfirmForget(true)}
            disabled={forgetting}
          >
            {t('details.forget')}
          </Button>
        </div>
      </header>

      <ErrorBanner scopes={['details']} />

      {action ? (
        <div
          className={action === 'review' ? 'callout callout-error' : 'callout callout-warning'}
          role={action === 'review' ? 'alert' : 'status'}
          data-testid="details-key-callout"
        >
          {action === 'review' ? <LockIcon /> : <KeyIcon />}
          <p>{action === 'review' ? t('details.keyChangedNote') : t('details.keyUnconfirmedNote')}</p>
          <KeyActionButton
            action={action}
            readingKey={readingKey}
            testId="details-key-action"
            onClick={() => void reviewKey(host.name)}
          />
        </div>
      ) : null}

      <dl className="facts facts-summary">
        <Fact label={t('details.kind')}>{t(`kind.${host.kind}`)}</Fact>
        <Fact label={t('details.lastChecked')} testId="fact-last-checked">
          {check ? <RelativeTime at={check.checkedAt} /> : t('details.never')}
        </Fact>
        <Fact label={t('details.latency')} testId="fact-latency">
          {check?.latencyMs != null
            ? t('hosts.ms', { value: formatNumber(check.latencyMs, lng, 0) })
            : t('common.none')}
        </Fact>
        <Fact label={t('details.auth')}>{t(`auth.${host.authKind}`)}</Fact>
        <Fact label={t('details.fingerprint')} testId="fact-fingerprint" wide>
          {host.fingerprint ? (
            <>
              <code className="fingerprint">{host.fingerprint}</code>
              {host.keyAlgorithm ? <span className="muted"> · {host.keyAlgorithm}</span> : null}
            </>
          ) : host.kind === 'ssh' ? (
            <span className="text-warning">{t('details.noPinnedKey')}</span>
          ) : (
            t('details.noFingerprint')
          )}
        </Fact>
        {host.kind === 'ssh' ? (
          <Fact label={t('details.jump')} testId="fact-jump">
            {host.jump.length > 0 ? (
              <span className="mono">
                {jumpChainText(host.jump)} → {host.name}
              </span>
            ) : (
              <span className="muted">{t('details.direct')}</span>
            )}
          </Fact>
        ) : null}
        <Fact label={t('details.labels')} testId="fact-labels">
          {chips.length > 0 ? (
            <span className="chips">
              {chips.map((c) => (
                <span key={c} className="chip">
                  {c}
                </span>
              ))}
            </span>
          ) : (
            <span className="muted">{t('details.noLabels')}</span>
          )}
        </Fact>
        <Fact label={t('details.baseDomain')} testId="fact-base-domain">
          {host.baseDomain ? (
            <span className="mono">{host.baseDomain}</span>
          ) : (
            <span className="muted">{t('details.notSet')}</span>
          )}
        </Fact>
        <Fact label={t('details.registryMirror')} testId="fact-registry-mirror">
          {host.registryMirror ? (
            <span className="mono">{host.registryMirror}</span>
          ) : (
            <span className="muted">{t('details.notSet')}</span>
          )}
        </Fact>
      </dl>

      {/* An unconfirmed key is explained (with its button) above: no red "check failed" for it. */}
      {check?.error && !(action === 'confirm' && check.error.code === 'hostkey.unpinned') ? (
        <div className="check-error" data-testid="check-error">
          <h3>{t('details.checkFailed')}</h3>
          <ErrorBox error={check.error} />
        </div>
      ) : null}

      {check && (check.facts || problems.length > 0) ? (
        <section className="problems" aria-labelledby="problems-title">
          <h3 id="problems-title">{t('details.problems')}</h3>
          <div data-testid="host-problems" data-count={problems.length}>
            {problems.length === 0 ? (
              <p className="muted">{t('details.noProblems')}</p>
            ) : (
              <ul className="problem-list">
                {problems.map((p) => (
                  <li
                    key={p.code}
                    className={`problem problem-${p.severity}`}
                    data-code={p.code}
                    data-severity={p.severity}
                  >
                    <span className={`tag tag-${p.severity}`}>
                      {p.severity === 'error' ? <ErrorIcon /> : <WarningIcon />}
                      {t(`details.severity.${p.severity}`)}
                    </span>
                    <div>
                      <p className="problem-message">
                        <RichText text={p.message} />
                      </p>
                      <p className="problem-fix">
                        <span className="muted">{t('details.fix')}:</span> <RichText text={p.fix} />
                      </p>
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </div>
        </section>
      ) : null}

      {check?.facts ? (
        <Facts facts={check.facts} />
      ) : (
        <p className="muted no-facts">{t('details.noFacts')}</p>
      )}

      <HostHealthPanel key={host.name} host={host.name} />

      <p className="muted small">
        {t('details.added')}: <time dateTime={host.addedAt}>{formatDateTime(host.addedAt, lng)}</time>
      </p>

      {confirmForget ? (
        <ConfirmDialog
          testId="forget-dialog"
          tone="danger"
          title={t('details.forgetTitle', { name: host.name })}
          body={<p>{t('details.forgetBody', { name: host.name })}</p>}
          confirmLabel={t('details.forgetConfirm', { name: host.name })}
          busyLabel={t('details.forgetting')}
          busy={forgetting}
          onCancel={() => setConfirmForget(false)}
          onConfirm={() => {
            void forgetHost(host.name).then(() => setConfirmForget(false));
          }}
        />
      ) : null}
    </section>
  );
}
