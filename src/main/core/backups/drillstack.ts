import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { DRILL_PREFIX } from '../../../shared/contract';
import type { ImageKey } from '../tenants/catalog';
import { DATA_SERVICES } from '../tenants/compose';

/**
 * A drill's throw-away stack is named `drill--` + 12 hex digits: a tenant slug can never hold "--"
 * (SlugSchema), so no real tenant — nor a real `drill-…` tenant — ever shares its name, compose
 * project, volumes or networks.
 */
export function drillName(): string {
  return `${DRILL_PREFIX}${randomBytes(6).toString('hex')}`;
}
export const DRILL_NAME = /^drill--[0-9a-f]{12}$/;

/** Where a drill's stack lives on its host: outside tenants/, so it is never listed, backed up or routed. */
export function drillsDir(stateDir: string): string {
  return posix.join(stateDir, 'drills');
}

/**
 * The compose file of a drill's stack, made from the backup's own: only the data services
 * (PostgreSQL, Qdrant, Redis), on the host's current images, with no Traefik label, not on
 * web_gateway and without the tenant label — nothing routes to it and nothing takes it for a tenant.
 */
export function drillCompose(
  backupCompose: string,
  name: string,
  images: Partial<Record<ImageKey, string>>,
): string {
  const doc = (parseYaml(backupCompose) ?? {}) as {
    name?: string;
    services?: Record<string, Record<string, unknown>>;
    networks?: Record<string, unknown>;
    volumes?: Record<string, unknown>;
  };
  const services = doc.services ?? {};
  for (const [svc, def] of Object.entries(services)) {
    if (!DATA_SERVICES.includes(svc)) {
      delete services[svc];
      continue;
    }
    const image = images[svc as ImageKey];
    if (image) def.image = image;
    const labels: Record<string, string> = {};
    const raw = def.labels;
    const entries: [string, string][] = Array.isArray(raw)
      ? (raw as string[]).map((l) => {
          const i = String(l).indexOf('=');
          return i < 0 ? [String(l), ''] : [String(l).slice(0, i), String(l).slice(i + 1)];
        })
      : Object.entries((raw ?? {}) as Record<string, string>).map(([k, v]) => [k, String(v)]);
    for (const [k, v] of entries) if (!k.startsWith('traefik.') && k !== 'org.truffles.tenant') labels[k] = v;
    labels['org.truffles.drill'] = name;
    def.labels = labels;
    if (Array.isArray(def.networks))
      def.networks = (def.networks as string[]).filter((n) => n !== 'web_gateway');
    else if (def.networks && typeof def.networks === 'object')
      delete (def.networks as Record<string, unknown>).web_gateway;
    delete def.depends_on;
  }
  if (doc.networks) delete doc.networks.web_gateway;
  if (doc.volumes) delete doc.volumes.n8n_data;
  doc.name = name;
  return `# A restore drill's throw-away stack (Truffles Console): unrouted, removed after the drill.\n${stringifyYaml(doc)}`;
}
