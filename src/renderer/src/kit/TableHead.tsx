import type { ReactElement, ReactNode } from 'react';

/** A column header: its label, or its label and a class (`num` right-aligns a number column). */
export type Column = string | { label: ReactNode; className?: string };

/** A data table's header row: one column header per entry, in order. */
export function TableHead({ columns }: { columns: readonly Column[] }): ReactElement {
  return (
    <thead>
      <tr>
        {columns.map((c, i) =>
          typeof c === 'string' ? (
            <th key={i} scope="col">
              {c}
            </th>
          ) : (
            <th key={i} scope="col" className={c.className}>
              {c.label}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}
