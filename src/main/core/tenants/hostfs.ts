import { Readable } from 'node:stream';
import { posix } from 'node:path';
import { CoreError } from '../errors';
import type { HostTransport } from '../hosts/transport';
import { EXEC_OUTPUT_LIMIT } from '../ssh/types';
import { listDirsCommand, mkdirCommand, readFileCommand, READ_MISSING_EXIT, removeCommand } from './commands';

/**
 * Files in the platform's state folder on a host, through the host's one transport: reads by
 * `cat`, writes atomically (temporary name, mode, rename) over SFTP or locally, removals only
 * inside the state folder. Paths are built by the callers from validated parts (a slug, fixed names).
 */

export function tenantsDir(stateDir: string): string {
  return posix.join(stateDir, 'tenants');
}
export function tenantDir(stateDir: string, slug: string): string {
  return posix.join(tenantsDir(stateDir), slug);
}

/** The file's text, or null when it does not exist. */
export async function readHostFile(t: HostTransport, path: string): Promise<string | null> {
  const r = await t.exec(readFileCommand(path), { timeoutMs: 30_000 });
  if (r.code === READ_MISSING_EXIT) return null;
  if (r.code !== 0)
    throw new CoreError(
      'host.read',
      `Reading ${path} on the host failed: ${r.stderr.trim() || `exit ${String(r.code)}`}.`,
      'Check its permissions.',
    );
  // A file larger than an exec keeps is never handed on cut short as if it were whole.
  if (r.stdoutTruncated)
    throw new CoreError(
      'host.read-too-large',
      `${path} on the host is larger than the ${Math.round(EXEC_OUTPUT_LIMIT / 2 ** 20)} MiB this read takes whole.`,
      'It is not a file the console reads whole; look at it on the host.',
    );
  return r.stdout;
}

export async function mkdirHost(t: HostTransport, path: string, mode = '0750'): Promise<void> {
  const r = await t.exec(mkdirCommand(path, mode), { timeoutMs: 30_000 });
  if (r.code !== 0)
    throw new CoreError(
      'host.mkdir',
      `Creating ${path} on the host failed: ${r.stderr.trim() || `exit ${String(r.code)}`}.`,
      'Check that the state folder belongs to the SSH user (truffles host check shows the fix).',
    );
}

export async function writeHostFile(
  t: HostTransport,
  path: string,
  content: string,
  mode = 0o640,
): Promise<void> {
  await t.upload(Readable.from([Buffer.from(content, 'utf8')]), path, { mode });
}

/** `rm -rf` of a path that must lie strictly inside `root` (never the root itself). */
export async function removeInside(t: HostTransport, root: string, path: string): Promise<void> {
  const rel = posix.relative(root, path);
  if (!rel || rel.startsWith('..') || posix.isAbsolute(rel))
    throw new CoreError(
      'host.rm-outside',
      `Refusing to remove ${path}: it is not inside ${root}.`,
      'This is a bug; please report it.',
    );
  await runOrThrow(t, removeCommand(path), 120_000, 'host.rm', `Removing ${path}`);
}

/** Names of the sub-folders of `dir` (none when it does not exist). */
export async function listDirs(t: HostTransport, dir: string): Promise<string[]> {
  const out = await runOrThrow(t, listDirsCommand(dir), 30_000, 'host.read', `Listing ${dir}`);
  return out.split('\n').filter((l) => l !== '' && l !== '*');
}

/** Run a builder's command; a non-zero exit is `<what> on the host failed: <stderr>.` */
async function runOrThrow(
  t: HostTransport,
  argv: string[],
  timeoutMs: number,
  code: string,
  what: string,
): Promise<string> {
  const r = await t.exec(argv, { timeoutMs });
  if (r.code !== 0)
    throw new CoreError(code, `${what} on the host failed: ${r.stderr.trim()}.`, 'Check its permissions.');
  return r.stdout;
}
