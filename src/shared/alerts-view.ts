/**
 * How an alert reads to a person, from a host's AlertsView: pending, firing, acknowledged or
 * silenced (a silence or a maintenance window holds its messages now). Pure, shared by the CLI and
 * the renderer. Globs are the agent's: `*` any run of characters, everything else literal.
 */
import type { AlertRecord, AlertsView } from './agent/alerts';
import { globMatch } from './agent/alerts';

export { globMatch };

export type AlertState = 'pending' | 'firing' | 'acknowledged' | 'silenced';

/** The silence or maintenance window holding `rec`'s messages at `now`, if any. */
export function holdOn(
  rec: Pick<AlertRecord, 'ruleId' | 'subjectKey'>,
  view: Pick<AlertsView, 'silences' | 'maintenance'>,
  now: number,
): { kind: 'silence' | 'maintenance'; id: string; until: number } | null {
  for (const s of view.silences)
    if (s.until > now && globMatch(s.rule, rec.ruleId) && globMatch(s.subject, rec.subjectKey))
      return { kind: 'silence', id: s.id, until: s.until };
  for (const w of view.maintenance)
    if (
      w.start <= now &&
      w.end > now &&
      globMatch(w.rule ?? '*', rec.ruleId) &&
      globMatch(w.subject ?? '*', rec.subjectKey)
    )
      return { kind: 'maintenance', id: w.id, until: w.end };
  return null;
}

/** Pending (not fired yet), acknowledged (someone took it), silenced (held now), or firing. */
export function alertState(
  rec: AlertRecord,
  view: Pick<AlertsView, 'silences' | 'maintenance'>,
  now: number,
): AlertState {
  if (rec.phase === 'pending') return 'pending';
  if (rec.ack) return 'acknowledged';
  return holdOn(rec, view, now) ? 'silenced' : 'firing';
}
