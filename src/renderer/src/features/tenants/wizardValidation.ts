/** The wizard's validation, with the contract's own schemas, and the create input it builds. */
import type { ZodType } from 'zod';
import { DomainSchema, NewSlugSchema, commands } from '../../../../shared/contract';
import type { CommandInput, HostView, ModuleInfo, TenantView } from '../../../../shared/contract';
import { BASE_MODULES, operatorEnv, selectModules } from './modules';
import type { TenantDraft } from './modules';

// ---------- validation ----------

/**
 * A field's error: a message of the contract's schemas (translated with `schemaMessage`), or one
 * of the wizard's own, by i18n key.
 */
export type FieldError =
  | { kind: 'schema'; message: string }
  | {
      kind: 'ui';
      key:
        | 'wizard.errors.slugTaken'
        | 'wizard.errors.slugResumable'
        | 'wizard.errors.hostMissing'
        | 'wizard.errors.hostUnusable'
        | 'wizard.errors.domainRequired'
        | 'wizard.errors.envRequired'
        | 'wizard.errors.envTooLong';
      values: Record<string, string>;
    };

/** `slug`, `host`, `domain`, or `env:NAME`. */
export type WizardErrors = Record<string, FieldError>;

function schemaError(schema: ZodType, value: unknown): FieldError | undefined {
  const r = schema.safeParse(value);
  if (r.success) return undefined;
  const message = r.error.issues[0]?.message;
  return message ? { kind: 'schema', message } : undefined;
}

/**
 * The slug's problem, if any: the contract's own rule for a new slug (NewSlugSchema), then the fleet's tenants (a
 * slug is unique across hosts). An interrupted create of the same slug on the same host is not an
 * error — creating again resumes it — and is reported as `slugResumable` (a note, not a block).
 */
export function validateSlug(
  slug: string,
  host: string,
  tenants: readonly TenantView[],
): FieldError | undefined {
  const bad = schemaError(NewSlugSchema, slug);
  if (bad) return bad;
  const other = tenants.find((t) => t.slug === slug);
  if (!other) return undefined;
  if (other.host === host && other.state === 'creating')
    return { kind: 'ui', key: 'wizard.errors.slugResumable', values: { slug, host } };
  return { kind: 'ui', key: 'wizard.errors.slugTaken', values: { slug, host: other.host } };
}

/** Whether an error stops the create (a resumable slug does not). */
export function isBlocking(e: FieldError | undefined): boolean {
  return Boolean(e) && !(e?.kind === 'ui' && e.key === 'wizard.errors.slugResumable');
}

const ENV_VALUE = commands['tenants.create'].input.shape.env.unwrap().valueType;
const ENV_MAX = 4096;

/** The domain the tenant will answer on: the override, else `<slug>.<base domain>`; null when neither. */
export function previewDomain(draft: TenantDraft, host: HostView | undefined): string | null {
  const override = draft.domain.trim().toLowerCase();
  if (override) return override;
  const slug = draft.slug.trim();
  if (!host?.baseDomain || slug === '') return null;
  return `${slug}.${host.baseDomain}`;
}

/** Whether the console can use this host for a tenant now (an SSH host needs a pinned key). */
export function hostUsable(h: HostView): boolean {
  return h.kind === 'local' || Boolean(h.fingerprint);
}

/** Every problem of the draft, keyed by field (`slug`, `host`, `domain`, `env:NAME`). */
export function validateWizard(
  draft: TenantDraft,
  catalog: readonly ModuleInfo[],
  hosts: readonly HostView[],
  tenants: readonly TenantView[],
  lng: 'en' | 'ru' = 'en',
): WizardErrors {
  const errors: WizardErrors = {};
  const slug = validateSlug(draft.slug, draft.host, tenants);
  if (slug) errors['slug'] = slug;
  const host = hosts.find((h) => h.name === draft.host);
  if (!host) errors['host'] = { kind: 'ui', key: 'wizard.errors.hostMissing', values: {} };
  else if (!hostUsable(host))
    errors['host'] = { kind: 'ui', key: 'wizard.errors.hostUnusable', values: { host: host.name } };
  const domain = draft.domain.trim();
  if (domain !== '') {
    const e = schemaError(DomainSchema, domain);
    if (e) errors['domain'] = e;
  } else if (host && !host.baseDomain) {
    errors['domain'] = { kind: 'ui', key: 'wizard.errors.domainRequired', values: { host: host.name } };
  }
  const { included } = selectModules(catalog, draft.plan, draft.modules);
  const titles = new Map(catalog.map((m) => [m.name, m.title[lng]]));
  for (const f of operatorEnv(catalog, included)) {
    const value = draft.env[f.name] ?? '';
    if (value === '') {
      if (f.required)
        errors[`env:${f.name}`] = {
          kind: 'ui',
          key: 'wizard.errors.envRequired',
          values: { modules: f.modules.map((m) => titles.get(m) ?? m).join(', ') },
        };
      continue;
    }
    if (value.length > ENV_MAX) {
      errors[`env:${f.name}`] = {
        kind: 'ui',
        key: 'wizard.errors.envTooLong',
        values: { max: String(ENV_MAX) },
      };
      continue;
    }
    const e = schemaError(ENV_VALUE, value);
    if (e) errors[`env:${f.name}`] = e;
  }
  return errors;
}

/** The errors that stop a create (every error but the note about a resumable slug). */
export function blockingErrors(errors: WizardErrors): string[] {
  return Object.keys(errors).filter((k) => isBlocking(errors[k]));
}

/** The `tenants.create` input for a valid draft. */
export function createInputFromDraft(
  draft: TenantDraft,
  catalog: readonly ModuleInfo[],
): CommandInput<'tenants.create'> {
  const { included } = selectModules(catalog, draft.plan, draft.modules);
  const env: Record<string, string> = {};
  for (const f of operatorEnv(catalog, included)) {
    const v = draft.env[f.name] ?? '';
    if (v !== '') env[f.name] = v;
  }
  const domain = draft.domain.trim().toLowerCase();
  return {
    slug: draft.slug,
    host: draft.host,
    plan: draft.plan,
    modules: included.filter((m) => !BASE_MODULES.includes(m)),
    ...(domain ? { domain } : {}),
    env,
    keepOnFailure: draft.keepOnFailure,
  };
}
