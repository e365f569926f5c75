import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash, GENESIS, parseChainLine } from '../../src/main/core/audit/chain';
import { auditAppendCommand } from '../../src/main/core/audit/commands';
import { appendAudit } from '../../src/main/core/audit/trail';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { runTruffles, type CliResult } from '../helpers/cli';
import { addSandboxHost } from '../helpers/hosts';
import { sandbox } from '../helpers/sandbox';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 17's audit trail on the real test host (its sshd has ExposeAuthInfo on): two operators'
 * consoles, each logging in with their own key to the one operator account, write one hash chain;
 * the host names each from the key, whatever a console claims; tampering with the file on the host
 * — a flipped byte, a removed record, records reordered, a rebuilt self-consistent chain — is found
 * by `truffles audit verify`; four consoles writing 1,000 records each keep the chain whole.
 */
const PASSPHRASE = 'audit test passphrase';
let t: ReturnType<typeof tempDir>;
let alice: Core;
let bob: Core;
let bobKey: string;
let trailPath: string;

function newCore(home: string): Core {
  return new Core({
    home: join(t.dir, home),
    secrets: new PassphraseProvider(async () => PASSPHRASE),
    mode: 'cli',
  });
}

function truffles(home: string, ...args: string[]): CliResult {
  return runTruffles({ home: join(t.dir, home), passphrase: PASSPHRASE }, ...args);
}

const trail = (): string[] => readFileSync(trailPath, 'utf8').trimEnd().split('\n');
const bodies = (): Array<Record<string, unknown> & { seq: number }> =>
  trail().map((l) => ({ ...parseChainLine(l)!.body, seq: parseChainLine(l)!.seq }));

beforeAll(async () => {
  t = tempDir();
  const sb = sandbox();
  alice = newCore('alice');
  await addSandboxHost(alice, 'sb');
  trailPath = join((await alice.hosts.get('sb')).stateDir, 'audit', 'trail.jsonl');
  // Alice names herself by the key she logs in with, and lets Bob in with his own.
  await alice.call('access.grant', {
    host: 'sb',
    name: 'alice',
    role: 'operator',
    publicKey: readFileSync(`${sb.keyPath}.pub`, 'utf8'),
  });
  // A run killed between this grant and afterAll's revoke leaves "bob" bound to its own key.
  await alice.call('access.revoke', { host: 'sb', name: 'bob' });
  bobKey = join(t.dir, 'bob_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob@laptop', '-f', bobKey]);
  await alice.call('access.grant', {
    host: 'sb',
    name: 'bob',
    role: 'operator',
    publicKey: readFileSync(`${bobKey}.pub`, 'utf8'),
  });
  bob = newCore('bob');
  await addSandboxHost(bob, 'sb', { auth: { kind: 'keyFile', path: bobKey } });
}, 120_000);

afterAll(async () => {
  await alice?.call('access.revoke', { host: 'sb', name: 'bob' }).catch(() => undefined);
  await alice?.close();
  await bob?.close();
  t?.cleanup();
}, 60_000);

describe('the audit trail: one chain, people named by their keys, tampering found', () => {
  it("two operators' commands are in one chain under their own names, failures included", async () => {
    const list = await alice.call('access.list', { host: 'sb' });
    expect(list.identityFromKeys).toBe(true);
    expect(list.keys.find((k) => k.you)?.name).toBe('alice');
    expect(list.keys.map((k) => k.name)).toEqual(expect.arrayContaining(['alice', 'bob']));
    expect((await bob.call('access.list', { host: 'sb' })).keys.find((k) => k.you)?.name).toBe('bob');

    const before = trail().length;
    // Bob revokes a name nobody has (succeeds, changes nothing); Alice tries to give Bob's name to
    // another key (refused): both are commands that change things, so both are recorded.
    await bob.call('access.revoke', { host: 'sb', name: 'nobody' });
    const other = join(t.dir, 'other_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const refused = await alice
      .call('access.grant', {
        host: 'sb',
        name: 'bob',
        role: 'operator',
        publicKey: readFileSync(`${other}.pub`, 'utf8'),
      })
      .catch((e: unknown) => e as { code: string });
    expect(refused).toMatchObject({ code: 'access.name-taken' });

    const mine = bodies().slice(before);
    expect(
      mine.map((b) => [b.action, b.actor, b.proof, (b.details as { command?: string }).command]),
    ).toEqual([
      ['command.start', 'bob', 'key', 'access.revoke'],
      ['command.ok', 'bob', 'key', 'access.revoke'],
      ['command.start', 'alice', 'key', 'access.grant'],
      ['command.failed', 'alice', 'key', 'access.grant'],
    ]);
    expect((mine[3]!.details as { code: string }).code).toBe('access.name-taken');
    // What each console said it was is kept beside, never instead.
    expect(mine.every((b) => typeof b.claimed === 'string' && String(b.claimed).includes('@'))).toBe(true);
    // Nothing of the input beyond what names the subject: no key material in the trail.
    expect(readFileSync(trailPath, 'utf8')).not.toContain(
      readFileSync(`${other}.pub`, 'utf8').split(' ')[1]!,
    );

    // The Audit view reads the chain: people, proofs and places.
    const entries = await alice.call('hosts.audit', { name: 'sb', limit: 4 });
    expect(entries.map((e) => [e.actor, e.proof])).toEqual([
      ['alice', 'key'],
      ['alice', 'key'],
      ['bob', 'key'],
      ['bob', 'key'],
    ]);
    expect(entries[0]!.seq).toBe(mine[3]!.seq);
  }, 120_000);

  it('a record claiming another actor is recorded with the real one', async () => {
    // A modified console: Bob's connection sends records that say they are Alice's.
    const tr = await bob.hosts.transport('sb');
    const stateDir = (await bob.hosts.get('sb')).stateDir;
    const forged = JSON.stringify({
      at: new Date().toISOString(),
      action: 'command.start',
      subject: 'host:sb',
      details: {},
      actor: 'alice',
      proof: 'key',
      claimed: 'alice@her-laptop',
    });
    const r = await tr.exec(auditAppendCommand(stateDir, forged, 'alice'), { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ bob key\n$/);
    const last = bodies().at(-1)!;
    expect(last).toMatchObject({ actor: 'bob', proof: 'key', claimed: 'alice@her-laptop' });
    // JSON's last key wins: the host's fields come after anything a console put in.
    expect(trail().at(-1)!.lastIndexOf('"actor":"bob"')).toBeGreaterThan(
      trail().at(-1)!.indexOf('"actor":"alice"'),
    );
    const shown = (await alice.call('hosts.audit', { name: 'sb', limit: 1 }))[0]!;
    expect(shown).toMatchObject({ actor: 'bob', claimed: 'alice@her-laptop' });
  }, 60_000);

  it('a flipped byte, a removed record, reordered records and a rebuilt chain are each found by `truffles audit verify`', async () => {
    // Alice's console keeps checkpoints of the heads it saw (its own appends, its verifications).
    const ok = truffles('alice', 'audit', 'verify', 'sb');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/The audit trail of sb holds: \d+ records/);
    const original = readFileSync(trailPath);
    const lines = trail();
    const n = lines.length;
    expect(n).toBeGreaterThan(8);
    const tamper = (next: string[] | Buffer, kind: string): string => {
      writeFileSync(trailPath, Array.isArray(next) ? `${next.join('\n')}\n` : next);
      try {
        const r = truffles('alice', 'audit', 'verify', 'sb', '--json');
        expect(r.code, `${kind}: ${r.stdout}${r.stderr}`).toBe(1);
        const report = JSON.parse(r.stdout) as { ok: boolean; problem: { kind: string; line: number } };
        expect(report.ok).toBe(false);
        expect(report.problem.kind, r.stdout).toBe(kind);
        return `${report.problem.kind}@${report.problem.line}`;
      } finally {
        writeFileSync(trailPath, original);
      }
    };
    const mid = Math.floor(n / 2);
    // A byte of a record's text flipped (a digit of its time).
    const flipped = Buffer.from(original);
    const at = original.indexOf(Buffer.from('"at":"'), original.indexOf(Buffer.from(lines[mid]!))) + 8;
    flipped[at] = flipped[at]! ^ 1;
    expect(tamper(flipped, 'altered')).toBe(`altered@${mid + 1}`);
    // A record removed.
    expect(tamper([...lines.slice(0, mid), ...lines.slice(mid + 1)], 'removed')).toBe(`removed@${mid + 1}`);
    // Two records swapped.
    const swapped = [...lines];
    [swapped[mid], swapped[mid + 1]] = [swapped[mid + 1]!, swapped[mid]!];
    expect(tamper(swapped, 'removed')).toBe(`removed@${mid + 1}`);
    // A record rewritten and every hash after it recomputed: self-consistent, but not what Alice saw.
    const rebuilt: string[] = [];
    let prev = GENESIS;
    for (const [i, l] of lines.entries()) {
      const r = parseChainLine(l)!;
      const body =
        i === 2 ? r.bodyText.replace(/"action":"[^"]*"/, '"action":"nothing.happened"') : r.bodyText;
      const hash = chainHash(prev, body);
      rebuilt.push(`{"seq":${r.seq},"prev":"${prev}","hash":"${hash}","body":${body}}`);
      prev = hash;
    }
    expect(rebuilt[2]).not.toBe(lines[2]);
    tamper(rebuilt, 'rewritten');
    // Records cut from the end.
    tamper(lines.slice(0, n - 2), 'truncated');
    // Restored: it holds again.
    expect(truffles('alice', 'audit', 'verify', 'sb').code).toBe(0);
  }, 300_000);

  it('four consoles writing 1,000 records each keep one valid chain', async () => {
    const writers = [alice, bob, newCore('c3'), newCore('c4')];
    await addSandboxHost(writers[2]!, 'sb');
    await addSandboxHost(writers[3]!, 'sb', { auth: { kind: 'keyFile', path: bobKey } });
    const before = trail().length;
    const started = Date.now();
    try {
      await Promise.all(
        writers.map(async (core, w) => {
          const tr = await core.hosts.transport('sb');
          const host = await core.hosts.get('sb');
          for (let i = 0; i < 1000; i++)
            await appendAudit(tr, host, { action: 'test.concurrent', subject: 'host:sb', details: { w, i } });
        }),
      );
    } finally {
      await writers[2]!.close();
      await writers[3]!.close();
    }
    const ms = Date.now() - started;
    console.log(`4 × 1,000 audit records: ${ms} ms (${(ms / 4000).toFixed(1)} ms a record)`);
    const added = bodies().slice(before);
    expect(added).toHaveLength(4000);
    for (let w = 0; w < 4; w++) {
      const mine = added
        .filter((b) => (b.details as { w: number }).w === w)
        .map((b) => (b.details as { i: number }).i);
      // Each writer's records all there, in its order.
      expect(mine).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    }
    expect(new Set(added.map((b) => b.actor))).toEqual(new Set(['alice', 'bob']));
    const v = await alice.call('audit.verify', { host: 'sb' });
    expect(v).toMatchObject({ ok: true, problem: null });
    expect(v.records).toBe(trail().length);
  }, 600_000);
});
