import type { ReactElement } from 'react';
import { formatDateTime, formatRelative } from './format';
import { useLng } from './useLocale';

/** A moment shown as "5 minutes ago", with the full date and time as its tooltip. */
export function RelativeTime({ at, className }: { at: string; className?: string }): ReactElement {
  const lng = useLng();
  return (
    <time className={className} dateTime={at} title={formatDateTime(at, lng)}>
      {formatRelative(at, lng)}
    </time>
  );
}
