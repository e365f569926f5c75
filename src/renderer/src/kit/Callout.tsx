import type { ReactElement, ReactNode } from 'react';
import { WarningIcon } from './Icons';
import { RichText } from './RichText';

export type CalloutTone = 'ok' | 'info' | 'warning' | 'error';

/** A coloured note in the flow of a page (`.callout`), read out politely (`role="status"`). */
export function Callout({
  tone,
  testId,
  className,
  children,
}: {
  tone: CalloutTone;
  testId?: string;
  className?: string;
  children: ReactNode;
}): ReactElement {
  return (
    <div
      className={`callout callout-${tone}${className ? ` ${className}` : ''}`}
      role="status"
      data-testid={testId}
    >
      {children}
    </div>
  );
}

/**
 * One warning for each host a list could not be read from (test id `<testIdPrefix>-<host>`):
 * the text comes from the caller, as each list words it in its own way.
 */
export function UnreachableNotes<T extends { host: string }>({
  hosts,
  testIdPrefix,
  text,
}: {
  hosts: readonly T[];
  testIdPrefix: string;
  text: (u: T) => string;
}): ReactElement {
  return (
    <>
      {hosts.map((u) => (
        <Callout key={u.host} tone="warning" testId={`${testIdPrefix}-${u.host}`}>
          <WarningIcon />
          <p>
            <RichText text={text(u)} />
          </p>
        </Callout>
      ))}
    </>
  );
}
