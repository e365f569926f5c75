import { useRef, useState, type KeyboardEvent } from 'react';

/**
 * Keyboard navigation of a table's rows (one tab stop, the active row): arrows, Home and End move,
 * Enter or Space opens the row. The Tenants and Backups lists share it.
 */
export function useRowNavigation(
  count: number,
  onOpen: (index: number) => void,
): {
  activeIndex: number;
  setActive: (index: number) => void;
  rowRefs: { current: (HTMLTableRowElement | null)[] };
  focusRow: (index: number) => void;
  onKey: (e: KeyboardEvent<HTMLTableRowElement>, index: number) => void;
} {
  const [active, setActive] = useState(0);
  const rowRefs = useRef<(HTMLTableRowElement | null)[]>([]);
  const activeIndex = Math.min(active, Math.max(0, count - 1));

  function focusRow(i: number): void {
    if (count === 0) return;
    const j = Math.max(0, Math.min(count - 1, i));
    setActive(j);
    rowRefs.current[j]?.focus();
  }

  function onKey(e: KeyboardEvent<HTMLTableRowElement>, i: number): void {
    const moves: Record<string, number> = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: count - 1 };
    const to = moves[e.key];
    if (to !== undefined) {
      e.preventDefault();
      focusRow(to);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onOpen(i);
    }
  }

  return { activeIndex, setActive, rowRefs, focusRow, onKey };
}
