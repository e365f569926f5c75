/**
 * The host's access list (`<stateDir>/access/keys`), one line per key:
 * `<fingerprint SHA256:…> <name> <role> <expires YYYYMMDD or -> <added at>`. The console reads it
 * to list who may use a host (core/access), the host agent's support door at every request to
 * know whether the person who logged in still may (agent/supportServe). One parser for both.
 */

export interface AccessEntry {
  fingerprint: string;
  name: string;
  role: string;
  /** The last day the key works is the day before this one (YYYYMMDD), or null: no end. */
  expires: string | null;
  addedAt: string;
}

/** One line of the list, or null when the line is not an entry (blank, short, no fingerprint). */
export function parseAccessLine(line: string): AccessEntry | null {
  const f = line.trim().split(/\s+/);
  if (f.length < 5 || !f[0]!.startsWith('SHA256:')) return null;
  const exp = f[3]!;
  return {
    fingerprint: f[0]!,
    name: f[1]!,
    role: f[2]!,
    expires: /^\d{8}$/.test(exp) ? exp : null,
    addedAt: f[4]!,
  };
}

/** Every entry of the list's text, in order (lines that are not entries are left out). */
export function parseAccessList(text: string): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const line of text.split('\n')) {
    const e = parseAccessLine(line);
    if (e) out.push(e);
  }
  return out;
}

/** YYYYMMDD as YYYY-MM-DD. */
export function isoDay(yyyymmdd: string): string {
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6)}`;
}
