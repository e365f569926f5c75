/**
 * Client-side checks of the add-host form with the very schemas the core validates with, so the
 * operator sees the same rules (and messages) before anything is sent.
 */
import type { ZodType } from 'zod';
import {
  AddressSchema,
  AuthInputSchema,
  DomainSchema,
  HostNameSchema,
  JumpChainSchema,
  LabelsSchema,
  PortSchema,
  RegistryMirrorSchema,
  UserSchema,
  commands,
} from '../../../../shared/contract';
import type { AuthInput, CommandInput, ImportCandidate } from '../../../../shared/contract';

export type AuthKind = 'agent' | 'keyFile' | 'storedKey';

/** One `name=value` line of the labels editor. */
export interface LabelRow {
  key: string;
  value: string;
}

export interface HostDraft {
  name: string;
  address: string;
  port: string;
  user: string;
  authKind: AuthKind;
  keyPath: string;
  keyText: string;
  passphrase: string;
  /** Inventory names of the jump hosts, first hop first. */
  jump: string[];
  labels: LabelRow[];
  baseDomain: string;
  registryMirror: string;
}

/** Field names as used in `data-testid="field-error-<field>"`. */
export type DraftField =
  | 'name'
  | 'address'
  | 'port'
  | 'user'
  | 'key-path'
  | 'key-text'
  | 'jump'
  | 'labels'
  | 'base-domain'
  | 'registry-mirror';

export type FieldErrors = Partial<Record<DraftField, string>>;

export const emptyDraft: HostDraft = {
  name: '',
  address: '',
  port: '22',
  user: '',
  authKind: 'agent',
  keyPath: '',
  keyText: '',
  passphrase: '',
  jump: [],
  labels: [],
  baseDomain: '',
  registryMirror: '',
};

function firstMessage(schema: ZodType, value: unknown): string | undefined {
  const r = schema.safeParse(value);
  return r.success ? undefined : r.error.issues[0]?.message;
}

export function authFromDraft(d: HostDraft): AuthInput {
  const passphrase = d.passphrase.length > 0 ? { passphrase: d.passphrase } : {};
  switch (d.authKind) {
    case 'keyFile':
      return { kind: 'keyFile', path: d.keyPath.trim(), ...passphrase };
    case 'storedKey':
      return { kind: 'storedKey', privateKey: d.keyText, ...passphrase };
    default:
      return { kind: 'agent' };
  }
}

/** Messages the renderer itself adds (not in the contract); Russian versions are in ru.ts too. */
export const LABEL_DUPLICATE = 'Each label name may be used once.';
export const LABEL_NO_NAME = 'A label needs a name, e.g. region.';
export const JUMP_SELF = 'A host cannot be its own jump host.';
export const JUMP_REPEATED = 'A jump host may appear only once in the chain.';

/** The labels as the contract wants them; rows left completely empty are ignored. */
export function labelsFromRows(rows: readonly LabelRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) {
    const key = r.key.trim();
    if (key === '' && r.value.trim() === '') continue;
    out[key] = r.value.trim();
  }
  return out;
}

function validateLabels(rows: readonly LabelRow[]): string | undefined {
  const seen = new Set<string>();
  for (const r of rows) {
    const key = r.key.trim();
    if (key === '' && r.value.trim() === '') continue;
    if (key === '') return LABEL_NO_NAME;
    if (seen.has(key)) return LABEL_DUPLICATE;
    seen.add(key);
    // Name and value on their own: a record reports a bad key only as "Invalid key in record".
    const msg =
      firstMessage(LabelsSchema.keyType, key) ?? firstMessage(LabelsSchema.valueType, r.value.trim());
    if (msg) return msg;
  }
  return firstMessage(LabelsSchema, labelsFromRows(rows));
}

function validateJump(d: HostDraft): string | undefined {
  const name = d.name.trim();
  if (name !== '' && d.jump.includes(name)) return JUMP_SELF;
  if (new Set(d.jump).size !== d.jump.length) return JUMP_REPEATED;
  return firstMessage(JumpChainSchema, d.jump);
}

/** The error (English, as the contract words it) for one field, or undefined. */
export function validateField(field: DraftField, d: HostDraft): string | undefined {
  switch (field) {
    case 'name':
      return firstMessage(HostNameSchema, d.name);
    case 'address':
      return firstMessage(AddressSchema, d.address);
    case 'port':
      return firstMessage(PortSchema, d.port.trim() === '' ? Number.NaN : d.port.trim());
    case 'user':
      return firstMessage(UserSchema, d.user);
    case 'key-path':
      return d.authKind === 'keyFile' ? firstMessage(AuthInputSchema, authFromDraft(d)) : undefined;
    case 'key-text':
      return d.authKind === 'storedKey' ? firstMessage(AuthInputSchema, authFromDraft(d)) : undefined;
    case 'jump':
      return validateJump(d);
    case 'labels':
      return validateLabels(d.labels);
    case 'base-domain':
      return d.baseDomain.trim() === '' ? undefined : firstMessage(DomainSchema, d.baseDomain);
    case 'registry-mirror':
      return d.registryMirror.trim() === ''
        ? undefined
        : firstMessage(RegistryMirrorSchema, d.registryMirror);
  }
}

export const DRAFT_FIELDS: readonly DraftField[] = [
  'name',
  'address',
  'port',
  'user',
  'key-path',
  'key-text',
  'jump',
  'labels',
  'base-domain',
  'registry-mirror',
];

export function validateDraft(d: HostDraft): FieldErrors {
  const errors: FieldErrors = {};
  for (const f of DRAFT_FIELDS) {
    const msg = validateField(f, d);
    if (msg) errors[f] = msg;
  }
  return errors;
}

/** The `hosts.add` input for a valid draft and the fingerprint the operator confirmed. */
export function addInputFromDraft(d: HostDraft, acceptFingerprint: string): CommandInput<'hosts.add'> {
  const baseDomain = d.baseDomain.trim().toLowerCase();
  const registryMirror = d.registryMirror.trim();
  return {
    name: d.name.trim(),
    address: d.address.trim(),
    port: Number(d.port.trim()),
    user: d.user.trim(),
    auth: authFromDraft(d),
    acceptFingerprint,
    jump: [...d.jump],
    labels: labelsFromRows(d.labels),
    baseDomain: baseDomain === '' ? null : baseDomain,
    registryMirror: registryMirror === '' ? null : registryMirror,
  };
}

export function probeInputFromDraft(d: HostDraft): CommandInput<'hosts.probe'> {
  return { address: d.address.trim(), port: Number(d.port.trim()), jump: [...d.jump] };
}

// ---------- import from an OpenSSH config ----------

export interface ImportPaths {
  configPath: string;
  knownHostsPath: string;
}

export type ImportSource = CommandInput<'hosts.importPreview'>;

/**
 * The `hosts.importPreview` input: empty fields mean the defaults (left out). Returns the input,
 * or the field and the contract's message for the first bad path.
 */
export function importSourceFromPaths(
  p: ImportPaths,
): { ok: true; value: ImportSource } | { ok: false; field: keyof ImportPaths; message: string } {
  const value: ImportSource = {};
  const configPath = p.configPath.trim();
  const knownHostsPath = p.knownHostsPath.trim();
  if (configPath !== '') value.configPath = configPath;
  if (knownHostsPath !== '') value.knownHostsPath = knownHostsPath;
  const r = commands['hosts.importPreview'].input.safeParse(value);
  if (r.success) return { ok: true, value };
  const issue = r.error.issues[0];
  const field = issue?.path[0] === 'knownHostsPath' ? 'knownHostsPath' : 'configPath';
  return { ok: false, field, message: issue?.message ?? 'Invalid path.' };
}

/** Which candidates start ticked: every one the core would add. */
export function defaultImportSelection(candidates: readonly ImportCandidate[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const c of candidates) if (c.action === 'add') out[c.alias] = true;
  return out;
}

/** The ticked aliases, in the order of the preview; candidates that cannot be added never count. */
export function chosenAliases(
  candidates: readonly ImportCandidate[],
  selection: Readonly<Record<string, boolean>>,
): string[] {
  return candidates.filter((c) => c.action === 'add' && selection[c.alias]).map((c) => c.alias);
}
