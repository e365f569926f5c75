import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { HostStatus } from '../../../shared/contract';
import { StatusIcon } from './Icons';

/** A status shown with colour, an icon and a word — never colour alone. */
export function StatusBadge({ status, testId }: { status: HostStatus; testId?: string }): ReactElement {
  const { t } = useTranslation();
  return (
    <span className={`badge badge-${status}`} data-testid={testId} data-status={status}>
      <StatusIcon status={status} />
      <span className="badge-text">{t(`status.${status}`)}</span>
    </span>
  );
}
