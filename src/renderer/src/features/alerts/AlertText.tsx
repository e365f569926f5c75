/** An alert in words: its subject, its line, its fix (sentence and commands), times and durations. */
import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { AlertRecord, AlertSubject } from '../../../../shared/agent/alerts';
import { schemaMessage } from '../../i18n';
import { formatDateTime, formatNumber, formatRelative } from '../../kit/format';
import { useLng } from '../../kit/useLocale';
import { formatDuration } from './alerts';
import type { DurationUnits } from './alerts';
import { describe, fixText } from './fixes';
import type { Formatters } from './fixes';
import type { FieldErrors } from './forms';

/** Ticks every `ms` so ages and durations move on while a screen stays open. */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Numbers, days, moments and durations in the UI language. */
export function useAlertFormat(): Formatters & {
  when(ms: number): string;
  ago(ms: number, now?: number): string;
  duration(ms: number): string;
} {
  const { t } = useTranslation();
  const lng = useLng();
  const units: DurationUnits = {
    d: t('alerts.units.d'),
    h: t('alerts.units.h'),
    min: t('alerts.units.min'),
    s: t('alerts.units.s'),
  };
  return {
    num: (n) => formatNumber(n, lng),
    date: (ms) =>
      new Intl.DateTimeFormat(lng === 'ru' ? 'ru-RU' : 'en-GB', { dateStyle: 'medium' }).format(ms),
    when: (ms) => formatDateTime(iso(ms), lng),
    ago: (ms, now) => formatRelative(iso(ms), lng, now),
    duration: (ms) => formatDuration(ms, units),
  };
}

/** A moment as "5 minutes ago", the full date and time in its tooltip. */
export function Moment({ at, now }: { at: number; now?: number }): ReactElement {
  const f = useAlertFormat();
  return (
    <time dateTime={iso(at)} title={f.when(at)}>
      {f.ago(at, now)}
    </time>
  );
}

const SUBJECT_PARTS = ['tenant', 'service', 'mount', 'cert'] as const;

/** "tenant acme · service postgres", "disk /data", or "the host". */
export function SubjectText({ subject }: { subject: AlertSubject }): ReactElement {
  const { t } = useTranslation();
  const parts = SUBJECT_PARTS.filter((p) => subject[p]);
  if (parts.length === 0) return <span className="muted">{t('alerts.subject.host')}</span>;
  return (
    <span className="alert-subject">
      {parts.map((p) => (
        <span key={p} className="alert-subject-part">
          <span className="muted">{t(`alerts.subject.${p}`)}</span> <span className="mono">{subject[p]}</span>
        </span>
      ))}
    </span>
  );
}

/** The line about a live alert (from its facts). */
export function WhatLine({ record }: { record: AlertRecord }): ReactElement {
  const { t } = useTranslation();
  const f = useAlertFormat();
  const w = describe(record, f);
  return <span className="alert-what">{t(`alerts.what.${w.key}`, w.values)}</span>;
}

/** Copies a command; says so for a moment. */
function CopyButton({ text, testId }: { text: string; testId: string }): ReactElement {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="button button-small alert-copy"
      data-testid={testId}
      onClick={(e) => {
        e.stopPropagation();
        void navigator.clipboard?.writeText(text).then(
          () => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          },
          () => undefined,
        );
      }}
    >
      {copied ? t('alerts.copied') : t('alerts.copy')}
    </button>
  );
}

/** What to do about an alert: a sentence and the commands, each with Copy. */
export function FixBlock({
  record,
  host,
  testId,
}: {
  record: Pick<AlertRecord, 'fix' | 'facts' | 'subject'>;
  host: string;
  testId: string;
}): ReactElement | null {
  const { t } = useTranslation();
  const fix = fixText(record, host);
  if (!fix) return null;
  return (
    <div className="alert-fix" data-testid={testId} data-fix={record.fix ?? ''}>
      <p className="alert-fix-text">
        <span className="alert-fix-label">{t('alerts.fixLabel')}:</span>{' '}
        {t(`alerts.fix.${fix.key}`, fix.values)}
      </p>
      {fix.commands.map((c, i) => (
        <div key={i} className="alert-fix-command">
          <code className="mono">{c}</code>
          <CopyButton text={c} testId={`${testId}-copy-${i}`} />
        </div>
      ))}
    </div>
  );
}

/** A field's problem in the UI language. */
export function useProblem(errors: FieldErrors): (field: string) => string | undefined {
  const { t } = useTranslation();
  const lng = useLng();
  return (field) => {
    const p = errors[field];
    if (!p) return undefined;
    if ('schema' in p) return schemaMessage(p.schema, lng);
    switch (p.own) {
      case 'chatEmpty':
        return t('alerts.settings.chatEmpty');
      case 'threadInvalid':
        return t('alerts.settings.threadInvalid');
      case 'minutesInvalid':
        return t('alerts.silence.minutesInvalid');
      case 'globEmpty':
        return t('alerts.silence.globEmpty');
      case 'startInvalid':
        return t('alerts.maintenance.startInvalid');
    }
  };
}
