import { useEffect, useId, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { scheduleDraftFrom } from './backups';
import type { ScheduleDraft, ScheduleErrors } from './backups';
import { useBackups } from './backupsStore';
import { RefreshIcon, WarningIcon } from '../../kit/Icons';
import { useLng } from './BackupBadges';
import { ToneIcon } from '../tenants/TenantBadges';
import { schemaMessage } from '../../i18n';
import { LoadingLine } from '../../kit/States';

/** Monday first; the contract counts from Sunday = 0. */
const WEEKDAYS = ['1', '2', '3', '4', '5', '6', '0'] as const;
type Weekday = (typeof WEEKDAYS)[number];

/**
 * One host's backup schedule: whether the agent is installed and how (systemd, cron), the time,
 * retention, offsite copy, tools missing on the host (amber); a form to install or change it.
 */
export function SchedulePanel({ host, usable }: { host: string; usable: boolean }): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const id = useId();
  const entry = useBackups((s) => s.schedules[host]);
  const error = useBackups((s) => s.scheduleErrors[host] ?? null);
  const loadSchedule = useBackups((s) => s.loadSchedule);
  const saveSchedule = useBackups((s) => s.saveSchedule);
  const reading = useBackups((s) => Boolean(s.busy[`scheduleInfo:${host}`]));
  const saving = useBackups((s) => Boolean(s.busy[`schedule:${host}`]));
  const schedule = entry?.schedule ?? null;
  const [draft, setDraft] = useState<ScheduleDraft>(() => scheduleDraftFrom(schedule));
  const [errors, setErrors] = useState<ScheduleErrors>({});
  const [seenAt, setSeenAt] = useState<string | null>(entry?.at ?? null);

  useEffect(() => {
    if (usable) void loadSchedule(host, { quiet: true });
  }, [host, usable, loadSchedule]);

  // A schedule read (or saved) anew fills the form again.
  if (entry && entry.at !== seenAt) {
    setSeenAt(entry.at);
    setDraft(scheduleDraftFrom(entry.schedule));
    setErrors({});
  }

  async function onSubmit(e: FormEvent<HTMLFormElement>): Promise<void> {
    e.preventDefault();
    const wrong = await saveSchedule(host, draft);
    setErrors(wrong ?? {});
  }

  const installed = schedule?.installed ?? false;
  const tone = !schedule ? 'unknown' : installed && schedule.missing.length === 0 ? 'ok' : 'warning';

  return (
    <section
      className={`card schedule-card schedule-${tone}`}
      aria-labelledby={`${id}-title`}
      data-testid={`schedule-${host}`}
      data-installed={schedule ? String(installed) : undefined}
    >
      <div className="card-header">
        <h3 id={`${id}-title`} className="schedule-host">
          {host}
        </h3>
        {usable ? (
          <button
            type="button"
            className="icon-button"
            onClick={() => void loadSchedule(host)}
            disabled={reading}
            aria-label={t('schedule.reread')}
            title={t('schedule.reread')}
            data-testid={`schedule-reread-${host}`}
          >
            <RefreshIcon className={reading ? 'icon-spin' : undefined} />
          </button>
        ) : null}
      </div>
      {!usable ? (
        <p className="muted">{t('schedule.keyUnconfirmed')}</p>
      ) : !schedule ? (
        error ? (
          <p className="text-error small" data-testid={`schedule-error-${host}`}>
            {t('schedule.unreadable', { message: error.message })}
          </p>
        ) : (
          <LoadingLine text={t('schedule.loading')} />
        )
      ) : (
        <>
          <p
            className={installed ? 'schedule-state' : 'schedule-state text-warning'}
            data-testid={`schedule-via-${host}`}
            data-via={schedule.via}
          >
            <span className={`badge badge-${installed ? 'ok' : 'warning'}`}>
              <ToneIcon tone={installed ? 'ok' : 'warning'} />
              <span className="badge-text">{t(`schedule.via.${schedule.via}`)}</span>
            </span>{' '}
            {installed
              ? t('schedule.installed', {
                  via: t(`schedule.via.${schedule.via}`),
                  version: schedule.agentVersion ?? '?',
                })
              : t('schedule.notInstalled')}
          </p>
          {schedule.missing.length > 0 ? (
            <div className="callout callout-warning" role="status" data-testid={`schedule-missing-${host}`}>
              <WarningIcon />
              <p>{t('schedule.missing', { tools: schedule.missing.join(', ') })}</p>
            </div>
          ) : null}
          <dl className="facts schedule-facts">
            <div className="fact">
              <dt>{t('schedule.backupDir')}</dt>
              <dd className="mono small">{schedule.backupDir}</dd>
            </div>
            <div className="fact">
              <dt>{t('schedule.retention')}</dt>
              <dd data-testid={`schedule-retention-${host}`}>
                {t('schedule.retentionValue', {
                  daily: schedule.retention.daily,
                  weekly: schedule.retention.weekly,
                })}
              </dd>
            </div>
            <div className="fact">
              <dt>{t('schedule.drillWeekday')}</dt>
              <dd data-testid={`schedule-drill-day-${host}`}>
                {schedule.drillWeekday === null
                  ? t('schedule.drillNone')
                  : t(`schedule.weekdays.${String(schedule.drillWeekday) as Weekday}`)}
              </dd>
            </div>
            <div className="fact">
              <dt>{t('schedule.offsite')}</dt>
              <dd>
                {schedule.offsite
                  ? t('schedule.offsiteValue', {
                      target: schedule.offsite.target,
                      keep: schedule.offsite.keep,
                    })
                  : t('schedule.offsiteNone')}
                {schedule.offsite && !schedule.offsite.fingerprint ? (
                  <span className="badge badge-error" data-testid={`schedule-offsite-unpinned-${host}`}>
                    {t('schedule.offsiteUnpinned')}
                  </span>
                ) : null}
              </dd>
            </div>
            <div className="fact">
              <dt>{t('schedule.recipients')}</dt>
              <dd data-testid={`schedule-recipients-${host}`}>
                {schedule.recipients?.length ? (
                  <ul className="recipient-list">
                    {schedule.recipients.map((r) => (
                      <li
                        key={r.recipient}
                        className="mono small"
                        title={r.addedBy ? `${r.addedBy} ${r.addedAt}` : undefined}
                      >
                        {r.recipient.slice(0, 16)}…{r.label ? ` ${r.label}` : ''}
                      </li>
                    ))}
                  </ul>
                ) : (
                  t('schedule.recipientsNone')
                )}
              </dd>
            </div>
          </dl>
        </>
      )}
      {usable && (schedule || error) ? (
        <form className="schedule-form" onSubmit={(e) => void onSubmit(e)} noValidate>
          <div className={`field${errors.at ? ' field-invalid' : ''}`}>
            <label htmlFor={`${id}-at`}>{t('schedule.at')}</label>
            <input
              id={`${id}-at`}
              type="text"
              inputMode="numeric"
              className="mono"
              data-testid={`schedule-at-${host}`}
              value={draft.at}
              maxLength={5}
              placeholder="03:00"
              aria-invalid={Boolean(errors.at)}
              aria-describedby={errors.at ? `${id}-at-msg` : undefined}
              onChange={(e) => setDraft({ ...draft, at: e.target.value })}
            />
            {errors.at ? (
              <p className="field-error" id={`${id}-at-msg`} role="status">
                {t('schedule.errors.at')}
              </p>
            ) : null}
          </div>
          <div className={`field${errors.daily ? ' field-invalid' : ''}`}>
            <label htmlFor={`${id}-daily`}>{t('schedule.daily')}</label>
            <input
              id={`${id}-daily`}
              type="number"
              min={1}
              max={90}
              data-testid={`schedule-daily-${host}`}
              value={draft.daily}
              aria-invalid={Boolean(errors.daily)}
              aria-describedby={errors.daily ? `${id}-daily-msg` : undefined}
              onChange={(e) => setDraft({ ...draft, daily: e.target.value })}
            />
            {errors.daily ? (
              <p className="field-error" id={`${id}-daily-msg`} role="status">
                {t('schedule.errors.daily')}
              </p>
            ) : null}
          </div>
          <div className={`field${errors.weekly ? ' field-invalid' : ''}`}>
            <label htmlFor={`${id}-weekly`}>{t('schedule.weekly')}</label>
            <input
              id={`${id}-weekly`}
              type="number"
              min={0}
              max={52}
              data-testid={`schedule-weekly-${host}`}
              value={draft.weekly}
              aria-invalid={Boolean(errors.weekly)}
              aria-describedby={errors.weekly ? `${id}-weekly-msg` : undefined}
              onChange={(e) => setDraft({ ...draft, weekly: e.target.value })}
            />
            {errors.weekly ? (
              <p className="field-error" id={`${id}-weekly-msg`} role="status">
                {t('schedule.errors.weekly')}
              </p>
            ) : null}
          </div>
          <div className={`field field-dir${errors.backupDir ? ' field-invalid' : ''}`}>
            <label htmlFor={`${id}-dir`}>{t('schedule.backupDir')}</label>
            <input
              id={`${id}-dir`}
              type="text"
              className="mono"
              data-testid={`schedule-dir-${host}`}
              value={draft.backupDir}
              placeholder="/opt/truffles/backups"
              autoComplete="off"
              spellCheck={false}
              aria-invalid={Boolean(errors.backupDir)}
              aria-describedby={`${errors.backupDir ? `${id}-dir-msg ` : ''}${id}-dir-help`}
              onChange={(e) => setDraft({ ...draft, backupDir: e.target.value })}
            />
            {errors.backupDir ? (
              <p className="field-error" id={`${id}-dir-msg`} role="status">
                {schemaMessage(errors.backupDir, lng)}
              </p>
            ) : null}
            <p className="field-help" id={`${id}-dir-help`}>
              {t('schedule.backupDirHelp')}
            </p>
          </div>
          <div className="field field-drill">
            <label htmlFor={`${id}-drill`}>{t('schedule.drillWeekday')}</label>
            <select
              id={`${id}-drill`}
              data-testid={`schedule-drill-${host}`}
              value={draft.drillWeekday}
              aria-describedby={`${id}-drill-help`}
              onChange={(e) => setDraft({ ...draft, drillWeekday: e.target.value })}
            >
              <option value="none">{t('schedule.drillNone')}</option>
              {WEEKDAYS.map((d) => (
                <option key={d} value={d}>
                  {t(`schedule.weekdays.${d}`)}
                </option>
              ))}
            </select>
            <p className="field-help" id={`${id}-drill-help`}>
              {t('schedule.drillHelp')}
            </p>
          </div>
          <div className="schedule-actions">
            <button
              type="submit"
              className={installed ? 'button' : 'button button-primary'}
              disabled={saving}
              aria-busy={saving}
              data-testid={`schedule-save-${host}`}
            >
              {saving ? <span className="spinner" aria-hidden="true" /> : null}
              {saving ? t('schedule.saving') : installed ? t('schedule.save') : t('schedule.install')}
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
