import { alertsSlice } from '../../../shared/contract';
import { defineFeature } from '../feature';
import type { FeatureContext } from '../features';

/** Alerts: each host's agent fires them and sends them; the console reads and changes them. */
export const alertsFeature = defineFeature(alertsSlice, ({ alerts }: FeatureContext) => ({
  'alerts.list': (i) => alerts.list(i.host, i.limit),
  'alerts.ack': (i) => alerts.ack(i.host, i.ref, i.note),
  'alerts.silence': (i) => alerts.silence(i),
  'alerts.maintenance': (i) => alerts.maintenance(i),
  'alerts.unhold': (i) => alerts.unhold(i.host, i.id),
  'alerts.configure': (i) => alerts.configure(i),
  'alerts.test': (i) => alerts.test(i.host),
}));
