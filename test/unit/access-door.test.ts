import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDoor } from '../../src/agent/server';
import { doorScript } from '../../src/main/core/access/door';
import { tempDir } from '../helpers/tmp';

/**
 * The support bridge run by the real perl, as sshd runs a login shell with a forced command
 * (`truffles-door -c "truffles-door NAME"`), against an identified door on a real Unix socket.
 */
let t: ReturnType<typeof tempDir>;
let server: Server;
let door: string;
const seen: Array<string | null> = [];

beforeAll(async () => {
  t = tempDir();
  const sock = join(t.dir, 'support.sock');
  server = await serveDoor(
    sock,
    {
      hello: () => ({
        agent: 'truffles-agent',
        version: 'x',
        protocol: 1,
        startedAt: 'now',
        methods: ['whoami'],
      }),
      methods: {
        whoami: (_p, caller) => {
          seen.push(caller.actor);
          return { actor: caller.actor };
        },
      },
      streams: {},
    },
    null,
    { identified: true },
  );
  door = join(t.dir, 'truffles-door');
  writeFileSync(door, doorScript(sock));
  chmodSync(door, 0o755);
});

afterAll(() => {
  server?.close();
  t?.cleanup();
});

function runDoor(
  args: string[],
  input: string,
  asked: string | null = 'truffles-door',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env['SSH_ORIGINAL_COMMAND'];
    if (asked !== null) env['SSH_ORIGINAL_COMMAND'] = asked;
    const p = spawn(door, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input);
  });
}

describe('the support bridge (perl)', () => {
  it('names the person from its forced command and carries frames both ways until the client ends', async () => {
    const r = await runDoor(['-c', 'truffles-door anna'], `${JSON.stringify({ id: 1, method: 'whoami' })}\n`);
    expect(r.stderr).toBe('');
    const frames = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(frames[0]).toHaveProperty('hello');
    expect(frames[1]).toEqual({ id: 1, result: { actor: 'anna' } });
    expect(seen).toEqual(['anna']);
  });

  it('refuses to run for anything but its forced command: a shell, a command, sftp, another name', async () => {
    for (const args of [
      [],
      ['-c', 'bash'],
      ['-c', 'internal-sftp'],
      ['-c', '/usr/lib/openssh/sftp-server'],
      ['-c', 'scp -t /tmp'],
      ['-c', 'truffles-door Anna'],
      ['-c', 'truffles-door anna; id'],
      ['-c', 'truffles-door anna\nid'],
      ['-i'],
    ]) {
      const r = await runDoor(args, 'id\n');
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('serves only the support door');
    }
  });

  it('refuses whatever the client asked for but the door: a shell, sftp, scp, a command (before reaching the agent)', async () => {
    const before = seen.length;
    for (const asked of [
      null,
      '',
      'bash',
      'internal-sftp',
      'scp -f /etc/passwd',
      'truffles-door; id',
      'truffles-door x',
    ]) {
      const r = await runDoor(['-c', 'truffles-door anna'], 'id\n', asked);
      expect(r.code, String(asked)).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('serves only the support door');
    }
    expect(seen.length).toBe(before);
  });
});
