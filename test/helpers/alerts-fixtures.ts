import type { AlertRecord, AlertsView } from '../../src/shared/agent/alerts';

/** Alert records and views as a host's agent answers them (for the console's tests). */

export const T0 = Date.parse('2026-12-06T10:00:00Z');

export function record(over: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 42,
    key: 'service-down@tenant=acme,service=postgres',
    ruleId: 'service-down',
    kind: 'service-down',
    subject: { tenant: 'acme', service: 'postgres' },
    subjectKey: 'tenant=acme,service=postgres',
    phase: 'firing',
    severity: 'critical',
    pendingSince: T0 - 120_000,
    firingSince: T0,
    clearingSince: null,
    value: null,
    peak: null,
    facts: { health: 'unhealthy' },
    fix: null,
    notifiedSeverity: 'critical',
    lastNotifiedAt: T0,
    repeats: 0,
    ack: null,
    ...over,
  };
}

export function view(over: Partial<AlertsView> = {}): AlertsView {
  return {
    config: { host: 'h1', telegram: [{ chatId: '-1001234567890' }], language: 'ru' },
    telegramToken: true,
    rules: [],
    active: [],
    silences: [],
    maintenance: [],
    history: [],
    delivery: { pending: 0, failures: [], blocked: null, lastSentAt: T0 },
    evaluatedAt: T0,
    problems: [],
    ...over,
  };
}
