import type { ComponentProps, ReactElement, ReactNode } from 'react';

/** What FormField hands its control: the control's id and what describes it. */
export interface FieldAria {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

export interface FormFieldProps {
  /** The control's id; the help under it is `<id>-help`. */
  id: string;
  label: ReactNode;
  help?: ReactNode;
  error?: string | undefined;
  /** Shown (blue) when there is no error. */
  note?: string | undefined;
  /** The id of the error (or note) line; `<id>-msg` unless given. */
  msgId?: string;
  /** The error line's test id is `field-error-<testId>`, the note's `field-note-<testId>`. */
  testId: string;
  className?: string;
  children: (aria: FieldAria) => ReactNode;
}

/** A labelled field with its error (red) or note (blue) and its help under it, all tied by aria. */
export function FormField({
  id,
  label,
  help,
  error,
  note,
  msgId,
  testId,
  className,
  children,
}: FormFieldProps): ReactElement {
  const helpId = help ? `${id}-help` : undefined;
  const shownMsgId = error || note ? (msgId ?? `${id}-msg`) : undefined;
  const describedBy = [shownMsgId, helpId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {error ? (
        <p className="field-error" id={shownMsgId} data-testid={`field-error-${testId}`} role="status">
          {error}
        </p>
      ) : note ? (
        <p className="field-note" id={shownMsgId} data-testid={`field-note-${testId}`} role="status">
          {note}
        </p>
      ) : null}
      {help ? (
        <p className="field-help" id={helpId}>
          {help}
        </p>
      ) : null}
    </div>
  );
}

/** A one-line text input for names, labels and paths: monospace, no autocomplete, no spell check. */
export function CodeInput(props: ComponentProps<'input'>): ReactElement {
  return <input type="text" className="mono" autoComplete="off" spellCheck={false} {...props} />;
}
