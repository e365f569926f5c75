import { useEffect, useId, useState } from 'react';
import type { FormEvent, InputHTMLAttributes, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { scheduleDraftFrom } from './backups';
import type { ScheduleDraft, ScheduleErrors } from './backups';
import { useBackups } from './backupsStore';
import { RefreshIcon, WarningIcon } from '../../kit/Icons';
import { useLng } from './BackupBadges';
import { ToneIcon } from '../tenants/TenantBadges';
import { schemaMessage } from '../../i18n';
import { LoadingLine } from '../../kit/States';
import { BusyButton } from '../../kit/DetailParts';

/** Monday first; the contract counts from Sunday = 0. */
const WEEKDAYS = ['1', '2', '3', '4', '5', '6', '0'] as const;
type Weekday = (typeof WEEKDAYS)[number];

/**
 * One field of the schedule form: its label, its input, why it is wrong (`message`, when it is)
 * and a help line; the input is described by both.
 */
function ScheduleField({
  id,
  label,
  message,
  help,
  className,
  input,
}: {
  id: string;
  label: string;
  message: string | null;
  help?: string;
  className?: string;
  input: InputHTMLAttributes<HTMLInputElement> & { 'data-testid': string };
}): ReactElement {
  const invalid = message !== null;
  const describedBy = [invalid ? `${id}-msg` : null, help ? `${id}-help` : null].filter(Boolean).join(' ');
  return (
    <div className={['field', className, invalid ? 'field-invalid' : null].filter(Boolean).join(' ')}>
      <label htmlFor={id}>{label}</label>
      <input id={id} {...input} aria-invalid={invalid} aria-describedby={describedBy || undefined} />
      {invalid ? (
        <p className="field-error" id={`${id}-msg`} role="status">
          {message}
        </p>
      ) : null}
      {help ? (
        <p className="field-help" id={`${id}-help`}>
          {help}
        </p>
      ) : null}
    </div>
  );
}

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
          <ScheduleField
            id={`${id}-at`}
            label={t('schedule.at')}
            message={errors.at ? t('schedule.errors.at') : null}
            input={{
              type: 'text',
              inputMode: 'numeric',
              className: 'mono',
              maxLength: 5,
              placeholder: '03:00',
              'data-testid': `schedule-at-${host}`,
              value: draft.at,
              onChange: (e) => setDraft({ ...draft, at: e.target.value }),
            }}
          />
          <ScheduleField
            id={`${id}-daily`}
            label={t('schedule.daily')}
            message={errors.daily ? t('schedule.errors.daily') : null}
            input={{
              type: 'number',
              min: 1,
              max: 90,
              'data-testid': `schedule-daily-${host}`,
              value: draft.daily,
              onChange: (e) => setDraft({ ...draft, daily: e.target.value }),
            }}
          />
          <ScheduleField
            id={`${id}-weekly`}
            label={t('schedule.weekly')}
            message={errors.weekly ? t('schedule.errors.weekly') : null}
            input={{
              type: 'number',
              min: 0,
              max: 52,
              'data-testid': `schedule-weekly-${host}`,
              value: draft.weekly,
              onChange: (e) => setDraft({ ...draft, weekly: e.target.value }),
            }}
          />
          <ScheduleField
            id={`${id}-dir`}
            className="field-dir"
            label={t('schedule.backupDir')}
            message={errors.backupDir ? schemaMessage(errors.backupDir, lng) : null}
            help={t('schedule.backupDirHelp')}
            input={{
              type: 'text',
              className: 'mono',
              placeholder: '/opt/truffles/backups',
              autoComplete: 'off',
              spellCheck: false,
              'data-testid': `schedule-dir-${host}`,
              value: draft.backupDir,
              onChange: (e) => setDraft({ ...draft, backupDir: e.target.value }),
            }}
          />
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
            <BusyButton
              type="submit"
              busy={saving}
              className={installed ? 'button' : 'button button-primary'}
              disabled={saving}
              data-testid={`schedule-save-${host}`}
              label={installed ? t('schedule.save') : t('schedule.install')}
              busyLabel={t('schedule.saving')}
            />
          </div>
        </form>
      ) : null}
    </section>
  );
}
