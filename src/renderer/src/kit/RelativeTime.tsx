import type { ReactElement } from 'react';
import { formatDateTime, formatRelative } from './format';
import { useLng } from './useLocale';

/** "5 minutes ago" in the UI language, with the full date and time on hover. */
export function RelativeTime({ at, className }: { at: string; className?: string }): ReactElement {
  const lng = useLng();
  return (
    <time className={className} dateTime={at} title={formatDateTime(at, lng)}>
      {formatRelative(at, lng)}
    </time>
  );
}
