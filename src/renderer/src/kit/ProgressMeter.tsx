import type { ReactElement, ReactNode } from 'react';
import { formatNumber } from './format';
import { useLng } from './useLocale';

/**
 * The head line of a long operation (`children`, then the big "42 %") and its 0–100 % bar,
 * coloured by `state` (`progress-running`, `-succeeded`, `-failed`). Test ids: `<testIdPrefix>-percent`
 * and `<testIdPrefix>-bar`. The styles are in features/tenants/create.css.
 */
export function ProgressMeter({
  percent,
  state,
  label,
  testIdPrefix,
  children,
}: {
  percent: number;
  state: string;
  label: string;
  testIdPrefix: string;
  children: ReactNode;
}): ReactElement {
  const lng = useLng();
  return (
    <>
      <div className="progress-meta">
        {children}
        <span className="progress-percent" data-testid={`${testIdPrefix}-percent`}>
          {formatNumber(percent, lng, 0)}
          {'\u00a0%'}
        </span>
      </div>
      <div
        className={`progress progress-${state}`}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-label={label}
        data-testid={`${testIdPrefix}-bar`}
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
    </>
  );
}
