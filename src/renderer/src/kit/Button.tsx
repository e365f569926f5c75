import type { ComponentProps, ReactElement } from 'react';

/**
 * A button of the kit's look (`.button`, plus `.button-primary` when `primary`). It is
 * `type="button"` unless the caller says `type="submit"`.
 */
export function Button({
  primary,
  testId,
  className,
  ...rest
}: ComponentProps<'button'> & { primary?: boolean; testId?: string }): ReactElement {
  return (
    <button
      type="button"
      className={`button${primary ? ' button-primary' : ''}${className ? ` ${className}` : ''}`}
      data-testid={testId}
      {...rest}
    />
  );
}
