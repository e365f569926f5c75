import type { ReactElement } from 'react';

/** "← Back to …": a real link to a list (`href`) that the app follows itself (`onOpen`). */
export function BackLink({
  href,
  testId,
  label,
  onOpen,
}: {
  href: string;
  testId: string;
  label: string;
  onOpen: () => void;
}): ReactElement {
  return (
    <a
      href={href}
      className="back-link"
      data-testid={testId}
      onClick={(e) => {
        e.preventDefault();
        onOpen();
      }}
    >
      ← {label}
    </a>
  );
}
