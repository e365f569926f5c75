import type { ReactElement, ReactNode } from 'react';

export interface FilterBarProps {
  /** Names the ids and test ids: `<prefix>-filter-host`, `<prefix>-filter-text`, `<prefix>-count`. */
  prefix: string;
  hostLabel: string;
  allHostsLabel: string;
  hostNames: readonly string[];
  host: string;
  onHost(host: string): void;
  textLabel: string;
  placeholder: string;
  text: string;
  onText(text: string): void;
  /** ArrowDown in the search box moves to the list's first row, when it has rows. */
  rowCount: number;
  onFirstRow(): void;
  /** How many rows are shown of how many. */
  countText: string;
  /** Further filters, between the search box and the count. */
  children?: ReactNode;
}

/** A list's filter bar: a host picker, a search box and the count of rows shown. */
export function FilterBar(p: FilterBarProps): ReactElement {
  return (
    <div className="card filter-bar" role="search">
      <div className="field">
        <label htmlFor={`${p.prefix}-filter-host`}>{p.hostLabel}</label>
        <select
          id={`${p.prefix}-filter-host`}
          data-testid={`${p.prefix}-filter-host`}
          value={p.host}
          onChange={(e) => p.onHost(e.target.value)}
        >
          <option value="">{p.allHostsLabel}</option>
          {p.hostNames.map((h) => (
            <option key={h} value={h}>
              {h}
            </option>
          ))}
        </select>
      </div>
      <div className="field filter-text">
        <label htmlFor={`${p.prefix}-filter-text`}>{p.textLabel}</label>
        <input
          id={`${p.prefix}-filter-text`}
          type="search"
          data-testid={`${p.prefix}-filter-text`}
          value={p.text}
          placeholder={p.placeholder}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => p.onText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown' && p.rowCount > 0) {
              e.preventDefault();
              p.onFirstRow();
            }
          }}
        />
      </div>
      {p.children}
      <p className="muted filter-count" data-testid={`${p.prefix}-count`} aria-live="polite">
        {p.countText}
      </p>
    </div>
  );
}

/** What a filtered list shows when nothing matches: a line and a button that clears the filter. */
export function NoMatch({
  testId,
  text,
  clearLabel,
  onClear,
}: {
  testId: string;
  text: string;
  clearLabel: string;
  onClear(): void;
}): ReactElement {
  return (
    <section className="card empty-state" data-testid={testId}>
      <p className="empty-body">{text}</p>
      <button type="button" className="button" onClick={onClear}>
        {clearLabel}
      </button>
    </section>
  );
}
