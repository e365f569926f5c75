/**
 * What a personal-data request looks for, and how each store is asked: pure functions, tested on
 * their own (test/unit/privacy-match.test.ts).
 *
 * A customer is named by their phone number — its digits, written with or without separators
 * (`+7 777 123-45-67`), and for a Kazakh number also in the domestic form (8 instead of the
 * leading 7) — and by their email. Rows tied to them (by the customer's, conversations' and
 * orders' ids) are found through those ids. A name alone is not matched: it would find other
 * people's data.
 */

/** The phone's digit strings searched for: as given, and the domestic 8… form of a +7 number. */
export function phoneVariants(digits: string): string[] {
  const out = [digits];
  if (digits.length === 11 && digits.startsWith('7')) out.push(`8${digits.slice(1)}`);
  if (digits.length === 11 && digits.startsWith('8')) out.push(`7${digits.slice(1)}`);
  return out;
}

/** Up to two separators (space, dash, dot, brackets) may stand between the digits of a written number. */
const SEP = '[ ().-]{0,2}';

/**
 * A regular expression source, valid both in JavaScript and in PostgreSQL (POSIX ARE), that
 * matches any of the phone's variants however its digits are separated, and not inside a longer
 * number.
 */
export function phonePattern(digits: string): string {
  const alts = phoneVariants(digits).map((v) => v.split('').join(SEP));
  return `(?<![0-9])\\+?(${alts.join('|')})(?![0-9])`;
}

/** Regular-expression metacharacters escaped (the same set for JavaScript and PostgreSQL). */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The regular expression (source) of everything that is personal data of theirs: the phone, the emails. */
export function pdPattern(digits: string, emails: readonly string[]): string {
  const parts = [phonePattern(digits)];
  for (const e of emails) if (e.trim()) parts.push(escapeRegex(e.trim().toLowerCase()));
  return parts.join('|');
}

/** A JavaScript test of text for their personal data (emails case-insensitively). */
export function pdTester(digits: string, emails: readonly string[]): (text: string) => boolean {
  const re = new RegExp(pdPattern(digits, emails), 'i');
  return (text) => re.test(text);
}

/** `text` with their personal data replaced by `[erased]`. */
export function redactText(text: string, digits: string, emails: readonly string[]): string {
  let out = text.replace(new RegExp(phonePattern(digits), 'g'), '[erased]');
  for (const e of emails)
    if (e.trim()) out = out.replace(new RegExp(escapeRegex(e.trim()), 'gi'), '[erased]');
  return out;
}

/** A JSON value with every string that holds their personal data redacted (keys included). */
export function redactJson(value: unknown, digits: string, emails: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, digits, emails);
  if (Array.isArray(value)) return value.map((v) => redactJson(v, digits, emails));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        redactText(k, digits, emails),
        redactJson(v, digits, emails),
      ]),
    );
  return value;
}

/** Redis SCAN patterns (glob) for keys that name them or hold one of their ids. */
export function redisKeyPatterns(
  digits: string,
  emails: readonly string[],
  ids: readonly string[],
): string[] {
  const glob = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');
  return [
    ...phoneVariants(digits).map((v) => `*${v}*`),
    ...emails.filter((e) => e.trim()).map((e) => `*${glob(e.trim())}*`),
    ...ids.map((id) => `*${glob(id)}*`),
  ];
}

/** How long a backup taken now can live under the host's retention rule (the agent's `retention`). */
export interface RetentionRule {
  daily: number;
  weekly: number;
}

/**
 * When the last of these backups is gone by the retention rule, if backups go on every day: a
 * scheduled backup can be kept as its week's copy for `weekly` weeks, any other (manual, before an
 * update, a safety copy) for `daily` days. A tenant's final backup (taken when it is deleted) is
 * kept until removed by hand: null.
 */
export function retentionEnd(
  backups: readonly { id: string; createdAt: string }[],
  rule: RetentionRule,
): Date | null {
  let end = 0;
  for (const b of backups) {
    if (b.id.includes('-final')) return null;
    const at = Date.parse(b.createdAt);
    if (!Number.isFinite(at)) continue;
    const days = b.id.includes('-scheduled') ? Math.max(rule.daily, rule.weekly * 7 + 6) : rule.daily;
    end = Math.max(end, at + (days + 1) * 86_400_000);
  }
  return end ? new Date(end) : null;
}
