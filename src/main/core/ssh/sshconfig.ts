import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { CoreError } from '../errors';
import {
  currentUser,
  expandTilde,
  parseFile,
  readText,
  realOrSelf,
  warn,
  type Context,
} from './sshconfig-parse';
import { Resolver } from './sshconfig-resolve';

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
