import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CoreError, parseJsonAs } from '../errors';

/**
 * Platform modules (spec §4): `modules/<name>/manifest.json` plus its migrations, n8n workflows,
 * credential templates and README. Manifests are validated here, and a module selection is
 * checked (known, available, dependencies present, allowed by the plan) before anything touches
 * a host.
 */

export const PLANS = ['starter', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

/** The lowest plan a module is sold on (spec §4.2: "Все" = every plan). */
export const TierSchema = z.enum(['all', 'pro', 'enterprise']);
export type Tier = z.infer<typeof TierSchema>;

const ModuleNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,39}$/, 'Module names are lower-case snake_case, e.g. channel_whatsapp.');

const EnvVarSchema = z.object({
  /** Environment variable handed to the tenant's n8n, e.g. WHATSAPP_PHONE_ID. */
  name: z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'Env names are UPPER_SNAKE_CASE.'),
  description: z.string().min(1),
  /** Secret values are generated or asked for, never shown back. */
  secret: z.boolean().default(false),
  /** `generate`: made by the factory with a CSPRNG; `operator`: asked for at create (may stay empty until set). */
  source: z.enum(['generate', 'operator']),
  required: z.boolean().default(false),
});

export const ManifestSchema = z
  .object({
    name: ModuleNameSchema,
    /** Semantic version of the module. */
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'version is semver: MAJOR.MINOR.PATCH.'),
    title: z.object({ en: z.string().min(1), ru: z.string().min(1) }),
    description: z.object({ en: z.string().min(1), ru: z.string().min(1) }),
    tier: TierSchema,
    /** `available`: can be installed; `planned`: listed in the catalog, refused on selection. */
    status: z.enum(['available', 'planned']),
    depends: z.array(ModuleNameSchema).default([]),
    env: z.array(EnvVarSchema).default([]),
    /** Files under credentials/ (n8n credential templates, `{{ENV_NAME}}` placeholders). */
    credentials: z.array(z.string().regex(/^[a-z0-9_]+\.template\.json$/)).default([]),
    /** Files under workflows/ (n8n workflow exports). */
    workflows: z.array(z.string().regex(/^[a-z0-9_]+\.json$/)).default([]),
    /** Files under migrations/, applied in order, each once. */
    migrations: z.array(z.string().regex(/^\d{3}_[a-z0-9_]+\.sql$/)).default([]),
  })
  .strict();
export type Manifest = z.infer<typeof ManifestSchema>;

export interface LoadedModule {
  manifest: Manifest;
  dir: string;
}

/** Read and validate every module under `root`; a broken manifest is an error naming the file. */
export async function loadModules(root: string): Promise<Map<string, LoadedModule>> {
  const out = new Map<string, LoadedModule>();
  for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, entry.name);
    const file = join(dir, 'manifest.json');
    const unreadable = {
      code: 'module.manifest-unreadable',
      hint: 'Fix the manifest; every folder under modules/ is a module.',
      says: 'cannot be read as JSON',
    };
    const text = await readFile(file, 'utf8').catch((err: Error) => {
      throw new CoreError(unreadable.code, `${file} ${unreadable.says} (${err.message}).`, unreadable.hint);
    });
    const m = parseJsonAs(ManifestSchema, text, file, {
      notJson: unreadable,
      invalid: {
        code: 'module.manifest-invalid',
        hint: 'Fix the manifest (see modules/README.md for its fields).',
      },
    });
    if (m.name !== entry.name)
      throw new CoreError(
        'module.manifest-invalid',
        `${file}: name '${m.name}' differs from its folder '${entry.name}'.`,
        'Name the folder after the module.',
      );
    for (const [sub, files] of [
      ['migrations', m.migrations],
      ['workflows', m.workflows],
      ['credentials', m.credentials],
    ] as const) {
      for (const f of files) {
        const p = join(dir, sub, f);
        if (!(await stat(p).catch(() => null))?.isFile())
          throw new CoreError(
            'module.file-missing',
            `${file} lists ${sub}/${f}, which does not exist.`,
            'Add the file or remove it from the manifest.',
          );
      }
    }
    out.set(m.name, { manifest: m, dir });
  }
  for (const { manifest } of out.values())
    for (const d of manifest.depends)
      if (!out.has(d))
        throw new CoreError(
          'module.manifest-invalid',
          `Module ${manifest.name} depends on '${d}', which is not in the catalog.`,
          'Fix its depends list.',
        );
  return out;
}

const PLAN_RANK: Record<Plan, number> = { starter: 0, pro: 1, enterprise: 2 };
const TIER_RANK: Record<Tier, number> = { all: 0, pro: 1, enterprise: 2 };

export function tierAllows(plan: Plan, tier: Tier): boolean {
  return PLAN_RANK[plan] >= TIER_RANK[tier];
}

/** The modules every tenant gets. */
export const BASE_MODULES = ['core_chat', 'core_admin'];

/**
 * Check a selection against the catalog and the plan, and return it complete (base modules and
 * dependencies added) in install order (dependencies first). Throws one error listing every
 * problem, so the operator fixes them in one go.
 */
export function resolveModules(
  catalog: Map<string, LoadedModule>,
  requested: readonly string[],
  plan: Plan,
): LoadedModule[] {
  const problems: string[] = [];
  const wanted = new Set<string>([...BASE_MODULES.filter((b) => catalog.has(b)), ...requested]);
  for (const name of requested) {
    const m = catalog.get(name);
    if (!m) {
      problems.push(`'${name}' is not a module (known: ${[...catalog.keys()].join(', ')}).`);
      continue;
    }
    if (m.manifest.status === 'planned')
      problems.push(`${name} is in the catalog but not available yet; leave it out for now.`);
  }
  const order: LoadedModule[] = [];
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, from: string | null): void => {
    if (done.has(name)) return;
    const m = catalog.get(name);
    if (!m) return; // reported above, or a catalog error caught by loadModules
    if (visiting.has(name)) {
      problems.push(`Modules depend on each other in a cycle through ${name}.`);
      return;
    }
    visiting.add(name);
    for (const d of m.manifest.depends) visit(d, name);
    visiting.delete(name);
    if (from && !wanted.has(name) && m.manifest.status === 'planned')
      problems.push(`${from} needs ${name}, which is not available yet.`);
    if (!tierAllows(plan, m.manifest.tier))
      problems.push(
        `${name} needs the ${m.manifest.tier} plan${from ? ` (needed by ${from})` : ''}; this tenant is on ${plan}.`,
      );
    done.add(name);
    order.push(m);
  };
  for (const name of wanted) visit(name, null);
  if (problems.length)
    throw new CoreError(
      'module.selection',
      problems.length === 1
        ? (problems[0] ?? '')
        : `The module selection has ${problems.length} problems:\n  ${problems.join('\n  ')}`,
      'Change the modules or the plan; nothing was created.',
      { problems },
    );
  return order;
}
