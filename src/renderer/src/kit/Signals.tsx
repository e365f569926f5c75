import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { Signal } from './format';
import { GlyphIcon } from './Icons';

function SignalIcon({ signal }: { signal: Signal }): ReactElement | null {
  return signal === 'na' ? null : <GlyphIcon name={signal} />;
}

/** One at-a-glance signal (reachable, key, Docker): icon, colour and word, with the value in words. */
export function SignalChip({
  kind,
  signal,
  testId,
  detail,
}: {
  kind: 'reachable' | 'key' | 'docker';
  signal: Signal;
  testId?: string;
  detail?: string | null;
}): ReactElement {
  const { t } = useTranslation();
  const value = t(`hosts.signal.${signal}`);
  const title = `${t(`hosts.signal.${kind}Title`, { value })}${detail ? ` (${detail})` : ''}`;
  return (
    <span className={`signal signal-${signal}`} data-testid={testId} data-state={signal} title={title}>
      <SignalIcon signal={signal} />
      <span className="signal-label">{t(`hosts.signal.${kind}`)}</span>
      <span className="visually-hidden">: {value}</span>
    </span>
  );
}
