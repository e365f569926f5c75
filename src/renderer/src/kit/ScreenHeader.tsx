import type { ReactElement, ReactNode } from 'react';

/** A screen's title (focused after navigation, so screen readers announce it) and its actions. */
export function ScreenHeader({
  title,
  subtitle,
  children,
}: {
  title: string;
  subtitle?: string;
  children?: ReactNode;
}): ReactElement {
  return (
    <header className="screen-header">
      <div>
        <h1 tabIndex={-1} className="screen-title">
          {title}
        </h1>
        {subtitle ? <p className="screen-subtitle">{subtitle}</p> : null}
      </div>
      {children ? <div className="screen-actions">{children}</div> : null}
    </header>
  );
}
