import type { ButtonHTMLAttributes, ReactElement, Ref } from 'react';

export type ButtonTone = 'normal' | 'primary' | 'danger' | 'danger-outline' | 'warning' | 'icon';

export interface ButtonProps extends Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'className' | 'type'> {
  /** `button-<tone>` after `button` (and `button-small`); `normal` adds nothing. */
  tone?: ButtonTone;
  small?: boolean;
  /** A form's submit button (else `type="button"`). */
  submit?: boolean;
  /** Sets `aria-busy` when given. */
  busy?: boolean;
  testId?: string;
  buttonRef?: Ref<HTMLButtonElement>;
}

/** The app's `.button`: `<Button tone="primary" testId="…" onClick={…}>Save</Button>`. */
export function Button({
  tone = 'normal',
  small = false,
  submit = false,
  busy,
  testId,
  buttonRef,
  children,
  ...rest
}: ButtonProps): ReactElement {
  const className = `button${small ? ' button-small' : ''}${tone === 'normal' ? '' : ` button-${tone}`}`;
  return (
    <button
      type={submit ? 'submit' : 'button'}
      ref={buttonRef}
      className={className}
      aria-busy={busy}
      data-testid={testId}
      {...rest}
    >
      {children}
    </button>
  );
}
