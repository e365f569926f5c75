/**
 * Client-side checks of the add-host form with the very schemas the core validates with, so the
 * operator sees the same rules (and messages) before anything is sent.
 */
import type { ZodType } from 'zod';
import {
  AddressSchema,
  AuthInputSchema,
  HostNameSchema,
  PortSchema,
  UserSchema,
} from '../../shared/contract';
import type { AuthInput, CommandInput } from '../../shared/contract';

export type AuthKind = 'agent' | 'keyFile' | 'storedKey';

export interface HostDraft {
  name: string;
  address: string;
  port: string;
  user: string;
  authKind: AuthKind;
  keyPath: string;
  keyText: string;
  passphrase: string;
}

/** Field names as used in `data-testid="field-error-<field>"`. */
export type DraftField = 'name' | 'address' | 'port' | 'user' | 'key-path' | 'key-text';

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
  }
}

export const DRAFT_FIELDS: readonly DraftField[] = [
  'name',
  'address',
  'port',
  'user',
  'key-path',
  'key-text',
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
  return {
    name: d.name.trim(),
    address: d.address.trim(),
    port: Number(d.port.trim()),
    user: d.user.trim(),
    auth: authFromDraft(d),
    acceptFingerprint,
  };
}

export function probeInputFromDraft(d: HostDraft): CommandInput<'hosts.probe'> {
  return { address: d.address.trim(), port: Number(d.port.trim()) };
}
