import { expandTilde, parsePort, warn, type ConfigFile, type Context, type Item } from './sshconfig-parse';
import type { ImportedHost, JumpHost } from './sshconfig';

/**
 * Resolving a host as ssh would: the settings that apply to an alias (first value wins,
 * `IdentityFile` accumulates), its tokens and environment variables expanded, and the whole
 * ProxyJump route, each hop resolved through the same config.
 */

/** Hops in one resolved ProxyJump route. */
const MAX_JUMP_HOPS = 16;

export interface Resolved {
  hostname?: { value: string; at: string };
  user?: string;
  port?: number;
  identityFiles: Array<{ value: string; at: string }>;
  proxy?: { kind: 'jump'; value: string; at: string } | { kind: 'command'; at: string } | { kind: 'none' };
  /** The first matching `Host` line that names the alias literally. */
  hostAt?: string;
}

export class Resolver {
  private readonly cache = new Map<string, Resolved>();

  constructor(
    private readonly root: ConfigFile,
    private readonly ctx: Context,
  ) {}

  resolve(name: string): Resolved {
    const key = name.toLowerCase();
    const cached = this.cache.get(key);
    if (cached) return cached;
    const r: Resolved = { identityFiles: [] };
    const walk = (file: ConfigFile, startActive: boolean, neverMatch: boolean): void => {
      let active = startActive;
      for (const item of file.items) {
        if (item.kind === 'host') {
          if (neverMatch) {
            active = false;
            continue;
          }
          const m = hostLineMatches(item.patterns, name);
          active = m.matched;
          if (m.literal && !r.hostAt) r.hostAt = item.at;
        } else if (item.kind === 'include') {
          for (const f of item.files) walk(f, active, neverMatch || !active);
        } else if (active) {
          apply(r, item);
        }
      }
    };
    walk(this.root, true, false);
    this.cache.set(key, r);
    return r;
  }

  toImported(name: string, r: Resolved): ImportedHost {
    const at = r.hostAt ?? '';
    const address = this.addressOf(name, r);
    const port = r.port ?? 22;
    const user = r.user ?? this.ctx.localUser;
    const uid = process.getuid?.();
    const tokens = {
      d: this.ctx.home,
      u: this.ctx.localUser,
      h: address,
      r: user,
      n: name,
      p: String(port),
      ...(uid !== undefined ? { i: String(uid) } : {}),
    };
    const identityFiles: string[] = [];
    for (const { value, at: fileAt } of r.identityFiles) {
      if (value.toLowerCase() === 'none') continue;
      const expanded = expandTokens(
        expandTilde(value, this.ctx.home),
        tokens,
        fileAt,
        'IdentityFile',
        this.ctx,
      );
      const path = expandEnv(expanded, fileAt, this.ctx);
      if (!identityFiles.includes(path)) identityFiles.push(path);
    }
    let proxyJump: string[] = [];
    let jumpHosts: JumpHost[] = [];
    if (r.proxy?.kind === 'jump') {
      proxyJump = splitJump(r.proxy.value);
      jumpHosts = this.route(proxyJump, r.proxy.at, new Set([name.toLowerCase()]), {
        h: address,
        n: name,
        p: String(port),
        r: user,
      });
    } else if (r.proxy?.kind === 'command') {
      warn(
        this.ctx,
        `${r.proxy.at}: Host ${name} reaches its server through a ProxyCommand, which is not imported; add the route by hand.`,
      );
    }
    return { name, address, port, user, identityFiles, proxyJump, jumpHosts, source: at };
  }

  private addressOf(name: string, r: Resolved): string {
    if (r.hostname === undefined) return name;
    return expandTokens(r.hostname.value, { h: name }, r.hostname.at, 'HostName', this.ctx);
  }

  /**
   * The hops ssh would go through for `ProxyJump a,b,...`: the connection to the last hop is made
   * with `-J` the earlier ones (which overrides that hop's own ProxyJump), the first hop is
   * reached with its own config, so its own route comes first.
   */
  private route(
    specs: string[],
    at: string,
    visiting: Set<string>,
    tokens: Record<string, string>,
  ): JumpHost[] {
    const hops: Array<{ host: string; user?: string; port?: number }> = [];
    for (const spec of specs) {
      const hop = parseHop(expandTokens(spec, tokens, at, 'ProxyJump', this.ctx));
      if (hop) hops.push(hop);
      else warn(this.ctx, `${at}: ProxyJump hop "${spec}" is not [user@]host[:port]; left out of the route.`);
    }
    const first = hops[0];
    if (!first) return [];
    let prefix: JumpHost[] = [];
    const firstKey = first.host.toLowerCase();
    if (visiting.has(firstKey)) {
      warn(this.ctx, `${at}: ProxyJump loop through ${first.host}; the route stops there.`);
    } else {
      const own = this.resolve(first.host);
      if (own.proxy?.kind === 'jump') {
        const ownTokens = {
          h: this.addressOf(first.host, own),
          n: first.host,
          p: String(first.port ?? own.port ?? 22),
          r: first.user ?? own.user ?? this.ctx.localUser,
        };
        prefix = this.route(
          splitJump(own.proxy.value),
          own.proxy.at,
          new Set([...visiting, firstKey]),
          ownTokens,
        );
      }
    }
    const route = [
      ...prefix,
      ...hops.map((hop) => {
        const r = this.resolve(hop.host);
        const user = hop.user ?? r.user;
        return {
          ...(user !== undefined ? { user } : {}),
          address: this.addressOf(hop.host, r),
          port: hop.port ?? r.port ?? 22,
        };
      }),
    ];
    if (route.length > MAX_JUMP_HOPS) {
      warn(this.ctx, `${at}: ProxyJump route longer than ${MAX_JUMP_HOPS} hops; cut short.`);
      return route.slice(route.length - MAX_JUMP_HOPS);
    }
    return route;
  }
}

function apply(r: Resolved, item: Extract<Item, { kind: 'option' }>): void {
  switch (item.key) {
    case 'hostname':
      r.hostname ??= { value: item.value, at: item.at };
      break;
    case 'user':
      r.user ??= item.value;
      break;
    case 'port':
      r.port ??= Number(item.value);
      break;
    case 'identityfile':
      r.identityFiles.push({ value: item.value, at: item.at });
      break;
    case 'proxyjump':
      r.proxy ??=
        item.value.toLowerCase() === 'none'
          ? { kind: 'none' }
          : { kind: 'jump', value: item.value, at: item.at };
      break;
    case 'proxycommand':
      r.proxy ??= item.value.toLowerCase() === 'none' ? { kind: 'none' } : { kind: 'command', at: item.at };
      break;
  }
}

const patternCache = new Map<string, RegExp>();

function patternRegex(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 'is');
    patternCache.set(pattern, re);
  }
  return re;
}

/** OpenSSH `Host` semantics: a matching `!negation` wins, else any matching pattern. */
function hostLineMatches(patterns: string[], name: string): { matched: boolean; literal: boolean } {
  let matched = false;
  let literal = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const p = negated ? raw.slice(1) : raw;
    if (!patternRegex(p).test(name)) continue;
    if (negated) return { matched: false, literal: false };
    matched = true;
    if (!/[*?]/.test(p)) literal = true;
  }
  return { matched, literal };
}

function splitJump(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `[user@]host[:port]`, `[user@][v6addr][:port]` or `ssh://[user@]host[:port]`. */
function parseHop(spec: string): { host: string; user?: string; port?: number } | null {
  let s = spec;
  if (/^ssh:\/\//i.test(s)) {
    s = s.slice('ssh://'.length).replace(/\/$/, '');
    if (s.includes('/')) return null;
  }
  let user: string | undefined;
  const atIdx = s.lastIndexOf('@');
  if (atIdx >= 0) {
    user = s.slice(0, atIdx);
    s = s.slice(atIdx + 1);
    if (!user) return null;
  }
  let host = s;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return null;
    host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest) {
      if (!rest.startsWith(':')) return null;
      portText = rest.slice(1);
    }
  } else {
    const colons = s.split(':').length - 1;
    if (colons > 1) return null; // a bare IPv6 address: OpenSSH wants it in brackets
    if (colons === 1) [host = '', portText] = s.split(':');
  }
  if (!host || /\s/.test(host)) return null;
  let port: number | undefined;
  if (portText !== undefined) {
    const p = parsePort(portText);
    if (p === null) return null;
    port = p;
  }
  return { host, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) };
}

/** `%x` tokens from `values`; `%%` is a percent sign; an unknown token is left as written. */
function expandTokens(
  text: string,
  values: Record<string, string>,
  at: string,
  what: string,
  ctx: Context,
): string {
  return text.replace(/%(.?)/gs, (whole, token: string) => {
    if (token === '%') return '%';
    const v = Object.hasOwn(values, token) ? values[token] : undefined;
    if (v !== undefined) return v;
    warn(ctx, `${at}: ${what} "${text}": token ${whole || '%'} is not supported here; left as written.`);
    return whole;
  });
}

/** `${NAME}` from the environment, as OpenSSH does for IdentityFile; an unset one is left as written. */
function expandEnv(text: string, at: string, ctx: Context): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
    const v = process.env[name];
    if (v !== undefined) return v;
    warn(ctx, `${at}: IdentityFile "${text}": environment variable ${name} is not set; left as written.`);
    return whole;
  });
}
