/**
 * The fleet-wide list screens (Tenants, Backups): a header with Refresh, the hosts that could not
 * be read, then — once there are hosts and rows — the filter bar and a table whose rows move with
 * the arrow keys. Their words come from the section's own i18n keys (`<ns>.refresh`,
 * `<ns>.noHosts`, `<ns>.count`, …), which both sections name alike.
 */
import { Fragment, useEffect, useRef } from 'react';
import type { HTMLAttributes, KeyboardEvent, ReactElement, ReactNode, RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { navigate } from '../app/navigation';
import type { ErrorScope } from '../app/store';
import { ErrorBanner } from './ErrorBanner';
import { FilterBar, NoMatch } from './FilterBar';
import { WarningIcon } from './Icons';
import { RichText } from './RichText';
import { ScreenHeader } from './ScreenHeader';
import { EmptyState, LoadingLine } from './States';
import { SectionRefresh } from './DetailParts';
import { TableHead } from './TableHead';
import type { Column } from './TableHead';
import { useRowNavigation } from './useRowNavigation';
import { followHash, startVisiblePolling } from './visiblePolling';

/** What one row needs to take part in the keyboard navigation. */
export interface RowNav {
  active: boolean;
  rowRef: (el: HTMLTableRowElement | null) => void;
  onKey: (e: KeyboardEvent<HTMLTableRowElement>) => void;
  onFocus: () => void;
}

/** A list row that opens on a click, Enter or Space, and is the one tab stop while active. */
export function NavRow({
  active,
  rowRef,
  onKey,
  onFocus,
  onOpen,
  children,
  ...attrs
}: RowNav & { onOpen: () => void; children: ReactNode } & HTMLAttributes<HTMLTableRowElement>): ReactElement {
  return (
    <tr
      ref={rowRef}
      tabIndex={active ? 0 : -1}
      {...attrs}
      onClick={onOpen}
      onKeyDown={onKey}
      onFocus={onFocus}
    >
      {children}
    </tr>
  );
}

/**
 * Moving between a section's views (`routeKey` changes): the new view's title takes the focus and
 * the page scrolls to the top; not on the first render. The ref goes on the section's root.
 */
export function useViewFocus(routeKey: string): RefObject<HTMLDivElement | null> {
  const ref = useRef<HTMLDivElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    ref.current?.querySelector<HTMLElement>('.screen-title')?.focus();
    ref.current?.closest('.main')?.scrollTo?.({ top: 0 });
  }, [routeKey]);
  return ref;
}

export interface HostListProps<R extends { host: string }> {
  /** The section's i18n namespace and test id prefix: `tenants`, `backups`. */
  ns: 'tenants' | 'backups';
  /** The filter bar's prefix and the table's test id prefix: `tenant`, `backup`. */
  prefix: string;
  /** The configured hosts (none: the list says to add one). */
  hosts: readonly { name: string }[];
  loaded: boolean;
  /** Every row, and those the filter lets through (in order). */
  all: readonly R[];
  rows: readonly R[];
  rowKey: (row: R) => string;
  renderRow: (row: R, nav: RowNav) => ReactNode;
  onOpen: (row: R) => void;
  refreshing: boolean;
  onRefresh: () => void;
  /** More header actions, after Refresh. */
  actions?: ReactNode;
  /** Banners under the error banner. */
  banners?: ReactNode;
  unreachable: readonly { host: string; message: string }[];
  /** Under the "nothing yet" line. */
  emptyExtra?: ReactNode;
  /** Above the filter bar. */
  summary?: ReactNode;
  filter: { host: string; text: string };
  onFilter: (patch: { host?: string; text?: string }) => void;
  /** Further filters in the bar. */
  filterExtra?: ReactNode;
  onClearFilter: () => void;
  columns: readonly Column[];
  /** The note under the table. */
  note: string;
  /** Whose errors show under the header. */
  errorScope: ErrorScope;
  /** After the list. */
  children?: ReactNode;
}

/** A section's list view. */
export function HostList<R extends { host: string }>(p: HostListProps<R>): ReactElement {
  const { t } = useTranslation();
  const { ns, rows } = p;
  const { activeIndex, setActive, rowRefs, focusRow, onKey } = useRowNavigation(rows.length, (i) => {
    const r = rows[i];
    if (r) p.onOpen(r);
  });
  const navOf = (i: number): RowNav => ({
    active: i === activeIndex,
    rowRef: (el) => {
      rowRefs.current[i] = el;
    },
    onKey: (e) => onKey(e, i),
    onFocus: () => setActive(i),
  });

  return (
    <div className="screen" data-testid={`screen-${ns}`} data-view="list">
      <ScreenHeader title={t(`${ns}.title`)} subtitle={t(`${ns}.subtitle`)}>
        <SectionRefresh ns={ns} busy={p.refreshing} onClick={p.onRefresh} />
        {p.actions}
      </ScreenHeader>

      <ErrorBanner scopes={[p.errorScope]} />
      {p.banners}

      {p.unreachable.map((u) => (
        <div
          key={u.host}
          className="callout callout-warning"
          role="status"
          data-testid={`${ns}-unreachable-${u.host}`}
        >
          <WarningIcon />
          <p>
            <RichText text={t(`${ns}.unreachable`, { host: u.host, message: u.message })} />
          </p>
        </div>
      ))}

      {p.hosts.length === 0 ? (
        <EmptyState testId={`${ns}-no-hosts`} text={t(`${ns}.noHosts`)}>
          <button type="button" className="button button-primary" onClick={() => navigate('hosts')}>
            {t(`${ns}.openHosts`)}
          </button>
        </EmptyState>
      ) : !p.loaded ? (
        <LoadingLine text={t(`${ns}.loading`)} />
      ) : p.all.length === 0 ? (
        <EmptyState testId={`${ns}-empty`} text={t(`${ns}.empty`)}>
          {p.emptyExtra}
        </EmptyState>
      ) : (
        <>
          {p.summary}
          <FilterBar
            prefix={p.prefix}
            hostLabel={t(`${ns}.filterHost`)}
            allHostsLabel={t(`${ns}.allHosts`)}
            hostNames={hostNamesOf(p.hosts, p.all)}
            host={p.filter.host}
            onHost={(host) => p.onFilter({ host })}
            textLabel={t(`${ns}.filterText`)}
            placeholder={t(`${ns}.filterPlaceholder`)}
            text={p.filter.text}
            onText={(text) => p.onFilter({ text })}
            rowCount={rows.length}
            onFirstRow={() => focusRow(0)}
            countText={t(`${ns}.count`, { shown: rows.length, total: p.all.length })}
          >
            {p.filterExtra}
          </FilterBar>
          {rows.length === 0 ? (
            <NoMatch
              testId={`${ns}-no-match`}
              text={t(`${ns}.noMatch`)}
              clearLabel={t(`${ns}.clearFilter`)}
              onClear={p.onClearFilter}
            />
          ) : (
            <div className="card table-card">
              <table
                className={`table ${ns}-table`}
                aria-label={t(`${ns}.listLabel`)}
                data-testid={`${p.prefix}-list`}
              >
                <TableHead columns={p.columns} />
                <tbody>
                  {rows.map((r, i) => (
                    <Fragment key={p.rowKey(r)}>{p.renderRow(r, navOf(i))}</Fragment>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p className="muted small table-note">{p.note}</p>
        </>
      )}
      {p.children}
    </div>
  );
}

/** The host filter's choices: the configured hosts and those the rows are on, sorted. */
export function hostNamesOf(hosts: readonly { name: string }[], rows: readonly { host: string }[]): string[] {
  return [...new Set([...hosts.map((h) => h.name), ...rows.map((x) => x.host)])].sort();
}

/**
 * A list section's address and reads: the view follows the address while it starts with
 * `hashPrefix` (the store's `setRoute` of `fromHash`); the store's `load` runs on opening and
 * every `intervalMs` while the page is visible, quietly once the list is shown.
 */
export function useListSection<
  R,
  K extends string,
  S extends { loaded: boolean; setRoute(route: R): void } & Record<
    K,
    (opts?: { quiet?: boolean }) => Promise<void>
  >,
>(
  store: { getState(): S },
  hashPrefix: string,
  fromHash: (hash: string) => R,
  intervalMs: number,
  load: K,
): void {
  useEffect(
    () => followHash(hashPrefix, (hash) => store.getState().setRoute(fromHash(hash))),
    [store, hashPrefix, fromHash],
  );
  useEffect(
    () =>
      startVisiblePolling(intervalMs, () => {
        const s = store.getState();
        return s[load]({ quiet: s.loaded });
      }),
    [store, intervalMs, load],
  );
}
