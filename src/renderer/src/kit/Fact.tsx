import type { HTMLAttributes, ReactElement, ReactNode } from 'react';

/** Extra attributes of a fact's value (`<dd>`): a class, `data-*` marks. */
export type FactValueProps = HTMLAttributes<HTMLElement> & { [data: `data-${string}`]: string | undefined };

/** One `label: value` pair of a `<dl className="facts">`; `wide` spans the whole row. */
export function Fact({
  label,
  testId,
  wide,
  value,
  children,
}: {
  label: string;
  testId?: string;
  wide?: boolean;
  value?: FactValueProps;
  children: ReactNode;
}): ReactElement {
  return (
    <div className={wide ? 'fact fact-wide' : 'fact'}>
      <dt>{label}</dt>
      <dd data-testid={testId} {...value}>
        {children}
      </dd>
    </div>
  );
}
