/**
 * The virtualised list of the log pane: fixed-height rows, only those in view (and a few around)
 * rendered. It follows the end while scrolled to the bottom; scrolled up, it stays where it is
 * (even as old lines are dropped from the front) and offers a "N new lines" button back to the end.
 */
import { forwardRef, useImperativeHandle, useLayoutEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { LogBuffer, LogEntry } from './buffer';
import { formatClock, parseMoment, serviceColour } from './lines';
import { splitMatches } from './search';

/** Each row's height in pixels (the stylesheet's `.log-row` height). */
export const ROW_HEIGHT = 20;
const OVERSCAN = 20;

/** The rows shown: every entry held, or only the matching ones. */
export interface LogRows {
  count: number;
  seqAt(i: number): number | undefined;
  /** The row of the first entry at or after `seq` (= count when none). */
  indexOfSeq(seq: number): number;
}

export interface LogListHandle {
  jumpToEnd(): void;
}

function Highlighted({ text, re }: { text: string; re: RegExp | null }): ReactElement {
  if (!re) return <>{text}</>;
  return <>{splitMatches(text, re).map((p, i) => (p.match ? <mark key={i}>{p.text}</mark> : p.text))}</>;
}

function Row({
  entry,
  re,
  services,
  expanded,
  onToggle,
}: {
  entry: LogEntry;
  re: RegExp | null;
  services: readonly string[];
  expanded: boolean;
  onToggle: (seq: number) => void;
}): ReactElement {
  const { t } = useTranslation();
  const moment = parseMoment(entry.t);
  const title = moment ? `${entry.t} · ${moment.toLocaleString()}` : entry.t;
  if (entry.notice) {
    return (
      <div
        className={`log-row log-notice log-notice-${entry.notice}`}
        data-testid="log-notice"
        data-notice={entry.notice}
      >
        <time className="log-time" dateTime={entry.t} title={title}>
          {formatClock(entry.t)}
        </time>
        <span className="log-text">{t(`logs.notice.${entry.notice}`, { text: entry.text })}</span>
      </div>
    );
  }
  return (
    <div
      className={`log-row log-level-${entry.level}${entry.stream === 'stderr' ? ' log-stderr' : ''}${expanded ? ' log-expanded' : ''}`}
      data-testid="log-row"
      data-seq={entry.seq}
      data-service={entry.service}
      data-level={entry.level}
      data-stream={entry.stream}
      onClick={() => onToggle(entry.seq)}
    >
      <time className="log-time" dateTime={entry.t} title={title}>
        {formatClock(entry.t)}
      </time>
      <span className={`log-service log-svc-${serviceColour(entry.service, services)}`} title={entry.service}>
        {entry.service}
      </span>
      <span className="log-stream" title={t('logs.stderrTitle')}>
        {entry.stream === 'stderr' ? t('logs.stderr') : ''}
      </span>
      <span className="log-text">
        <Highlighted text={entry.text} re={re} />
      </span>
    </div>
  );
}

export const LogList = forwardRef<
  LogListHandle,
  {
    buffer: LogBuffer;
    rows: LogRows;
    re: RegExp | null;
    services: readonly string[];
    version: number;
    expandedSeq: number | null;
    /** What to say over the list while it has no rows. */
    empty: string | null;
    onToggle: (seq: number) => void;
    /** Told when the list stops following the end (scrolled up) or follows it again. */
    onFollowChange?: (following: boolean) => void;
  }
>(function LogList(
  { buffer, rows, re, services, version, expandedSeq, empty, onToggle, onFollowChange },
  ref,
): ReactElement {
  const { t } = useTranslation();
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(400);
  const [following, setFollowing] = useState(true);
  /** The first entry that arrived after following stopped. */
  const [pausedAt, setPausedAt] = useState<number | null>(null);
  const followingRef = useRef(true);
  /** Where the view stands while paused: the top row's entry, and how far into it. */
  const [anchor, setAnchor] = useState<{ seq: number; offset: number } | null>(null);

  const setFollow = (on: boolean): void => {
    if (on !== followingRef.current) onFollowChange?.(on);
    followingRef.current = on;
    setFollowing(on);
    setPausedAt(on ? null : buffer.endSeq);
  };

  const jumpToEnd = (): void => {
    const el = scroller.current;
    setFollow(true);
    setAnchor(null);
    if (el) el.scrollTop = el.scrollHeight;
  };
  useImperativeHandle(ref, () => ({ jumpToEnd }));

  const onScroll = (): void => {
    const el = scroller.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    setViewHeight(el.clientHeight);
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT / 2;
    if (atBottom !== followingRef.current) setFollow(atBottom);
    const i = Math.floor(el.scrollTop / ROW_HEIGHT);
    const seq = atBottom ? undefined : rows.seqAt(i);
    setAnchor(seq === undefined ? null : { seq, offset: el.scrollTop - i * ROW_HEIGHT });
  };

  // A new buffer (the follow restarted): follow its end.
  const [seenBuffer, setSeenBuffer] = useState(buffer);
  if (seenBuffer !== buffer) {
    setSeenBuffer(buffer);
    setFollowing(true);
    setPausedAt(null);
    setAnchor(null);
  }
  useLayoutEffect(() => {
    followingRef.current = following;
  }, [following]);

  const total = rows.count * ROW_HEIGHT;
  const end = Math.max(0, total - viewHeight);
  // Paused: the anchored entry stays at the top even as older ones are dropped from the front.
  const anchored = anchor ? Math.min(end, rows.indexOfSeq(anchor.seq) * ROW_HEIGHT + anchor.offset) : null;
  const top = following ? end : (anchored ?? scrollTop);

  // After new entries: to the end while following; otherwise keep the same entry at the top.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (el.clientHeight !== viewHeight) setViewHeight(el.clientHeight);
    if (followingRef.current) {
      el.scrollTop = el.scrollHeight;
      return;
    }
    if (anchored !== null && Math.abs(el.scrollTop - anchored) > 1) el.scrollTop = anchored;
  }, [version, rows, viewHeight, anchored]);

  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.count, Math.ceil((top + viewHeight) / ROW_HEIGHT) + OVERSCAN);
  const shown: LogEntry[] = [];
  for (let i = first; i < last; i++) {
    const seq = rows.seqAt(i);
    const e = seq === undefined ? undefined : buffer.bySeq(seq);
    if (e) shown.push(e);
  }
  const fresh = pausedAt === null ? 0 : rows.count - rows.indexOfSeq(pausedAt);

  return (
    <div className="log-list-wrap">
      <div
        ref={scroller}
        className="log-list"
        role="log"
        aria-label={t('logs.listLabel')}
        aria-live="off"
        tabIndex={0}
        onScroll={onScroll}
        data-testid="logs-list"
        data-count={rows.count}
        data-following={following}
      >
        <div className="log-spacer" style={{ height: total }}>
          <div className="log-window" style={{ transform: `translateY(${first * ROW_HEIGHT}px)` }}>
            {shown.map((e) => (
              <Row
                key={e.seq}
                entry={e}
                re={re}
                services={services}
                expanded={e.seq === expandedSeq}
                onToggle={onToggle}
              />
            ))}
          </div>
        </div>
      </div>
      {empty ? (
        <p className="muted small logs-empty" data-testid="logs-empty">
          {empty}
        </p>
      ) : null}
      {!following ? (
        <button
          type="button"
          className="log-new-lines"
          onClick={jumpToEnd}
          data-testid="logs-new-lines"
          data-count={fresh}
        >
          {fresh > 0 ? t('logs.newLines', { count: fresh }) : t('logs.toEnd')}
        </button>
      ) : null}
    </div>
  );
});
