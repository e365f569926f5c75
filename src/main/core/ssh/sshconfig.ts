import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseLine } from 'ssh-config';
import type { Directive } from 'ssh-config';
import { CoreError } from '../errors';

/**
 * Import hosts from an OpenSSH client config (`~/.ssh/config`), without ever running anything.
 *
 * The `ssh-config` package tokenizes each line (keyword, `Key Value` / `Key=Value`, quotes,
 * trailing comments); the semantics are ours and follow OpenSSH's `readconf.c`:
 * - the file is read top to bottom for each host; a `Host` line turns the following settings on
 *   when one of its patterns matches the alias and none of its `!negations` does; settings before
 *   the first `Host` apply to every host; the first value of a setting wins (`IdentityFile`
 *   accumulates); `ProxyJump` and `ProxyCommand` share one slot, the first of them wins;
 * - only concrete aliases (no `*`, `?`, `!`) become hosts; wildcard blocks are their defaults;
 * - `Include` is read where it stands (relative paths under `~/.ssh`, glob patterns, sorted),
 *   starts in the state of the block it sits in, and restores it afterwards; an `Include` inside a
 *   block that does not match is read but never applies (OpenSSH's "never match");
 * - `Match` blocks are never evaluated (so `Match exec` never runs): everything up to the next
 *   `Host` or `Match` line (or the end of that file) is skipped with a warning.
 * Host patterns are compared case-insensitively. Problems in the input become warnings; only a
 * missing main file is an error.
 */

export interface JumpHost {
  /** The user given in the hop (`user@host`) or by the hop's own config; absent when neither. */
  user?: string;
  /** The address ssh would connect to: the hop's `HostName` from this config, or the hop as written. */
  address: string;
  /** The hop's port (`host:port`), else its `Port` from this config, else 22. */
  port: number;
}

export interface ImportedHost {
  /** The alias as written on its `Host` line. */
  name: string;
  /** `HostName` (with `%h` expanded), or the alias itself. */
  address: string;
  port: number;
  user: string;
  /** `IdentityFile` values in order, `~` and `%d %u %h %r %n %p %%` expanded, duplicates removed. */
  identityFiles: string[];
  /** `ProxyJump` hop specs as written, split on commas (empty for none). */
  proxyJump: string[];
  /**
   * The whole route ssh would take, in order: the first hop's own `ProxyJump` route (recursively),
   * then the hops of `proxyJump`, each resolved through this config (HostName, Port, User).
   */
  jumpHosts: JumpHost[];
  /** `file:line` of the `Host` line that names this alias. */
  source: string;
}

export interface SshConfigImport {
  hosts: ImportedHost[];
  warnings: string[];
}

export interface ReadSshConfigOptions {
  /** The home folder for `~`, `%d` and relative `Include` paths (`<home>/.ssh/...`). */
  home?: string;
  /** The local user: the default remote user and `%u`. Defaults to `$USER`. */
  user?: string;
}

/** OpenSSH's READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;
/** Files read in one import, all includes counted (guards against include fan-out). */
const MAX_FILES = 256;
const MAX_FILE_BYTES = 1024 * 1024;
/** Hops in one resolved ProxyJump route. */
const MAX_JUMP_HOPS = 16;

type OptionKey = 'hostname' | 'user' | 'port' | 'identityfile' | 'proxyjump' | 'proxycommand';

type Item =
  | { kind: 'host'; patterns: string[]; at: string }
  | { kind: 'option'; key: OptionKey; value: string; at: string }
  | { kind: 'include'; files: ConfigFile[] };

interface ConfigFile {
  path: string;
  items: Item[];
}

interface Context {
  home: string;
  localUser: string;
  warnings: Set<string>;
  filesRead: number;
  /** Concrete aliases in order of first appearance, keyed by lower case. */
  aliases: Map<string, { name: string; at: string }>;
}

interface Resolved {
  hostname?: { value: string; at: string };
  user?: string;
  port?: number;
  identityFiles: Array<{ value: string; at: string }>;
  proxy?: { kind: 'jump'; value: string; at: string } | { kind: 'command'; at: string } | { kind: 'none' };
  /** The first matching `Host` line that names the alias literally. */
  hostAt?: string;
}

/**
 * Read `file` (and what it includes) and return every concrete host alias with its effective
 * settings, plus warnings for whatever was skipped. Nothing is executed and nothing is written.
 * Throws `CoreError('sshconfig.missing')` when `file` does not exist.
 */
export async function readSshConfig(file: string, opts: ReadSshConfigOptions = {}): Promise<SshConfigImport> {
  const home = opts.home ?? homedir();
  const ctx: Context = {
    home,
    localUser: opts.user ?? process.env.USER ?? currentUser(),
    warnings: new Set(),
    filesRead: 0,
    aliases: new Map(),
  };
  const mainPath = resolve(expandTilde(file, home));

  const read = await readText(mainPath);
  if ('error' in read) {
    if (read.code === 'ENOENT' || read.code === 'ENOTDIR') {
      throw new CoreError(
        'sshconfig.missing',
        `There is no SSH config file at ${mainPath}.`,
        'Check the path, or create the file with one "Host" block per server (see "man ssh_config"), then import again.',
        { file: mainPath },
      );
    }
    return { hosts: [], warnings: [`${mainPath}: cannot be read (${read.error}); nothing imported.`] };
  }
  ctx.filesRead++;
  const root = await parseFile(mainPath, read.text, ctx, [await realOrSelf(mainPath)], 0);

  const resolver = new Resolver(root, ctx);
  const hosts: ImportedHost[] = [];
  for (const { name, at } of ctx.aliases.values()) {
    const r = resolver.resolve(name);
    if (!r.hostAt) {
      warn(
        ctx,
        `${at}: Host ${name} sits in a file included from a Host block that does not match it, so ssh never applies it; not imported.`,
      );
      continue;
    }
    hosts.push(resolver.toImported(name, r));
  }
  return { hosts, warnings: [...ctx.warnings] };
}

// ---------------------------------------------------------------------------------------------
// Reading and parsing

async function readText(path: string): Promise<{ text: string } | { error: string; code?: string }> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) return { error: 'it is a folder', code: 'EISDIR' };
    if (st.size > MAX_FILE_BYTES) return { error: `larger than ${MAX_FILE_BYTES} bytes` };
    return { text: await readFile(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: code ?? (err instanceof Error ? err.message : String(err)), ...(code ? { code } : {}) };
  }
}

async function realOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

const KEYWORD = /^[ \t]*([^\s=#"][^\s=]*)/;

async function parseFile(
  path: string,
  text: string,
  ctx: Context,
  stack: string[],
  depth: number,
): Promise<ConfigFile> {
  const items: Item[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let inMatch = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const at = `${path}:${i + 1}`;
    const keyword = KEYWORD.exec(raw)?.[1]?.toLowerCase();
    if (!keyword) continue; // blank line or comment
    if (keyword === 'match') {
      inMatch = true;
      warn(
        ctx,
        `${at}: Match block skipped: Match conditions are never evaluated (Match exec is never run); its settings up to the next Host or Match line are ignored.`,
      );
      continue;
    }
    if (keyword === 'host') inMatch = false;
    else if (inMatch) continue;

    let d: Directive | undefined;
    try {
      const parsed = parseLine(raw)[0];
      if (parsed && 'param' in parsed) d = parsed;
    } catch (err) {
      warn(
        ctx,
        `${at}: cannot be parsed (${err instanceof Error ? err.message : String(err)}); line ignored.`,
      );
    }
    if (!d) {
      // A broken Host line still ends the previous block: nothing after it may leak into it.
      if (keyword === 'host') items.push({ kind: 'host', patterns: [], at });
      continue;
    }

    switch (keyword) {
      case 'host': {
        const patterns = valuesOf(d);
        items.push({ kind: 'host', patterns, at });
        for (const p of patterns) {
          if (p.startsWith('!') || /[*?]/.test(p)) continue;
          const key = p.toLowerCase();
          if (!ctx.aliases.has(key)) ctx.aliases.set(key, { name: p, at });
        }
        break;
      }
      case 'include': {
        const files: ConfigFile[] = [];
        for (const arg of valuesOf(d)) {
          files.push(...(await readInclude(arg, at, ctx, stack, depth)));
        }
        items.push({ kind: 'include', files });
        break;
      }
      case 'hostname':
      case 'user':
      case 'identityfile':
      case 'proxyjump':
      case 'proxycommand': {
        const value = keyword === 'proxycommand' ? valuesOf(d).join(' ') : singleValue(d, at, ctx);
        if (value !== null && value !== '') items.push({ kind: 'option', key: keyword, value, at });
        else if (value === '') warn(ctx, `${at}: ${d.param} has no value; ignored.`);
        break;
      }
      case 'port': {
        const value = singleValue(d, at, ctx);
        if (value === null) break;
        const port = parsePort(value);
        if (port === null) warn(ctx, `${at}: Port "${value}" is not a port number (1-65535); ignored.`);
        else items.push({ kind: 'option', key: 'port', value: String(port), at });
        break;
      }
      default:
        break; // every other keyword is irrelevant to the import
    }
  }
  return { path, items };
}

function valuesOf(d: Directive): string[] {
  const v = d.value;
  return typeof v === 'string' ? (v ? [v] : []) : v.map((x) => x.val).filter((x) => x !== '');
}

/** The value of a one-value keyword; an unquoted value with spaces keeps its first word. */
function singleValue(d: Directive, at: string, ctx: Context): string | null {
  const v = typeof d.value === 'string' ? d.value : d.value.map((x) => x.val).join(' ');
  if (v === '') return '';
  if (!d.quoted && /\s/.test(v)) {
    const first = v.split(/\s+/)[0] ?? '';
    warn(ctx, `${at}: ${d.param} takes one value; using "${first}".`);
    return first;
  }
  return v;
}

function parsePort(value: string): number | null {
  if (!/^\d{1,5}$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 && n <= 65535 ? n : null;
}

async function readInclude(
  arg: string,
  at: string,
  ctx: Context,
  stack: string[],
  depth: number,
): Promise<ConfigFile[]> {
  let pattern = expandTilde(arg, ctx.home);
  if (!pattern.startsWith('/')) pattern = join(ctx.home, '.ssh', pattern);
  const isGlob = GLOB_CHARS.test(pattern);
  const paths = await globPaths(pattern);
  if (paths.length === 0) {
    warn(
      ctx,
      isGlob
        ? `${at}: Include ${arg}: no file matches ${pattern}; ignored.`
        : `${at}: Include ${arg}: ${pattern} does not exist; ignored.`,
    );
    return [];
  }
  const files: ConfigFile[] = [];
  for (const path of paths) {
    if (depth + 1 > MAX_INCLUDE_DEPTH) {
      warn(ctx, `${at}: Include ${path}: nested deeper than ${MAX_INCLUDE_DEPTH} levels; not followed.`);
      continue;
    }
    const real = await realOrSelf(path);
    if (stack.includes(real)) {
      warn(ctx, `${at}: Include loop: ${path} is already being read; not followed.`);
      continue;
    }
    if (ctx.filesRead >= MAX_FILES) {
      warn(ctx, `${at}: Include ${path}: more than ${MAX_FILES} files read in all; not followed.`);
      continue;
    }
    const read = await readText(path);
    if ('error' in read) {
      warn(ctx, `${at}: Include ${path}: cannot be read (${read.error}); ignored.`);
      continue;
    }
    ctx.filesRead++;
    files.push(await parseFile(path, read.text, ctx, [...stack, real], depth + 1));
  }
  return files;
}

const GLOB_CHARS = /[*?[]/;

/** The paths an absolute glob pattern (`*`, `?`, `[...]` in any component) names, sorted. */
async function globPaths(pattern: string): Promise<string[]> {
  if (!GLOB_CHARS.test(pattern)) return (await exists(pattern)) ? [pattern] : [];
  let bases = ['/'];
  const parts = pattern.split('/').filter((p) => p !== '');
  for (const part of parts) {
    if (!GLOB_CHARS.test(part)) {
      bases = bases.map((b) => join(b, part));
      continue;
    }
    const re = globRegex(part);
    const next: string[] = [];
    for (const base of bases) {
      let names: string[];
      try {
        names = await readdir(base);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        if (name.startsWith('.') && !part.startsWith('.')) continue; // as glob(3): no hidden files
        if (re.test(name)) next.push(join(base, name));
      }
    }
    bases = next;
  }
  const found: string[] = [];
  for (const p of bases) if (await exists(p)) found.push(p);
  return found.sort();
}

function globRegex(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] ?? '';
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = part.indexOf(']', i + 2);
      let body = close < 0 ? '' : part.slice(i + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      if (!body) {
        re += '\\[';
        continue;
      }
      re += `[${negated ? '^' : ''}${body.replace(/[\\\]^[]/g, '\\$&')}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Resolving a host as ssh would

class Resolver {
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

// ---------------------------------------------------------------------------------------------
// Small helpers

function expandTilde(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
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

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

function warn(ctx: Context, message: string): void {
  ctx.warnings.add(message);
}
