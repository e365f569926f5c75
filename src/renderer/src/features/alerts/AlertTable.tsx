/**
 * The alerts table: one row per alert across every host (worst first; the history newest first),
 * moving with the arrow keys; Enter or a click opens a row's details (its key, values, messages
 * and fix). Each live row has Acknowledge and Silence; a history row says how long it lasted and
 * why it ended. Security findings show their fix under the row without opening it.
 */
import { Fragment, useState } from 'react';
import type { KeyboardEvent, ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { AlertKind } from '../../../../shared/agent/alerts';
import { Button } from '../../kit/Button';
import { TableHead } from '../../kit/TableHead';
import { useRowNavigation } from '../../kit/useRowNavigation';
import { rowDuration, rowTestKey } from './alerts';
import type { AlertRow } from './alerts';
import { SeverityBadge, StateBadge } from './AlertBadges';
import { FixBlock, Moment, SubjectText, WhatLine, useAlertFormat } from './AlertText';

/** Kinds whose fix is shown in the row, not only in the details: the host's security posture. */
const FIX_IN_ROW: ReadonlySet<AlertKind> = new Set(['firewall', 'fail2ban', 'ssh-password']);

export type RowAction = { kind: 'ack' | 'silence'; row: AlertRow };

interface RowNav {
  active: boolean;
  rowRef: (el: HTMLTableRowElement | null) => void;
  onKey: (e: KeyboardEvent<HTMLTableRowElement>) => void;
  onFocus: () => void;
}

function RowState({ row, testKey }: { row: AlertRow; testKey: string }): ReactElement {
  const { t } = useTranslation();
  const f = useAlertFormat();
  return (
    <div className="alert-state-cell">
      <StateBadge state={row.state} />
      {row.state === 'resolved' && row.reason ? (
        <span className="muted small">{t(`alerts.reason.${row.reason}`)}</span>
      ) : null}
      {row.hold ? (
        <span className="muted small" data-testid={`alert-held-${testKey}`} data-by={row.hold.by}>
          {t(`alerts.heldBy.${row.hold.by}`, { until: f.when(row.hold.until) })}
        </span>
      ) : null}
      {row.ack ? (
        <span className="small alert-ackby" data-testid={`alert-ackby-${testKey}`}>
          {t('alerts.ackBy', { by: row.ack.by })} · <Moment at={row.ack.at} />
          {row.ack.note ? (
            <span className="alert-ack-note">{t('alerts.quoted', { text: row.ack.note })}</span>
          ) : null}
        </span>
      ) : null}
    </div>
  );
}

function Details({
  row,
  testKey,
  colSpan,
}: {
  row: AlertRow;
  testKey: string;
  colSpan: number;
}): ReactElement {
  const { t } = useTranslation();
  const f = useAlertFormat();
  const rec = row.record;
  return (
    <tr className="alert-details-row" data-testid={`alert-details-${testKey}`}>
      <td colSpan={colSpan}>
        <dl className="facts alert-facts">
          <div className="fact">
            <dt>{t('alerts.key')}</dt>
            <dd className="mono">{row.key}</dd>
          </div>
          {rec && rec.value !== null ? (
            <div className="fact">
              <dt>{t('alerts.value')}</dt>
              <dd>{f.num(rec.value)}</dd>
            </div>
          ) : null}
          {row.peak !== null ? (
            <div className="fact">
              <dt>{t('alerts.peak')}</dt>
              <dd>{f.num(row.peak)}</dd>
            </div>
          ) : null}
          {rec ? (
            <div className="fact">
              <dt>{t('alerts.notified')}</dt>
              <dd>
                {rec.lastNotifiedAt !== null ? <Moment at={rec.lastNotifiedAt} /> : t('alerts.notNotified')}
                {rec.repeats > 0 ? ` · ${t('alerts.repeats')}: ${rec.repeats}` : ''}
              </dd>
            </div>
          ) : null}
          {row.resolvedAt !== null ? (
            <div className="fact">
              <dt>{t('alerts.state.resolved')}</dt>
              <dd>{f.when(row.resolvedAt)}</dd>
            </div>
          ) : null}
        </dl>
        {rec?.phase === 'pending' ? <p className="muted small">{t('alerts.pendingNote')}</p> : null}
        {!row.notified && rec?.phase !== 'pending' ? (
          <p className="muted small" data-testid={`alert-not-sent-${testKey}`}>
            {t('alerts.notSent')}
          </p>
        ) : null}
        {rec ? <FixBlock record={rec} host={row.host} testId={`alert-fix-${testKey}`} /> : null}
      </td>
    </tr>
  );
}

/** A security finding's fix, always shown under its row (the details show it when open). */
function FixRow({
  row,
  testKey,
  colSpan,
}: {
  row: AlertRow;
  testKey: string;
  colSpan: number;
}): ReactElement | null {
  if (!row.record?.fix) return null;
  return (
    <tr className={`alert-fix-row alert-row-${row.mark}`}>
      <td colSpan={colSpan}>
        <FixBlock record={row.record} host={row.host} testId={`alert-fix-${testKey}`} />
      </td>
    </tr>
  );
}

function Row({
  row,
  nav: { active, rowRef, onKey, onFocus },
  open,
  onToggle,
  onAction,
  now,
  busy,
}: {
  row: AlertRow;
  nav: RowNav;
  open: boolean;
  onToggle: () => void;
  onAction: (a: RowAction) => void;
  now: number;
  busy: boolean;
}): ReactElement {
  const { t } = useTranslation();
  const f = useAlertFormat();
  const key = rowTestKey(row);
  const live = row.state !== 'resolved';
  const labels = { id: row.id, host: row.host };
  return (
    <tr
      ref={rowRef}
      tabIndex={active ? 0 : -1}
      className={`alert-row alert-row-${row.mark} alert-row-${row.state}`}
      data-testid={`alert-row-${key}`}
      data-host={row.host}
      data-id={row.id}
      data-kind={row.kind}
      data-severity={row.mark}
      data-state={row.state}
      aria-expanded={open}
      aria-label={t('alerts.detailsOf', labels)}
      onClick={onToggle}
      onFocus={onFocus}
      onKeyDown={(e) => {
        if (e.target === e.currentTarget) onKey(e);
      }}
    >
      <td className="nowrap">
        <SeverityBadge mark={row.mark} testId={`alert-severity-${key}`} />
      </td>
      <td className="nowrap">{row.host}</td>
      <th scope="row" className="alert-rule">
        <span className="alert-kind">{t(`alerts.kind.${row.kind}`)}</span>{' '}
        <span className="muted small mono">{t('alerts.id', { id: row.id })}</span>
        {row.record ? <WhatLine record={row.record} /> : null}
      </th>
      <td>
        <SubjectText subject={row.subject} />
      </td>
      <td className="nowrap">
        <Moment at={row.since} now={now} />
      </td>
      <td className="nowrap num" data-testid={`alert-duration-${key}`}>
        {f.duration(rowDuration(row, now))}
      </td>
      <td>
        <RowState row={row} testKey={key} />
      </td>
      <td className="alert-actions">
        {live ? (
          <div className="alert-action-buttons" data-write="">
            {row.ack === null && row.record?.phase === 'firing' ? (
              <Button
                small
                testId={`alert-ack-${key}`}
                aria-label={t('alerts.ack.buttonLabel', labels)}
                disabled={busy}
                onClick={(e) => {
                  e.stopPropagation();
                  onAction({ kind: 'ack', row });
                }}
              >
                {t('alerts.ack.button')}
              </Button>
            ) : null}
            <Button
              small
              testId={`alert-silence-${key}`}
              aria-label={t('alerts.silence.buttonLabel', labels)}
              onClick={(e) => {
                e.stopPropagation();
                onAction({ kind: 'silence', row });
              }}
            >
              {t('alerts.silence.button')}
            </Button>
          </div>
        ) : null}
      </td>
    </tr>
  );
}

/** The table's keyboard navigation and which rows are open; the screen holds it (its filter moves into the rows). */
export function useAlertTable(rows: readonly AlertRow[]): {
  nav: ReturnType<typeof useRowNavigation>;
  opened: ReadonlySet<string>;
  toggle: (r: AlertRow) => void;
} {
  const [opened, setOpened] = useState<ReadonlySet<string>>(new Set());
  const toggle = (r: AlertRow): void =>
    setOpened((s) => {
      const next = new Set(s);
      if (next.has(openKey(r))) next.delete(openKey(r));
      else next.add(openKey(r));
      return next;
    });
  const nav = useRowNavigation(rows.length, (i) => {
    const r = rows[i];
    if (r) toggle(r);
  });
  return { nav, opened, toggle };
}

function openKey(r: AlertRow): string {
  return `${r.state === 'resolved' ? 'h' : 'l'}:${r.host}:${r.id}`;
}

/** The table of the rows shown; `onAction` opens the Acknowledge or Silence dialog. */
export function AlertTable({
  rows,
  history,
  now,
  busy,
  onAction,
  table,
}: {
  rows: readonly AlertRow[];
  history: boolean;
  now: number;
  busy: Record<string, boolean>;
  onAction: (a: RowAction) => void;
  table: ReturnType<typeof useAlertTable>;
}): ReactElement {
  const { t } = useTranslation();
  const { nav, opened, toggle } = table;
  const columns = [
    t('alerts.col.severity'),
    t('alerts.col.host'),
    t('alerts.col.rule'),
    t('alerts.col.subject'),
    history ? t('alerts.col.fired') : t('alerts.col.since'),
    { label: t('alerts.col.duration'), className: 'num' },
    t('alerts.col.state'),
    { label: <span className="visually-hidden">{t('alerts.col.actions')}</span> },
  ];
  return (
    <div className="card table-card">
      <table className="table alerts-table" aria-label={t('alerts.listLabel')} data-testid="alerts-list">
        <TableHead columns={columns} />
        <tbody>
          {rows.map((r, i) => {
            const open = opened.has(openKey(r));
            return (
              <Fragment key={openKey(r)}>
                <Row
                  row={r}
                  open={open}
                  now={now}
                  busy={Boolean(busy[`ack:${r.host}:${r.id}`])}
                  onToggle={() => toggle(r)}
                  onAction={onAction}
                  nav={{
                    active: i === nav.activeIndex,
                    rowRef: (el) => {
                      nav.rowRefs.current[i] = el;
                    },
                    onKey: (e) => nav.onKey(e, i),
                    onFocus: () => nav.setActive(i),
                  }}
                />
                {open ? (
                  <Details row={r} testKey={rowTestKey(r)} colSpan={columns.length} />
                ) : FIX_IN_ROW.has(r.kind) ? (
                  <FixRow row={r} testKey={rowTestKey(r)} colSpan={columns.length} />
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
