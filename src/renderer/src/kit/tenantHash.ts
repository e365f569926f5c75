/** The addresses of one tenant's page in a section: `#/<section>/<host>/<slug>` (parts encoded). */

/** The tenant `hash` names in `section` (decoded), or null when it names none. */
export function tenantInHash(hash: string, section: string): { host: string; slug: string } | null {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (parts[0] !== section || parts.length !== 3 || !parts[1] || !parts[2]) return null;
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return { host: decode(parts[1]), slug: decode(parts[2]) };
}

/** The address of a tenant's page in `section`. */
export function tenantHash(section: string, host: string, slug: string): string {
  return `#/${section}/${encodeURIComponent(host)}/${encodeURIComponent(slug)}`;
}
