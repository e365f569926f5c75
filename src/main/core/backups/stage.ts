import { posix } from 'node:path';
import { PassThrough } from 'node:stream';
import { CoreError } from '../errors';
import type { HostTransport } from '../hosts/transport';
import type { HostRecord } from '../store/schema';
import { mkdirHost, removeInside } from '../tenants/hostfs';
import { backupDirOf } from './agent';
import { readArchive, type BackupManifest } from './archive';
import { archiveExistsCommand, readArchiveCommand, writeStagedPartCommand } from './commands';
import type { BackupDeps } from './context';

/** The longest a restore's or drill's staging (archive read, parts written) may take in all. */
const STAGE_TIMEOUT_MS = 6 * 3600_000;

/**
 * Stream the archive from `src`, decrypt and check it here, and write its parts into a fresh
 * staging folder on `dst`. Resolves with the manifest only when every part checked out; on any
 * failure the staging folder is removed and nothing else was touched.
 */
export async function stage(
  d: BackupDeps,
  src: { t: HostTransport; host: HostRecord; slug: string; backupId: string },
  dst: { t: HostTransport; host: HostRecord; dir: string },
  expectTenant: string,
): Promise<BackupManifest> {
  const identity = await d.keys.identity();
  const srcDir = posix.join(await backupDirOf(src.t, src.host), src.slug);
  const archive = posix.join(srcDir, `${src.backupId}.tar.age`);
  const exists = await src.t.exec(archiveExistsCommand(archive), { timeoutMs: 30_000 });
  if (exists.code !== 0)
    throw new CoreError(
      'backup.unknown',
      `There is no backup ${src.backupId} of '${src.slug}' on ${src.host.name}.`,
      `List them: truffles backup list ${src.slug}`,
    );
  await mkdirHost(dst.t, dst.dir, '0700');
  // Every read and write has a deadline: the whole staging STAGE_TIMEOUT_MS, and no progress
  // (nothing read from the archive, which waits on the writes) for stallMs fails it.
  const encrypted = new PassThrough({ highWaterMark: 1 << 20 });
  let lastProgress = Date.now();
  encrypted.on('drain', () => (lastProgress = Date.now()));
  const write = encrypted.write.bind(encrypted);
  encrypted.write = ((chunk: unknown, ...rest: unknown[]) => {
    lastProgress = Date.now();
    return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof encrypted.write;
  const abort = new AbortController();
  const reading = src.t.exec(readArchiveCommand(archive), {
    stdout: encrypted,
    signal: abort.signal,
    timeoutMs: STAGE_TIMEOUT_MS,
  });
  reading.catch(() => undefined);
  const stallMs = d.stallMs();
  let stalled: CoreError | null = null;
  const watchdog = setInterval(
    () => {
      if (Date.now() - lastProgress < stallMs) return;
      clearInterval(watchdog);
      stalled = new CoreError(
        'backup.stalled',
        `Staging backup ${src.backupId} made no progress for ${Math.round(stallMs / 1000)} s (reading ${src.host.name}, writing ${dst.host.name}).`,
        'Check both hosts (a hung disk, a full disk, a dead connection), then retry. The tenant was not touched.',
      );
      encrypted.destroy(stalled);
      abort.abort();
    },
    Math.min(10_000, Math.max(100, stallMs / 4)),
  );
  watchdog.unref();
  const writers: Promise<unknown>[] = [];
  try {
    const manifest = await readArchive(encrypted, identity, { tenant: expectTenant }, async (part, data) => {
      const target = posix.join(dst.dir, part.name);
      const writing = dst.t.exec(writeStagedPartCommand(target), {
        stdin: data,
        timeoutMs: STAGE_TIMEOUT_MS,
      });
      writers.push(writing.catch(() => undefined));
      const w = await writing;
      if (w.code !== 0)
        throw new CoreError(
          'backup.stage',
          `Writing ${part.name} to ${dst.dir} on ${dst.host.name} failed: ${w.stderr.trim()}`,
          'Free space on the host, then retry. The tenant was not touched.',
        );
    });
    const r = await reading;
    if (r.code !== 0)
      throw new CoreError('backup.read', `Reading ${archive} failed: ${r.stderr.trim()}`, 'Check the file.');
    return manifest;
  } catch (err) {
    abort.abort();
    encrypted.destroy();
    // A part still being written would make its folder again after the removal.
    await Promise.allSettled(writers);
    await removeInside(dst.t, posix.dirname(dst.dir), dst.dir).catch(() => undefined);
    throw stalled ?? err;
  } finally {
    clearInterval(watchdog);
  }
}
