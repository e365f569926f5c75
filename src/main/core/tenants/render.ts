import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { CoreError } from '../errors';
import type { ResolvedImages } from './catalog';
import type { LoadedModule, Plan } from './modules';
import { PLAN_POSTGRES, PLAN_RESOURCES, type ServiceName } from './plans';
import { TENANT_LABEL } from './compose';

/**
 * Rendering a tenant's (or the edge's) files from `templates/`: the compose file is the template
 * parsed with the `yaml` library and changed as a document (images, resources, module env), never
 * by pasting text; per-tenant values and secrets go to `.env`, which Compose interpolates. A value
 * that could break `.env` (a newline, a NUL) is refused, not escaped.
 */

/** Bumped whenever templates/ change in a way a tenant update must apply. */
export const TEMPLATE_VERSION = '1';

export interface TenantRenderInput {
  slug: string;
  domain: string;
  plan: Plan;
  images: ResolvedImages['images'];
  modules: LoadedModule[];
  /** Generated secrets and operator values (module env included), by variable name. */
  env: Record<string, string>;
  timezone: string;
}

export interface RenderedFiles {
  compose: string;
  env: string;
}

const SERVICES: ServiceName[] = ['n8n', 'postgres', 'qdrant', 'redis'];

async function loadTemplate(templatesDir: string, name: string): Promise<Document> {
  const file = join(templatesDir, name, 'compose.yaml');
  const doc = parseDocument(await readFile(file, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0)
    throw new CoreError(
      'template.invalid',
      `${file}: ${doc.errors[0]?.message ?? 'invalid YAML'}`,
      'Fix the template.',
    );
  return doc;
}

/** `.env` lines; Compose reads `KEY=VALUE` literally when the value needs no quoting. */
export function renderEnv(values: Record<string, string>): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(values).sort(([a], [b]) => a.localeCompare(b))) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(key))
      throw new CoreError(
        'template.env-key',
        `'${key}' is not a valid environment variable name.`,
        'Use UPPER_SNAKE_CASE.',
      );
    if (/[\n\r\0]/.test(value))
      throw new CoreError(
        'template.env-value',
        `The value of ${key} contains a line break or NUL, which a .env file cannot hold.`,
        'Give a one-line value.',
      );
    // Single quotes: Compose takes the content literally (no ${} interpolation, no escapes).
    if (value.includes("'"))
      throw new CoreError(
        'template.env-value',
        `The value of ${key} contains a single quote.`,
        'Give a value without quotes.',
      );
    lines.push(`${key}='${value}'`);
  }
  return `# Written by Truffles Console. Secrets: keep this file 0600.\n${lines.join('\n')}\n`;
}

function setIn(doc: Document, path: (string | number)[], value: unknown): void {
  doc.setIn(path, doc.createNode(value));
}

export async function renderTenant(templatesDir: string, input: TenantRenderInput): Promise<RenderedFiles> {
  const doc = await loadTemplate(templatesDir, 'tenant');
  const resources = PLAN_RESOURCES[input.plan];
  for (const svc of SERVICES) {
    if (!doc.hasIn(['services', svc]))
      throw new CoreError(
        'template.invalid',
        `The tenant template has no '${svc}' service.`,
        'Fix templates/tenant/compose.yaml.',
      );
    setIn(doc, ['services', svc, 'image'], input.images[svc]);
    const r = resources[svc];
    setIn(doc, ['services', svc, 'deploy'], {
      resources: {
        limits: { cpus: r.cpus, memory: r.memory },
        reservations: { cpus: r.reserveCpus, memory: r.reserveMemory },
      },
    });
  }
  const pg = PLAN_POSTGRES[input.plan];
  const command = doc.getIn(['services', 'postgres', 'command']);
  if (isSeq(command)) {
    command.items = command.items.map((item) => {
      const v = String((item as { value?: unknown }).value ?? item);
      return doc.createNode(
        v.replace('SHARED_BUFFERS', pg.sharedBuffers).replace('EFFECTIVE_CACHE_SIZE', pg.effectiveCacheSize),
      );
    });
  }
  // Compose interpolates values, never keys: the router and service names in label keys get the
  // slug here (a validated DNS label, so it cannot change the label's structure).
  for (const svc of SERVICES) {
    const labels = doc.getIn(['services', svc, 'labels']);
    if (!isMap(labels)) continue;
    for (const pair of labels.items) {
      const key = pair.key as { value?: unknown } | null;
      if (key && typeof key.value === 'string' && key.value.includes('${CLIENT_SLUG}'))
        key.value = key.value.replaceAll('${CLIENT_SLUG}', input.slug);
    }
  }
  // Our own label on every service, volume and (non-external) network: teardown removes only
  // what carries it, so a compose project of the same name that is not ours is never touched.
  for (const section of ['services', 'volumes', 'networks'] as const) {
    const map = doc.get(section);
    if (!isMap(map)) continue;
    for (const pair of map.items) {
      const name = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
      if (section === 'networks' && doc.getIn([section, name, 'external']) === true) continue;
      if (!isMap(doc.getIn([section, name]))) setIn(doc, [section, name], {});
      setIn(doc, [section, name, 'labels', TENANT_LABEL], input.slug);
    }
  }
  // Module variables reach n8n by name; their values are in .env.
  const env = doc.getIn(['services', 'n8n', 'environment']);
  if (!isMap(env))
    throw new CoreError(
      'template.invalid',
      'n8n.environment in the tenant template is not a map.',
      'Fix the template.',
    );
  for (const m of input.modules) for (const v of m.manifest.env) env.set(v.name, `\${${v.name}:-}`);
  doc.setIn(
    ['x-truffles'],
    doc.createNode({ modules: input.modules.map((m) => `${m.manifest.name}@${m.manifest.version}`) }),
  );

  const values: Record<string, string> = {
    ...input.env,
    CLIENT_SLUG: input.slug,
    TENANT_DOMAIN: input.domain,
    TIMEZONE: input.timezone,
  };
  const compose = `# Rendered by Truffles Console for tenant ${input.slug}; change it with \`truffles tenant update\`.\n${doc.toString({ lineWidth: 0 })}`;
  return { compose, env: renderEnv(values) };
}

export interface EdgeRenderInput {
  baseDomain: string;
  image: string;
  acmeEmail: string;
  /** htpasswd lines (`user:$apr1$…`), comma separated as Traefik wants. */
  dashboardUsers: string;
  httpPort: number;
  httpsPort: number;
}

export async function renderEdge(templatesDir: string, input: EdgeRenderInput): Promise<RenderedFiles> {
  const doc = await loadTemplate(templatesDir, 'edge');
  setIn(doc, ['services', 'traefik', 'image'], input.image);
  const compose = `# Rendered by Truffles Console: the host's edge.\n${doc.toString({ lineWidth: 0 })}`;
  return {
    compose,
    env: renderEnv({
      BASE_DOMAIN: input.baseDomain,
      ACME_EMAIL: input.acmeEmail,
      // Compose interpolates `$` in values read from .env only when unquoted; single quotes keep it literal.
      DASHBOARD_USERS: input.dashboardUsers,
      HTTP_PORT: String(input.httpPort),
      HTTPS_PORT: String(input.httpsPort),
    }),
  };
}
