import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SFTPWrapper } from 'ssh2';
import { CoreError } from '../errors';
import { tempSiblingName } from '../store/atomic';
import type { UploadOptions } from './types';

/** WRITE requests in flight per upload, and their size: 2 MiB, OpenSSH's channel window. */
const UPLOAD_DEPTH = 32;
const UPLOAD_CHUNK = 64 * 1024;

/** A Writable onto an open SFTP handle with up to `depth` WRITE requests in flight. */
function pipelinedWriter(
  sftp: SFTPWrapper,
  handle: Buffer,
  depth: number,
  chunk: number,
  stallMs: number,
  stalled: (what: string) => Error,
): Writable & { bytesWritten: number } {
  let pos = 0;
  let inflight = 0;
  let failed: Error | null = null;
  let waiter: (() => void) | null = null;
  // No WRITE answered for stallMs while some are in flight: the upload fails.
  let watchdog: NodeJS.Timeout | null = null;
  const arm = (): void => {
    if (watchdog) clearTimeout(watchdog);
    watchdog = null;
    if (inflight === 0 || failed) return;
    watchdog = setTimeout(() => {
      if (!failed) failed = stalled('a write');
      wake();
    }, stallMs);
    watchdog.unref();
  };
  const wake = (): void => {
    const w = waiter;
    waiter = null;
    w?.();
  };
  const w = new Writable({
    highWaterMark: depth * chunk,
    write(data: Buffer, _enc, cb): void {
      const go = (off: number): void => {
        if (failed) return cb(failed);
        while (off < data.length && inflight < depth) {
          const len = Math.min(chunk, data.length - off);
          inflight++;
          if (!watchdog) arm();
          sftp.write(handle, data, off, len, pos, (err) => {
            inflight--;
            if (err && !failed) failed = err;
            else if (!err) w.bytesWritten += len;
            arm();
            wake();
          });
          pos += len;
          off += len;
        }
        if (off >= data.length) return cb();
        waiter = () => go(off);
      };
      go(0);
    },
    final(cb): void {
      const check = (): void => (failed ? cb(failed) : inflight === 0 ? cb() : void (waiter = check));
      check();
    },
    destroy(err, cb): void {
      if (watchdog) clearTimeout(watchdog);
      cb(err);
    },
  }) as Writable & { bytesWritten: number };
  w.bytesWritten = 0;
  return w;
}

/**
 * Upload a file or stream atomically over `sftp`: written to a temporary name beside the target,
 * given its mode, then renamed over the target. `ensureOpen` throws the connection's own error
 * when it was lost during the upload.
 */
export async function uploadOver(
  sftp: SFTPWrapper,
  source: string | Readable,
  remotePath: string,
  options: UploadOptions,
  sftpStallMs: number,
  where: string,
  ensureOpen: () => void,
): Promise<{ bytes: number }> {
  const tmp = posix.join(posix.dirname(remotePath), tempSiblingName(posix.basename(remotePath)));
  const mode = options.mode ?? 0o644;
  let bytes: number;
  const stalled = (what: string): Error =>
    new Error(`the host did not answer ${what} for ${Math.round(sftpStallMs / 1000)} s`);
  // Every request gets a deadline: a stalled SFTP server fails the upload instead of holding it.
  const withDeadline = <T>(what: string, p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(stalled(what)), sftpStallMs);
      timer.unref();
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e as Error);
        },
      );
    });
  const sftpCall = (fn: (cb: (err: Error | null | undefined) => void) => void): Promise<void> =>
    withDeadline(
      'a file request',
      new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve()))),
    );
  try {
    const handle = await withDeadline(
      'the open',
      new Promise<Buffer>((resolve, reject) =>
        sftp.open(tmp, 'w', { mode }, (err, h) => (err ? reject(err) : resolve(h))),
      ),
    );
    try {
      // The source is opened (and starts flowing) only now, with the handle ready.
      const input =
        typeof source === 'string' ? createReadStream(source, { highWaterMark: 256 * 1024 }) : source;
      const out = pipelinedWriter(sftp, handle, UPLOAD_DEPTH, UPLOAD_CHUNK, sftpStallMs, stalled);
      await pipeline(input, out);
      bytes = out.bytesWritten;
    } finally {
      await sftpCall((cb) => sftp.close(handle, cb)).catch(() => undefined);
    }
    await sftpCall((cb) => sftp.chmod(tmp, mode, cb));
    await sftpCall((cb) => sftp.ext_openssh_rename(tmp, remotePath, cb)).catch(async () =>
      sftpCall((cb) => sftp.rename(tmp, remotePath, cb)),
    );
  } catch (err) {
    // A stream source that never got read (the open failed) must not be left hanging.
    if (typeof source !== 'string' && !source.destroyed) source.destroy();
    await sftpCall((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
    if (err instanceof CoreError) throw err;
    ensureOpen();
    throw new CoreError(
      'sftp.upload',
      `Upload to ${where}:${remotePath} failed: ${(err as Error).message}`,
      'Check the target folder exists and is writable, and the disk is not full.',
    );
  }
  return { bytes };
}
