import type { ReactElement, ReactNode } from 'react';

/** The help line under a form field (`.field-help`); nothing when there is no text. */
export function FieldHelp({ id, children }: { id?: string; children?: ReactNode }): ReactElement | null {
  if (!children) return null;
  return (
    <p className="field-help" id={id}>
      {children}
    </p>
  );
}

/** A form field's error line (`.field-error`); nothing when there is no error. */
export function FieldError({
  id,
  testId,
  children,
}: {
  id?: string;
  testId?: string;
  children?: ReactNode;
}): ReactElement | null {
  if (!children) return null;
  return (
    <p className="field-error" id={id} data-testid={testId}>
      {children}
    </p>
  );
}
