/** The health views' shared parts: condition badges, numbers, disk bars, the agent's buttons, the feed. */
import { useEffect } from 'react';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { GlyphIcon } from '../../kit/Icons';
import { Button } from '../../kit/Button';
import type { Column } from '../../kit/TableHead';
import { formatBytes, formatNumber } from '../../kit/format';
import { useLng, useUnits } from '../../kit/useLocale';
import type { ErrorScope } from '../../app/store';
import type { DiskUsage } from '../../../../shared/agent/protocol';
import { conditionTone, diskTone, mergePoints, percentOf } from './health';
import type { ChartPoint, Condition, Tone } from './health';
import { historyKey, liveKey, useHealth } from './healthStore';
import type { Range } from './healthStore';

/** A condition with colour, icon and word. */
export function ConditionBadge({
  condition,
  testId,
  label,
}: {
  condition: Condition;
  testId?: string;
  /** Instead of the condition's own word. */
  label?: string;
}): ReactElement {
  const { t } = useTranslation();
  const tone = conditionTone(condition);
  return (
    <span
      className={`tag tag-${tone} health-badge`}
      data-testid={testId}
      data-condition={condition}
      data-tone={tone}
    >
      <GlyphIcon name={tone} />
      {label ?? t(`health.condition.${condition}`)}
    </span>
  );
}

/** Numbers in the UI language: percentages and sizes. */
export function useHealthFormat(): {
  pct: (v: number | null) => string;
  bytes: (v: number | null) => string;
  num: (v: number) => string;
} {
  const lng = useLng();
  const units = useUnits();
  return {
    pct: (v) => (v === null || !Number.isFinite(v) ? '—' : `${formatNumber(v, lng, v < 10 ? 1 : 0)}\u00a0%`),
    bytes: (v) => (v === null ? '—' : formatBytes(v, lng, units)),
    num: (v) => formatNumber(v, lng, 2),
  };
}

/** A share used as a bar (a meter for screen readers) in the tone's colour. */
export function UsageBar({ pct, tone, label }: { pct: number; tone: Tone; label: string }): ReactElement {
  return (
    <div
      className={`bar bar-${tone}`}
      role="meter"
      aria-label={label}
      aria-valuenow={Math.round(pct)}
      aria-valuemin={0}
      aria-valuemax={100}
    >
      <div className="bar-fill" style={{ width: `${pct.toFixed(1)}%` }} />
    </div>
  );
}

/** A disk's share used, amber from 85 % and red from 95 % (with an icon then). */
export function DiskPercent({ pct }: { pct: number }): ReactElement {
  const f = useHealthFormat();
  const tone = diskTone(pct);
  return (
    <span className={`health-disk-pct disk-${tone}`} data-tone={tone}>
      {tone !== 'ok' ? <GlyphIcon name={tone} /> : null}
      {f.pct(pct)}
    </span>
  );
}

/** Disks as bars with the share used: amber from 85 %, red from 95 %. */
export function DiskBars({ disks, testId }: { disks: readonly DiskUsage[]; testId: string }): ReactElement {
  const { t } = useTranslation();
  const f = useHealthFormat();
  if (disks.length === 0) return <p className="muted small">{t('health.host.noDisks')}</p>;
  return (
    <ul className="health-disks" data-testid={testId}>
      {disks.map((d) => {
        const pct = percentOf(d.usedBytes, d.totalBytes);
        const tone = diskTone(pct);
        return (
          <li key={d.mount} className="health-disk" data-testid={`health-disk-${d.mount}`} data-tone={tone}>
            <span className="mono health-disk-mount">{d.mount}</span>
            <UsageBar pct={pct} tone={tone} label={d.mount} />
            <span className="health-disk-text">
              <DiskPercent pct={pct} /> ·{' '}
              {t('health.host.diskValue', { used: f.bytes(d.usedBytes), size: f.bytes(d.totalBytes) })}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/** Install or update a host's agent, with its busy state. */
export function AgentButton({
  host,
  update,
  scope,
  testId,
}: {
  host: string;
  update: boolean;
  scope: ErrorScope;
  testId: string;
}): ReactElement {
  const { t } = useTranslation();
  const busy = useHealth((s) => Boolean(s.busy[`${update ? 'update' : 'install'}:${host}`]));
  const installAgent = useHealth((s) => s.installAgent);
  const label = update
    ? busy
      ? t('health.agent.updating')
      : t('health.agent.update')
    : busy
      ? t('health.agent.installing')
      : t('health.agent.install');
  return (
    <Button
      small
      tone={update ? 'normal' : 'primary'}
      testId={testId}
      busy={busy}
      disabled={busy}
      onClick={(e) => {
        e.stopPropagation();
        void installAgent(host, update, scope);
      }}
    >
      {busy ? <span className="spinner" aria-hidden="true" /> : null}
      {label}
    </Button>
  );
}

/** A table's columns from the i18n keys under `prefix`: words first, then right-aligned numbers. */
export function columnsOf(
  t: (key: never) => string,
  prefix: 'health.fleet.col' | 'health.tenant.col',
  words: readonly string[],
  numbers: readonly string[],
): Column[] {
  const word = t as unknown as (key: string) => string;
  return [
    ...words.map((w) => word(`${prefix}.${w}`)),
    ...numbers.map((n) => ({ label: word(`${prefix}.${n}`), className: 'num' })),
  ];
}

/** Keep the live feed while the calling view is shown. */
export function useHealthFeed(): void {
  useEffect(() => useHealth.getState().follow(), []);
}

/** A series' points (history read on first use and on a new range, then the live samples). */
export function useSeries(
  host: string,
  range: Range,
  container?: string,
): {
  points: ChartPoint[];
  error: string | null;
} {
  const key = historyKey(host, range, container);
  const entry = useHealth((s) => s.history[key]);
  const live = useHealth((s) => s.live[liveKey(host, container)]);
  useEffect(() => {
    void useHealth.getState().loadHistory(host, range, container);
  }, [host, range, container]);
  return { points: mergePoints(entry?.points ?? [], live ?? [], range), error: entry?.error ?? null };
}
