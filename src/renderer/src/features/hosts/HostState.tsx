import type { MouseEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { HostCheck, HostStatus, HostView } from '../../../../shared/contract';
import { KeyIcon, LockIcon } from '../../kit/Icons';
import { Button } from '../../kit/Button';
import { effectiveStatus, keyAction, labelChips, newerCheck } from '../../kit/format';
import { useConsole } from '../../app/store';

/** True while the console store's work `key` runs (`busy[key]`). */
export function useBusy(key: string): boolean {
  return useConsole((s) => Boolean(s.busy[key]));
}

export interface HostState {
  /** The newest check: the one this session ran, or the one the inventory remembers. */
  check: HostCheck | null;
  status: HostStatus;
  /** What the operator must do about the host key, if anything (SSH hosts only). */
  action: ReturnType<typeof keyAction>;
  chips: string[];
  checking: boolean;
  readingKey: boolean;
}

/** What the host table's row and the details panel both show of one host. */
export function useHostState(host: HostView): HostState {
  const check = useConsole((s) => newerCheck(s.checks[host.name], host.lastCheck));
  const live = useConsole((s) => s.liveStatus[host.name]);
  const checking = useBusy(`check:${host.name}`);
  const readingKey = useBusy(`keyProbe:${host.name}`);
  const status = effectiveStatus(host, check ?? undefined, live);
  return {
    check,
    status,
    action: host.kind === 'ssh' ? keyAction(status) : null,
    chips: labelChips(host.labels),
    checking,
    readingKey,
  };
}

/**
 * "Review the key" (a changed key, red) or "Confirm the key" (an unconfirmed one, amber). In the
 * host table it carries an icon and says which it is in `data-action`.
 */
export function KeyActionButton({
  action,
  readingKey,
  testId,
  inRow = false,
  onClick,
}: {
  action: 'review' | 'confirm';
  readingKey: boolean;
  testId: string;
  inRow?: boolean;
  onClick: (e: MouseEvent<HTMLButtonElement>) => void;
}): ReactElement {
  const { t } = useTranslation();
  return (
    <Button
      tone={action === 'review' ? 'danger' : 'warning'}
      small
      testId={testId}
      data-action={inRow ? action : undefined}
      disabled={readingKey}
      busy={readingKey}
      aria-haspopup="dialog"
      onClick={onClick}
    >
      {inRow ? action === 'review' ? <LockIcon /> : <KeyIcon /> : null}
      {readingKey
        ? t('hosts.readingKey')
        : action === 'review'
          ? t('hosts.reviewKey')
          : t('hosts.confirmKey')}
    </Button>
  );
}
