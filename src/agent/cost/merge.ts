/**
 * The host's cost view made of its tenants' parts: days, models and stages summed, tenants
 * listed, conversation sketches mixed (kept apart per tenant until here).
 */
import {
  addUsage,
  dec,
  mergeBy,
  mergeReplies,
  mixSketches,
  str,
  type HostCostPart,
  type Rate,
} from '../../shared/cost/view';

/** Tenants' parts as the host's: days, models and stages summed, tenants listed, sketches kept apart. */
export function mergeTenants(
  parts: readonly HostCostPart[],
  errors: HostCostPart['errors'],
  version: string,
  rates: readonly Rate[],
): HostCostPart {
  const days = new Map<string, HostCostPart['days'][number]>();
  for (const p of parts)
    for (const d of p.days) {
      const had = days.get(d.day);
      days.set(d.day, had ? { ...had, ...addUsage(had, d), live: had.live || d.live } : { ...d });
    }
  const sketches = parts.map((p) => p.conversations.sketch).filter((s) => s.count > 0);
  const over = parts.map((p) => p.conversations.overTarget);
  return {
    host: '',
    priceVersion: version,
    rates: {
      missing: [...new Set(parts.flatMap((p) => p.rates.missing))].sort(),
      latest: rates[rates.length - 1] ?? null,
    },
    days: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
    models: [
      ...mergeBy(
        parts.flatMap((p) => p.models),
        (m) => `${m.provider}/${m.model}`,
      ).values(),
    ],
    stages: [
      ...mergeBy(
        parts.flatMap((p) => p.stages),
        (s) => s.stage,
      ).values(),
    ],
    tenants: parts.flatMap((p) => p.tenants),
    conversations: {
      sketch: mixSketches(sketches),
      overTarget: over.some((o) => o === null) ? null : over.reduce<number>((s, o) => s + (o ?? 0), 0),
      top: parts
        .flatMap((p) => p.conversations.top)
        .sort((a, b) => dec(b.usd).comparedTo(a.usd))
        .slice(0, 10),
    },
    router: {
      replies: mergeReplies(parts),
      savingUsd: str(parts.reduce((s, p) => s.plus(p.router.savingUsd), dec(0))),
      allComplexUsd: str(parts.reduce((s, p) => s.plus(p.router.allComplexUsd), dec(0))),
    },
    errors,
  };
}
