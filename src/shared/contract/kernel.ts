/**
 * The contract's kernel: what every feature's slice builds on. The building blocks (names,
 * addresses, ports, limits), the error envelope, and the slice machinery: a command declares its
 * input, its output and its **effect** (read, write or danger), and `mergeSlices` joins the
 * features' slices into the one contract, refusing a duplicate name or a missing effect.
 */
import { z } from 'zod';

// ---------- slices ----------

/**
 * What a command does to the world: `read` changes nothing anywhere (a local cache of what was
 * read may be refreshed); `write` changes the inventory, a host or a tenant in a way that can be
 * undone or repeated; `danger` destroys or replaces data or trust (delete, restore, re-key, re-pin,
 * fleet-wide changes). Roles and audit are decided by it.
 */
export const EFFECTS = ['read', 'write', 'danger'] as const;
export type Effect = (typeof EFFECTS)[number];

export interface CommandDef {
  effect: Effect;
  input: z.ZodType;
  output: z.ZodType;
}

/** One feature's part of the contract: its name and its commands. */
export interface Slice<
  C extends Record<string, CommandDef> = Record<string, CommandDef>,
  F extends string = string,
> {
  feature: F;
  commands: C;
}

export function defineSlice<const F extends string, const C extends Record<string, CommandDef>>(
  feature: F,
  commands: C,
): Slice<C, F> {
  return { feature, commands };
}

type MergedCommands<T extends readonly Slice[]> = T extends readonly [
  Slice<infer H>,
  ...infer R extends readonly Slice[],
]
  ? H & MergedCommands<R>
  : unknown;

/**
 * The one contract from the features' slices. Refuses (throws at start-up, and in a unit test) a
 * command name two slices declare, a name that is not `area.verb`, and a command without a valid
 * effect.
 */
export function mergeSlices<const T extends readonly Slice[]>(...slices: T): MergedCommands<T> {
  const merged: Record<string, CommandDef> = {};
  const owner: Record<string, string> = {};
  for (const slice of slices) {
    for (const [name, def] of Object.entries(slice.commands)) {
      if (Object.prototype.hasOwnProperty.call(merged, name))
        throw new Error(`contract: command ${name} is declared by both ${owner[name]} and ${slice.feature}`);
      if (!/^[a-z]+\.[a-zA-Z]+$/.test(name))
        throw new Error(`contract: command name ${JSON.stringify(name)} (${slice.feature}) is not area.verb`);
      if (!(EFFECTS as readonly string[]).includes((def as Partial<CommandDef>).effect as string))
        throw new Error(
          `contract: command ${name} (${slice.feature}) declares no effect (read, write or danger)`,
        );
      merged[name] = def;
      owner[name] = slice.feature;
    }
  }
  return merged as MergedCommands<T>;
}

/** The input of a command that takes none. */
export const Empty = z.object({}).strict();

// ---------- building blocks ----------

/**
 * Every string an input accepts has a length limit (and every record a size limit), so no
 * input can make the core hold, hash or send megabytes it never needed.
 */
export const LIMITS = {
  path: 4096,
  passphrase: 1024,
  privateKey: 16384,
  labels: 32,
  envEntries: 100,
  envValue: 4096,
  confirm: 64,
} as const;

export const PATH_TOO_LONG = `The path is longer than ${LIMITS.path} characters.`;

/** `name[:tag][@digest]` with an optional registry host; what `docker pull` accepts. */
export const ImageRefSchema = z
  .string()
  .max(255)
  .regex(
    /^(?:[a-z0-9.-]+(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
    'Give an image reference such as registry.example.kz/postgres:15.10.',
  );

/** A file on the operator's machine (the console's side, never a host's). */
export const LocalFileSchema = z
  .string()
  .max(LIMITS.path, PATH_TOO_LONG)
  .min(1, 'The path is empty: give a file path.')
  .regex(/^[^\0\n\r]*$/, 'A file path is one line.');

/** A calendar day, `YYYY-MM-DD` (costs: an Asia/Almaty day; access: the last day a key is accepted). */
export const DaySchema = z
  .string()
  .max(10)
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'A day is written YYYY-MM-DD.');

export const HostNameSchema = z
  .string()
  .trim()
  .min(1, 'Host name is empty: give the host a short name such as "almaty-1".')
  .max(63, 'Host name is longer than 63 characters: choose a shorter name.')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'Host name may contain only letters, digits, ".", "_" and "-", and must start with a letter or digit.',
  );

export const AddressSchema = z
  .string()
  .trim()
  .min(1, 'Address is empty: give a DNS name or an IP address.')
  .max(253, 'Address is longer than 253 characters.')
  .regex(/^[A-Za-z0-9.:_%[\]-]+$/, 'Address must be a DNS name or an IP address (no spaces, no user@).');

/**
 * A TCP port: a whole number 1–65535, or the same written in decimal digits (the CLI's flags and
 * the renderer's form fields are strings). Nothing is coerced: `true`, `"0x16"`, `"1e3"`, `" 22"`
 * and `22.5` are refused, not read as 1, 22, 1000, 22 or rounded.
 */
export const PortSchema = z
  .union(
    [
      z.number(),
      z
        .string()
        .max(5)
        .regex(/^[0-9]{1,5}$/)
        .transform(Number),
    ],
    {
      error: 'Port must be a number between 1 and 65535.',
    },
  )
  .pipe(
    z
      .number()
      .int('Port must be a whole number.')
      .min(1, 'Port must be between 1 and 65535.')
      .max(65535, 'Port must be between 1 and 65535.'),
  );

export const UserSchema = z
  .string()
  .trim()
  .min(1, 'User is empty: give the SSH user name.')
  .max(64, 'User name is longer than 64 characters.')
  .regex(/^[A-Za-z0-9._][A-Za-z0-9._-]*$/, 'User name may contain only letters, digits, ".", "_" and "-".');

const FINGERPRINT_FORM =
  'Fingerprint must look like SHA256: followed by 43 base64 characters (as `ssh-keygen -lf` prints it).';
export const FingerprintSchema = z
  .string()
  .max(256, FINGERPRINT_FORM)
  .trim()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, FINGERPRINT_FORM);

/** A passphrase (of a key file or a stored key): at most LIMITS.passphrase characters. */
const KeyPassphraseSchema = z
  .string()
  .max(LIMITS.passphrase, `The passphrase is longer than ${LIMITS.passphrase} characters.`);

/** How the console authenticates to a host, as the operator gives it. */
export const AuthInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('agent') }).strict(),
  z
    .object({
      kind: z.literal('keyFile'),
      path: z
        .string()
        .max(LIMITS.path, PATH_TOO_LONG)
        .trim()
        .min(1, 'Key file path is empty: give the path of a private key file.'),
      passphrase: KeyPassphraseSchema.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('storedKey'),
      /** PEM / OpenSSH private key text; encrypted at rest by the core, never stored in clear. */
      privateKey: z
        .string()
        .min(1, 'Private key is empty: paste an OpenSSH or PEM private key.')
        .max(
          LIMITS.privateKey,
          `The private key is longer than ${LIMITS.privateKey} characters: paste one OpenSSH or PEM private key.`,
        ),
      passphrase: KeyPassphraseSchema.optional(),
    })
    .strict(),
]);
export type AuthInput = z.infer<typeof AuthInputSchema>;

export const SshTargetSchema = z
  .object({
    address: AddressSchema,
    port: PortSchema.default(22),
    user: UserSchema,
    auth: AuthInputSchema,
  })
  .strict();
export type SshTarget = z.input<typeof SshTargetSchema>;

const LABEL_NAME_FORM = 'Label names are lower-case letters, digits, ".", "_" and "-", e.g. region.';
export const LabelsSchema = z
  .record(
    z
      .string()
      .max(63, LABEL_NAME_FORM)
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, LABEL_NAME_FORM),
    z
      .string()
      .max(128, 'Label values are at most 128 characters.')
      .regex(/^[^\n\r\0]*$/, 'Label values are one line.'),
  )
  .refine((r) => Object.keys(r).length <= LIMITS.labels, `At most ${LIMITS.labels} labels.`);

const ENV_NAME_FORM = 'Variable names are UPPER_SNAKE_CASE.';
/** Module values the operator gives (API keys…), by variable name. */
export const EnvValuesSchema = z
  .record(
    z
      .string()
      .max(64, ENV_NAME_FORM)
      .regex(/^[A-Z][A-Z0-9_]{1,63}$/, ENV_NAME_FORM),
    z
      .string()
      .max(LIMITS.envValue, `A value is longer than ${LIMITS.envValue} characters.`)
      .regex(/^[^\n\r\0']*$/, 'Values are one line without single quotes.'),
  )
  .refine((r) => Object.keys(r).length <= LIMITS.envEntries, `At most ${LIMITS.envEntries} variables.`);

/** The slug typed again before something is destroyed or replaced. */
export const ConfirmSchema = z
  .string()
  .max(LIMITS.confirm, 'The confirmation is longer than 64 characters: type the slug again.');

export const DomainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'Give a DNS domain such as bots.example.kz.',
  );

export const RegistryMirrorSchema = z
  .string()
  .trim()
  .max(255)
  .regex(
    /^[a-z0-9.-]+(:[0-9]{1,5})?(\/[a-z0-9._/-]+)?$/,
    'Give a registry such as registry.example.kz:5000 or registry.example.kz/mirror.',
  );

/** A ProxyJump chain: inventory host names, first hop first. */
export const JumpChainSchema = z.array(HostNameSchema).max(8, 'At most 8 jump hosts.').default([]);

export const LanguageSchema = z.enum(['en', 'ru']);
export type Language = z.infer<typeof LanguageSchema>;

export const ErrorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;
