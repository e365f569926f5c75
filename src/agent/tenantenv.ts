/**
 * A tenant as the programs of ours on its host reach it (the agent's cost views, the knowledge
 * worker): the values of its `.env` as the console writes it, and the address of a service's
 * container on the stack's internal network, which the host's network reaches directly.
 */
import type { DockerApi } from './docker';

export const TENANT_SLUG = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;

/** `.env` as the console writes it: KEY='value' lines (single quotes: literal), comments, blanks. */
export function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === "'" || value[0] === '"') && value.endsWith(value[0]))
      value = value.slice(1, -1);
    out[key] = value;
  }
  return out;
}

interface ContainerSummary {
  Id: string;
  State: string;
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
}

/** The internal address of a tenant service's running container, or null when none runs. */
export async function serviceIp(docker: DockerApi, slug: string, service: string): Promise<string | null> {
  const filters = JSON.stringify({
    label: [`com.docker.compose.project=${slug}`, `com.docker.compose.service=${service}`],
  });
  const list = await docker.json<ContainerSummary[]>(
    `/containers/json?filters=${encodeURIComponent(filters)}`,
  );
  const c = list.find((x) => x.State === 'running');
  return c?.NetworkSettings?.Networks?.[`${slug}_internal`]?.IPAddress ?? null;
}
