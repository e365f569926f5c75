import type { ReactElement, ReactNode } from 'react';
import type { ScreenName } from '../features/routes';
import { hrefFor, navigate } from './navigation';

/** A real link to a section (`#/hosts`) that moves there without reloading. */
export function SectionLink({ screen, children }: { screen: ScreenName; children: ReactNode }): ReactElement {
  return (
    <a
      href={hrefFor(screen)}
      className="link"
      onClick={(e) => {
        e.preventDefault();
        navigate(screen);
      }}
    >
      {children}
    </a>
  );
}
