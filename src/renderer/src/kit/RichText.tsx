import type { ReactElement } from 'react';

/** Text from the core, where `backticked` parts are commands or paths: shown as code. */
export function RichText({ text }: { text: string }): ReactElement {
  const parts = text.split(/(`[^`]+`)/g);
  return (
    <>
      {parts.map((part, i) =>
        part.length > 2 && part.startsWith('`') && part.endsWith('`') ? (
          <code key={i} className="inline-code">
            {part.slice(1, -1)}
          </code>
        ) : (
          part
        ),
      )}
    </>
  );
}
