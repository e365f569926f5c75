/**
 * Files that must survive a killed agent and a crashed machine: written whole to a temporary
 * file, fsync'd, renamed over the old one, and the folder fsync'd (so the rename itself is on
 * disk). A reader sees the old file or the new one, never a part.
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;

export async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${++counter}.tmp`);
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** fsync a folder (its entries: a rename, a new file); a filesystem that cannot is let be. */
export async function syncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | null = null;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on a directory (EINVAL, EISDIR): nothing more can be done
  } finally {
    await fh?.close();
  }
}

/** Append to a file and fsync it before resolving. */
export async function appendDurable(path: string, data: string): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const created = !(await exists(path));
  const fh = await fsp.open(path, 'a', 0o600);
  try {
    await fh.appendFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (created) await syncDir(dirname(path));
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}
