import { createHash } from 'node:crypto';

/** OpenSSH's SHA256 fingerprint of a public key blob: `SHA256:` + unpadded base64. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of an SSH public key blob (e.g. `ssh-ed25519`). */
export function algorithmOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  if (len <= 0 || len > 64 || keyBlob.length < 4 + len) return 'unknown';
  return keyBlob.subarray(4, 4 + len).toString('ascii');
}

/** The known_hosts name of a host: `address` on port 22, `[address]:port` otherwise. */
export function knownHostId(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** Where one hop of a route connects to, as the hop before it (or this machine) sees it. */
export interface RouteHop {
  address: string;
  port: number;
}

/**
 * The key of a host-key pin: the whole route, jump hosts first, each as its known_hosts name,
 * joined by ` > ` (e.g. `[10.1.0.2]:2200 > 10.0.0.5`). A host reached directly has its plain
 * known_hosts name, so `10.0.0.5` directly and `10.0.0.5` behind a jump host are two routes
 * with two pins, as are two machines at `10.0.0.5` behind two different jump hosts.
 */
export function routeId(hops: readonly RouteHop[]): string {
  return hops.map((h) => knownHostId(h.address, h.port)).join(' > ');
}

interface NamedHop extends RouteHop {
  name: string;
}

/**
 * The route of an inventory host: its jump chain (names of other hosts, first hop first) and
 * itself. Null when a jump host of the chain is not in the inventory.
 */
export function routeOf(
  host: RouteHop & { jump: readonly string[] },
  hosts: readonly NamedHop[],
): RouteHop[] | null {
  const hops: RouteHop[] = [];
  for (const name of host.jump) {
    const hop = hosts.find((h) => h.name === name);
    if (!hop) return null;
    hops.push({ address: hop.address, port: hop.port });
  }
  hops.push({ address: host.address, port: host.port });
  return hops;
}

/** The pin key of an inventory host (see routeId), or null when its jump chain is broken. */
export function pinIdOf(
  host: RouteHop & { jump: readonly string[] },
  hosts: readonly NamedHop[],
): string | null {
  const route = routeOf(host, hosts);
  return route ? routeId(route) : null;
}

/** Every route prefix a host's connection verifies a pin on: each hop of its jump chain, then itself. */
export function pinIdsUsedBy(
  host: RouteHop & { jump: readonly string[] },
  hosts: readonly NamedHop[],
): string[] {
  const route = routeOf(host, hosts);
  if (!route) return [];
  return route.map((_, i) => routeId(route.slice(0, i + 1)));
}
