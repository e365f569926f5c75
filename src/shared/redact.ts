/**
 * Secrets taken out of text that leaves a host for someone who may only look (support output:
 * log lines, health-check output, error messages). Two kinds of knowledge:
 *
 * - the **values** the host knows are secret — every tenant's `.env` values (passwords, keys,
 *   tokens) — replaced wherever they appear, however the program around them printed them;
 * - the **shapes** of secrets whatever their value: a Telegram bot token, an OpenAI-style key,
 *   a bearer token, the password of a URL, `password=…`/`"token": "…"` pairs, a private key block.
 *
 * Pure and dependency-free: the agent's support door uses it, and the console's tests check it.
 */

export const REDACTED = '‹redacted›';

/** A value shorter than this is not matched by value (it would blank out ordinary words); shapes still apply. */
export const MIN_SECRET_LENGTH = 8;

const SHAPES: ReadonlyArray<[RegExp, string | ((...m: string[]) => string)]> = [
  // The Telegram Bot API's paths carry the token: /bot<token>/<method>.
  [/\/bot\d{3,20}:[^/\s]+\//g, `/bot${REDACTED}/`],
  // PEM private keys, whole.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // Telegram bot tokens: <bot id>:<35 characters> (shorter ones too: what the audit journal took
  // out before it used this redactor, 3+ digits and 20+ characters, stays out).
  [/\b\d{3,20}:[A-Za-z0-9_-]{20,100}/g, REDACTED],
  // OpenAI-style and similar API keys.
  [/\b(?:sk|pk|rk)-(?:proj-|live-|test-)?[A-Za-z0-9_-]{16,}\b/g, REDACTED],
  // Authorization headers.
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, (_m, kind) => `${kind} ${REDACTED}`],
  // user:password@ in URLs.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]+)@/gi, (_m, head) => `${head}:${REDACTED}@`],
  // key=value / key: value / "key": "value" for names that say secret.
  [
    /((?:"|')?[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|encryption[_-]?key|credential)[A-Za-z0-9_.-]*(?:"|')?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&}]+)/gi,
    (_m, head) => `${head}${REDACTED}`,
  ],
];

export class Redactor {
  private readonly values: string[];

  /** `secrets`: the values known to be secret (short and repeated ones are dropped). */
  constructor(secrets: Iterable<string> = []) {
    const set = new Set<string>();
    for (const s of secrets) {
      const v = s.trim();
      if (v.length >= MIN_SECRET_LENGTH) set.add(v);
    }
    // Longest first: a secret that contains another is replaced whole.
    this.values = [...set].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.values.length;
  }

  text(input: string): string {
    let out = input;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    for (const [re, by] of SHAPES) out = out.replace(re, by as string);
    return out;
  }

  /** Every string inside a JSON-like value, redacted (objects and arrays copied). */
  deep<T>(value: T): T {
    if (typeof value === 'string') return this.text(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.deep(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.deep(v);
      return out as T;
    }
    return value;
  }
}

/** `text` with the shapes of secrets, and `secrets` by value, replaced (see Redactor). */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  return new Redactor(secrets).text(text);
}

/**
 * The values of an `.env` to hide: those of keys that say secret (password, secret, token, key,
 * credential, DSN, a URL that may carry a password), and any long random-looking value whatever
 * its key (a generated secret under an unusual name).
 */
export function envSecrets(env: Record<string, string>): string[] {
  const SECRETISH = /PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL|DSN|_URL$/i;
  const RANDOM = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9+/=_-]{20,}$/;
  return Object.entries(env)
    .filter(([k, v]) => v.length >= MIN_SECRET_LENGTH && (SECRETISH.test(k) || RANDOM.test(v)))
    .map(([, v]) => v);
}
