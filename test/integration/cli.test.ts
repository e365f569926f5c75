import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTruffles, type CliResult } from '../helpers/cli';
import { sandbox, startExtraSshd } from '../helpers/sandbox';
import { tempDir } from '../helpers/tmp';

/** The `truffles` command, run as a person or a script would, against the real test host. */
let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

/** `--address --port --user --key` of the sandbox host, or of an extra sshd on 127.0.0.1 at `port`. */
function sandboxArgs(port?: number): string[] {
  const sb = sandbox();
  return [
    '--address',
    port ? '127.0.0.1' : sb.address,
    '--port',
    String(port ?? sb.port),
    '--user',
    sb.user,
    '--key',
    sb.keyPath,
  ];
}

function truffles(...args: string[]): CliResult {
  return runTruffles(
    { home: join(t.dir, 'home'), passphrase: 'cli test passphrase', timeoutMs: 60_000 },
    ...args,
  );
}

describe('truffles host', () => {
  it('add then check --json prints the Docker and Compose versions of the real host', () => {
    const sb = sandbox();
    const add = truffles(
      'host',
      'add',
      'sandbox',
      ...sandboxArgs(),
      '--accept-fingerprint',
      sb.fingerprint,
      '--json',
    );
    expect(add.stderr).toContain(sb.fingerprint);
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout).host.fingerprint).toBe(sb.fingerprint);
    const check = truffles('host', 'check', 'sandbox', '--json');
    expect(check.code).toBe(0);
    const c = JSON.parse(check.stdout);
    expect(c.facts.docker.version).toBe(sb.dockerVersion);
    expect(c.facts.compose.version).toBe(sb.composeVersion);
    expect(c.facts.compose.v2).toBe(true);
    const list = truffles('host', 'list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((h: { name: string }) => h.name)).toEqual(['sandbox']);
    const human = truffles('host', 'list');
    expect(human.stdout).toMatch(/^NAME\s+KIND\s+ADDRESS/);
    expect(human.stdout).toContain(sb.dockerVersion);
    expect(truffles('host', 'forget', 'sandbox').code).toBe(0);
    expect(JSON.parse(truffles('host', 'list', '--json').stdout)).toEqual([]);
  });

  it('without a terminal and without --accept-fingerprint it pins nothing and says how to confirm (exit 2)', () => {
    const sb = sandbox();
    const r = truffles('host', 'add', 'sandbox', ...sandboxArgs());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--accept-fingerprint ${sb.fingerprint}`);
    expect(JSON.parse(truffles('host', 'list', '--json').stdout)).toEqual([]);
  });

  it('a fingerprint that does not match is refused (exit 1) and nothing is added', () => {
    const sb = sandbox();
    const r = truffles(
      'host',
      'add',
      'sandbox',
      ...sandboxArgs(),
      '--accept-fingerprint',
      `SHA256:${'B'.repeat(43)}`,
    );
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(lines[0]).toContain(sb.fingerprint);
    expect(JSON.parse(truffles('host', 'list', '--json').stdout)).toEqual([]);
  });

  it('after the host key is replaced, check fails and shows both fingerprints', async () => {
    const extra = await startExtraSshd();
    try {
      expect(
        truffles(
          'host',
          'add',
          'moving',
          ...sandboxArgs(extra.port),
          '--accept-fingerprint',
          extra.fingerprint,
        ).code,
      ).toBe(0);
      const newFp = await extra.rotateHostKey();
      const r = truffles('host', 'check', 'moving');
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toMatch(/^error: HOST KEY CHANGED/);
      expect(r.stderr).toContain(extra.fingerprint);
      expect(r.stderr).toContain(newFp);
      expect(r.stdout).toContain(`pinned:  ${extra.fingerprint}`);
      expect(r.stdout).toContain(`offered: ${newFp}`);
    } finally {
      await extra.stop();
    }
  });

  it('usage errors exit 2 with a first line that says what is wrong', () => {
    const r1 = truffles('host', 'frobnicate');
    expect(r1.code).toBe(2);
    expect(r1.stderr.split('\n')[0]).toMatch(/unknown command/);
    const r2 = truffles('host', 'add', 'x', '--address', 'h', '--port', 'seventy');
    expect(r2.code).toBe(2);
    expect(r2.stderr.split('\n')[0]).toMatch(/^error: --port: Port must be/);
    const r3 = truffles('host', 'add', 'x', '--address', '127.0.0.1');
    expect(r3.code).toBe(2);
    expect(r3.stderr.split('\n')[0]).toMatch(/No authentication given/);
    const r4 = truffles('host', 'check', 'nobody');
    expect(r4.code).toBe(1);
    expect(r4.stderr.split('\n')[0]).toMatch(/There is no host named 'nobody'/);
  });

  it('add --jump --label, facts, and repin after a verified key change', async () => {
    const sb = sandbox();
    const jump = await startExtraSshd();
    const target = await startExtraSshd();
    try {
      expect(
        truffles(
          'host',
          'add',
          'bastion',
          ...sandboxArgs(jump.port),
          '--accept-fingerprint',
          jump.fingerprint,
        ).code,
      ).toBe(0);
      const add = truffles(
        'host',
        'add',
        'inner',
        ...sandboxArgs(target.port),
        '--jump',
        'bastion',
        '--label',
        'region=almaty',
        '--label',
        'kind=onprem',
        '--base-domain',
        'Bots.Example.kz',
        '--accept-fingerprint',
        target.fingerprint,
        '--json',
      );
      expect(add.code).toBe(0);
      expect(add.stderr).toContain('(via bastion)');
      expect(JSON.parse(add.stdout).host).toMatchObject({
        jump: ['bastion'],
        labels: { region: 'almaty', kind: 'onprem' },
        baseDomain: 'bots.example.kz',
      });
      const facts = truffles('host', 'facts', 'inner', '--json');
      expect(facts.code).toBe(0);
      expect(JSON.parse(facts.stdout).docker.version).toBe(sb.dockerVersion);
      const newFp = await jump.rotateHostKey();
      expect(truffles('host', 'check', 'inner').code).toBe(1);
      const wrong = truffles('host', 'repin', 'bastion', '--accept-fingerprint', `SHA256:${'C'.repeat(43)}`);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr.split('\n')[0]).toContain(newFp);
      const repin = truffles('host', 'repin', 'bastion', '--accept-fingerprint', newFp);
      expect(repin.code).toBe(0);
      expect(truffles('host', 'check', 'inner').code).toBe(0);
      expect(truffles('host', 'add', 'x', ...sandboxArgs(), '--label', 'no-equals').code).toBe(2);
    } finally {
      await jump.stop();
      await target.stop();
    }
  });
});

describe('truffles backup and fleet', () => {
  it('usage errors say what is wrong before anything is asked of a host (exit 2)', () => {
    const r1 = truffles('backup', 'restore', 'acme', '--backup', 'yesterday', '--confirm', 'acme');
    expect(r1.code).toBe(2);
    expect(r1.stderr.split('\n')[0]).toMatch(/--backup: A backup id looks like 20261125T030000Z-scheduled/);
    const r2 = truffles(
      'backup',
      'restore',
      'acme',
      '--backup',
      '20261125T030000Z-scheduled',
      '--confirm',
      'acm',
    );
    expect(r2.code).toBe(2);
    expect(r2.stderr.split('\n')[0]).toMatch(/--confirm must repeat the slug 'acme'/);
    const r3 = truffles('backup', 'schedule', 'sb', '--at', '25:00');
    expect(r3.code).toBe(2);
    expect(r3.stderr.split('\n')[0]).toMatch(/HH:MM/);
    const r4 = truffles('backup', 'schedule', 'sb', '--offsite', 'backup@reserve:/srv/x');
    expect(r4.code).toBe(2);
    expect(r4.stderr.split('\n')[0]).toMatch(/needs --offsite-key/);
    const r5 = truffles('fleet', 'update');
    expect(r5.code).toBe(1);
    expect(r5.stderr.split('\n')[0]).toMatch(/Choose which tenants to update/);
    const r6 = truffles('backup', 'create', 'acme', '--host', 'nobody');
    expect(r6.code).toBe(1);
    expect(r6.stderr.split('\n')[0]).toMatch(/There is no host named 'nobody'/);
  });
});
