/**
 * A tenant's live logs, as a Dozzle user expects them: its services merged (each its own colour)
 * or one, the last lines then following; search (text or regex, smart case) with highlights and
 * an "only matching" filter; since (live, 10 min, 1 h, 24 h); download of what is shown; `/`
 * focuses the search, End goes to the end, Esc clears the search.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorBox } from '../../kit/ErrorBanner';
import { downloadText } from '../../kit/download';
import { entryAsText, downloadName, serviceColour, formatClock } from './lines';
import { LogList, type LogListHandle, type LogRows } from './LogList';
import { useLogs } from './logsStore';
import { compileQuery, MatchIndex } from './search';

const SINCE = ['', '10m', '1h', '24h'] as const;
type Since = (typeof SINCE)[number];

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return target.isContentEditable || tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}

export function LogPane({
  host,
  slug,
  services: known = [],
}: {
  host: string;
  slug: string;
  /** The tenant's services as its status names them (the follow adds the ones it finds). */
  services?: readonly string[];
}): ReactElement {
  const { t } = useTranslation();
  const [service, setService] = useState<string | null>(null);
  const [since, setSince] = useState<Since>('');
  const [query, setQuery] = useState('');
  const [regex, setRegex] = useState(false);
  const [onlyMatching, setOnlyMatching] = useState(false);
  const [expandedSeq, setExpandedSeq] = useState<number | null>(null);
  const search = useRef<HTMLInputElement>(null);
  const list = useRef<LogListHandle>(null);
  const pane = useRef<HTMLElement>(null);

  const buffer = useLogs((s) => s.buffer);
  const version = useLogs((s) => s.version);
  const phase = useLogs((s) => s.phase);
  /** Scrolled up: the follow goes on, the list holds still. */
  const [paused, setPaused] = useState(false);
  const shownPhase = phase === 'following' && paused ? 'paused' : phase;
  const error = useLogs((s) => s.error);
  const followed = useLogs((s) => s.services);
  const target = useLogs((s) => s.target);

  useEffect(() => {
    void useLogs.getState().start({ host, slug, service, since: since || null });
  }, [host, slug, service, since]);
  useEffect(() => () => void useLogs.getState().stop(), []);

  const services = useMemo(() => [...new Set([...known, ...followed])].sort(), [known, followed]);
  const { re, error: queryError } = useMemo(() => compileQuery(query, regex), [query, regex]);
  const index = useMemo(() => (re ? new MatchIndex(buffer, re) : null), [buffer, re]);
  const rows: LogRows = useMemo(() => {
    index?.update();
    if (index && onlyMatching)
      return { count: index.count, seqAt: (i) => index.seqAt(i), indexOfSeq: (s) => index.indexOfSeq(s) };
    const start = buffer.startSeq;
    return {
      count: buffer.size,
      seqAt: (i) => (i >= 0 && i < buffer.size ? start + i : undefined),
      indexOfSeq: (s) => Math.min(buffer.size, Math.max(0, s - start)),
    };
    // `version` marks new entries in the (mutable) buffer.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [buffer, index, onlyMatching, version]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (document.querySelector('[aria-modal="true"]')) return;
      if (e.key === '/' && !isTyping(e.target)) {
        e.preventDefault();
        search.current?.focus();
        search.current?.select();
      } else if (e.key === 'End' && !isTyping(e.target)) {
        e.preventDefault();
        list.current?.jumpToEnd();
      } else if (e.key === 'Escape' && pane.current?.contains(e.target as Node) && query) {
        e.preventDefault();
        setQuery('');
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [query]);

  const saveShown = (): void => {
    const out: string[] = [];
    for (let i = 0; i < rows.count; i++) {
      const e = buffer.bySeq(rows.seqAt(i)!);
      if (e) out.push(entryAsText(e));
    }
    downloadText(out.join('\n') + '\n', downloadName(slug, service));
  };

  const emptyText =
    phase === 'starting'
      ? t('logs.starting')
      : error
        ? null
        : onlyMatching && re
          ? t('logs.noMatches')
          : t('logs.empty');
  const expanded = expandedSeq === null ? undefined : buffer.bySeq(expandedSeq);
  const matchCount = index?.count ?? 0;

  return (
    <section
      ref={pane}
      className="card logs-card"
      aria-labelledby="tenant-logs-title"
      data-testid="logs-card"
      data-phase={phase}
      data-service={target?.service ?? 'all'}
      data-since={target?.since ?? 'live'}
    >
      <div className="card-header logs-header">
        <h2 id="tenant-logs-title">{t('logs.title')}</h2>
        <span className={`logs-phase logs-phase-${shownPhase}`} data-testid="logs-phase">
          {t(`logs.phase.${shownPhase}`)}
        </span>
      </div>

      <div className="logs-services" role="group" aria-label={t('logs.servicesLabel')}>
        <button
          type="button"
          className="chip log-chip"
          aria-pressed={service === null}
          onClick={() => setService(null)}
          data-testid="logs-service-all"
        >
          {t('logs.allServices')}
        </button>
        {services.map((s) => (
          <button
            key={s}
            type="button"
            className={`chip log-chip log-svc-${serviceColour(s, services)}`}
            aria-pressed={service === s}
            onClick={() => setService(s)}
            data-testid={`logs-service-${s}`}
          >
            <span className="log-chip-dot" aria-hidden="true" />
            {s}
          </button>
        ))}
      </div>

      <div className="logs-toolbar">
        <input
          ref={search}
          type="search"
          className="input logs-search"
          placeholder={t('logs.searchPlaceholder')}
          aria-label={t('logs.search')}
          aria-invalid={queryError ? true : undefined}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="logs-search"
        />
        {(
          [
            ['regex', regex, setRegex, t('logs.regex'), t('logs.regexTitle')],
            ['only-matching', onlyMatching, setOnlyMatching, t('logs.onlyMatching'), undefined],
          ] as const
        ).map(([id, on, set, label, title]) => (
          <label key={id} className="logs-toggle" title={title}>
            <input
              type="checkbox"
              checked={on}
              onChange={(e) => set(e.target.checked)}
              data-testid={`logs-${id}`}
            />
            {label}
          </label>
        ))}
        <span className="muted small logs-match-count" data-testid="logs-match-count" data-count={matchCount}>
          {queryError && query
            ? queryError === 'empty'
              ? t('logs.queryMatchesEmpty')
              : t('logs.queryInvalid', { message: queryError })
            : re
              ? t('logs.matches', { count: matchCount })
              : ''}
        </span>
        <label className="logs-since">
          <span>{t('logs.since')}</span>
          <select
            className="select"
            value={since}
            onChange={(e) => setSince(e.target.value as Since)}
            data-testid="logs-since"
          >
            {SINCE.map((s) => (
              <option key={s} value={s}>
                {t(`logs.sinceOption.${s || 'live'}`)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button"
          onClick={saveShown}
          disabled={!rows.count}
          data-testid="logs-download"
        >
          {t('logs.download')}
        </button>
      </div>

      <p
        className="muted small logs-dropped"
        data-testid="logs-dropped"
        data-count={buffer.dropped}
        hidden={buffer.dropped === 0}
      >
        {t('logs.dropped', { count: buffer.dropped })}
      </p>

      <LogList
        ref={list}
        buffer={buffer}
        rows={rows}
        re={re}
        services={services}
        version={version}
        expandedSeq={expandedSeq}
        empty={rows.count ? null : emptyText}
        onToggle={(seq) => setExpandedSeq((s) => (s === seq ? null : seq))}
        onFollowChange={(on) => setPaused(!on)}
      />

      {error ? (
        <div data-testid="logs-error">
          <ErrorBox error={error} />
        </div>
      ) : null}
      {expanded && !expanded.notice ? (
        <div className="log-detail" data-testid="log-detail">
          <div className="log-detail-head">
            <span className="mono small" title={expanded.t}>
              {formatClock(expanded.t)} · {expanded.service} · {expanded.stream}
            </span>
            <button type="button" className="button button-small" onClick={() => setExpandedSeq(null)}>
              {t('logs.collapse')}
            </button>
          </div>
          <pre className="log-detail-text">{expanded.text}</pre>
        </div>
      ) : null}

      <p className="muted small logs-keys">{t('logs.keys')}</p>
    </section>
  );
}
