/** Alert records and host views for the renderer's alerts tests. */
import type { AlertRecord, AlertsView } from '../../src/shared/agent/alerts';
import { subjectKeyOf } from '../../src/renderer/src/features/alerts/alerts';

export const NOW = Date.parse('2026-12-06T12:00:00Z');
export const MIN = 60_000;

export function rec(over: Partial<AlertRecord> = {}): AlertRecord {
  const ruleId = over.ruleId ?? over.kind ?? 'service-down';
  const subject = over.subject ?? { tenant: 'acme', service: 'postgres' };
  const subjectKey = subjectKeyOf(subject);
  return {
    id: 1,
    key: `${ruleId}@${subjectKey}`,
    ruleId,
    kind: 'service-down',
    subject,
    subjectKey,
    phase: 'firing',
    severity: 'critical',
    pendingSince: NOW - 30 * MIN,
    firingSince: NOW - 28 * MIN,
    clearingSince: null,
    value: null,
    peak: null,
    facts: { state: 'exited', health: 'none', output: null },
    fix: null,
    notifiedSeverity: 'critical',
    lastNotifiedAt: NOW - 28 * MIN,
    repeats: 0,
    ack: null,
    ...over,
  };
}

export function view(over: Partial<AlertsView> = {}): AlertsView {
  return {
    config: null,
    telegramToken: false,
    rules: [],
    active: [],
    silences: [],
    maintenance: [],
    history: [],
    delivery: { pending: 0, failures: [], blocked: null, lastSentAt: null },
    evaluatedAt: NOW - MIN,
    problems: [],
    ...over,
  };
}
