import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 11, item 9: the reserve server's append-only receiver (templates/backup/truffles-offsite-receive),
 * run by a real `sh` exactly as sshd runs a forced command: the host's request in SSH_ORIGINAL_COMMAND,
 * the archive on stdin.
 */
const RECEIVER = join(__dirname, '..', '..', 'templates', 'backup', 'truffles-offsite-receive');
let t: ReturnType<typeof tempDir>;
let dir: string;
beforeEach(() => {
  t = tempDir();
  dir = join(t.dir, 'reserve', 'sb');
});
afterEach(() => t.cleanup());

const sha = (b: string): string => createHash('sha256').update(b).digest('hex');
function receive(request: string, input: string, keepDays = '30'): { code: number; err: string } {
  const r = spawnSync('sh', [RECEIVER, dir, keepDays], {
    input,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: request },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, err: r.stderr };
}

describe('the offsite receiver on the reserve server', () => {
  it('takes a new, complete archive into the host’s folder', () => {
    const id = '20261125T030000Z-scheduled.tar.age';
    expect(receive(`put shop-1 ${id} ${sha('archive 1')}`, 'archive 1').code).toBe(0);
    expect(readFileSync(join(dir, 'shop-1', id), 'utf8')).toBe('archive 1');
    expect(readdirSync(join(dir, 'shop-1'))).toEqual([id]);
  });

  it('refuses overwrite, damaged copies, other commands and every path of its own', () => {
    const id = '20261125T030000Z-manual.tar.age';
    expect(receive(`put shop-1 ${id} ${sha('good')}`, 'good').code).toBe(0);
    for (const [request, input] of [
      [`put shop-1 ${id} ${sha('evil')}`, 'evil'], // overwrite
      [`put shop-1 20261126T030000Z-manual.tar.age ${sha('other')}`, 'truncated'], // sha differs
      ['rm -rf /', ''],
      [`sh -c id`, ''],
      ['', ''],
      [`put ../etc ${id} ${sha('x')}`, 'x'],
      [`put shop-1 ../../${id} ${sha('x')}`, 'x'],
      [`put shop-1 /tmp/x.tar.age ${sha('x')}`, 'x'],
      [`put shop-1 ${id}* ${sha('x')}`, 'x'],
      [`put shop-1 ${id} ${sha('x')} extra`, 'x'],
    ] as const) {
      const r = receive(request, input);
      expect(r.code, request).toBe(2);
      expect(r.err, request).toMatch(/^truffles-offsite-receive: /);
    }
    expect(readFileSync(join(dir, 'shop-1', id), 'utf8')).toBe('good');
    expect(readdirSync(join(dir, 'shop-1'))).toEqual([id]);
    expect(existsSync(join(t.dir, 'reserve', 'etc'))).toBe(false);
  });

  it('prunes by arrival time on its own (older than KEEP_DAYS), whatever the names say', () => {
    const old = ['20261001T030000Z-scheduled.tar.age', '20261002T030000Z-scheduled.tar.age'];
    for (const id of old) expect(receive(`put shop-1 ${id} ${sha(id)}`, id).code).toBe(0);
    const longAgo = new Date(Date.now() - 40 * 86400_000);
    for (const id of old) utimesSync(join(dir, 'shop-1', id), longAgo, longAgo);
    const fresh = '20261125T030000Z-scheduled.tar.age';
    expect(receive(`put shop-1 ${fresh} ${sha(fresh)}`, fresh).code).toBe(0);
    expect(readdirSync(join(dir, 'shop-1'))).toEqual([fresh]);
  });
});
