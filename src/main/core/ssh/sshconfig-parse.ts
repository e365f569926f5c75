import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parse as parseLine } from 'ssh-config';
import type { Directive } from 'ssh-config';

/**
 * Reading an OpenSSH client config into items (Host lines, the settings the import uses,
 * Include with the files it names), with warnings for whatever is skipped. See sshconfig.ts for
 * the semantics; sshconfig-resolve.ts applies the items to a host.
 */

/** OpenSSH's READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;
/** Files read in one import, all includes counted (guards against include fan-out). */
const MAX_FILES = 256;
const MAX_FILE_BYTES = 1024 * 1024;

type OptionKey = 'hostname' | 'user' | 'port' | 'identityfile' | 'proxyjump' | 'proxycommand';

export type Item =
  | { kind: 'host'; patterns: string[]; at: string }
  | { kind: 'option'; key: OptionKey; value: string; at: string }
  | { kind: 'include'; files: ConfigFile[] };

export interface ConfigFile {
  path: string;
  items: Item[];
}

export interface Context {
  home: string;
  localUser: string;
  warnings: Set<string>;
  filesRead: number;
  /** Concrete aliases in order of first appearance, keyed by lower case. */
  aliases: Map<string, { name: string; at: string }>;
}

export async function readText(path: string): Promise<{ text: string } | { error: string; code?: string }> {
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

export async function realOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

const KEYWORD = /^[ \t]*([^\s=#"][^\s=]*)/;

export async function parseFile(
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

export function parsePort(value: string): number | null {
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

export function expandTilde(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

export function warn(ctx: Context, message: string): void {
  ctx.warnings.add(message);
}
