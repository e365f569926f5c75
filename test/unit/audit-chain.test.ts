import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  chainHash,
  GENESIS,
  keepCheckpoints,
  parseChainLine,
  verifyChain,
  type Checkpoint,
} from '../../src/main/core/audit/chain';
import { auditAppendCommand } from '../../src/main/core/audit/commands';
import { tempDir } from '../helpers/tmp';

const run = promisify(execFile);

/** A chain of `n` records as the host's writer lays them out. */
function chainOf(n: number, body = (i: number) => ({ action: `a${i}`, actor: 'alice' })): string[] {
  const lines: string[] = [];
  let prev = GENESIS;
  for (let i = 1; i <= n; i++) {
    const text = JSON.stringify(body(i));
    const hash = chainHash(prev, text);
    lines.push(`{"seq":${i},"prev":"${prev}","hash":"${hash}","body":${text}}`);
    prev = hash;
  }
  return lines;
}

const at = '2026-12-06T10:00:00Z';
const cp = (lines: string[], seq: number): Checkpoint => ({
  seq,
  hash: parseChainLine(lines[seq - 1]!)!.hash,
  at,
});

describe('the audit chain', () => {
  it('holds as written, and reports its head', () => {
    const lines = chainOf(20);
    const r = verifyChain(lines, [cp(lines, 5), cp(lines, 20)]);
    expect(r).toMatchObject({ ok: true, records: 20, checkpointsMatched: 2, problem: null });
    expect(r.head).toEqual({ seq: 20, hash: parseChainLine(lines[19]!)!.hash });
    expect(verifyChain([])).toMatchObject({ ok: true, records: 0, head: null });
  });

  it('finds a flipped byte anywhere in a record', () => {
    const lines = chainOf(12);
    // Every byte position of record 7: each flip is found, at record 7 or (a link field) at 8.
    const original = lines[6]!;
    let found = 0;
    for (let i = 0; i < original.length; i++) {
      const c = original.charCodeAt(i);
      const flipped = original.slice(0, i) + String.fromCharCode(c ^ 1) + original.slice(i + 1);
      const copy = [...lines];
      copy[6] = flipped;
      const r = verifyChain(copy);
      if (!r.ok) found++;
      expect(r.ok, `flip at ${i} (${original[i]})`).toBe(false);
      expect([7, 8]).toContain(r.problem!.line);
    }
    expect(found).toBe(original.length);
  });

  it('finds a removed record, a removed run, reordered and repeated records', () => {
    const lines = chainOf(10);
    const removed = verifyChain(lines.filter((_, i) => i !== 4));
    expect(removed.problem).toMatchObject({ kind: 'removed', line: 5, seq: 5 });
    expect(removed.problem!.message).toContain('Record 5 is missing');
    expect(verifyChain([...lines.slice(0, 3), ...lines.slice(6)]).problem).toMatchObject({
      kind: 'removed',
      line: 4,
    });
    const swapped = [...lines];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    expect(verifyChain(swapped).problem).toMatchObject({ kind: 'removed', line: 4 });
    const repeated = [...lines.slice(0, 6), lines[2]!, ...lines.slice(6)];
    expect(verifyChain(repeated).problem).toMatchObject({ kind: 'reordered', line: 7 });
    // The first record removed: the chain must start at 1.
    expect(verifyChain(lines.slice(1)).problem).toMatchObject({ kind: 'removed', line: 1 });
  });

  it('finds a record whose body was changed and whose seq was renumbered to hide a removal', () => {
    const lines = chainOf(6);
    const edited = [...lines];
    edited[2] = edited[2]!.replace('"a3"', '"a9"');
    expect(verifyChain(edited).problem).toMatchObject({ kind: 'altered', line: 3 });
    // Record 3 removed and the rest renumbered: the links give it away.
    const renumbered = [
      lines[0]!,
      lines[1]!,
      ...lines.slice(3).map((l) => l.replace(/^\{"seq":(\d+)/, (_, n) => `{"seq":${Number(n) - 1}`)),
    ];
    expect(verifyChain(renumbered).problem).toMatchObject({ kind: 'broken-link', line: 3 });
  });

  it('a rebuilt, self-consistent chain passes alone and fails against the checkpoints kept off the host', () => {
    const real = chainOf(30);
    const kept = [cp(real, 10), cp(real, 20), cp(real, 30)];
    // Someone root on the host rewrites record 15 and recomputes every hash after it.
    const fake = chainOf(30, (i) => ({ action: i === 15 ? 'nothing-happened' : `a${i}`, actor: 'alice' }));
    expect(verifyChain(fake).ok).toBe(true);
    const r = verifyChain(fake, kept);
    expect(r.problem).toMatchObject({ kind: 'rewritten', line: 20, seq: 20 });
    expect(r.checkpointsMatched).toBe(1);
    // Cut short after the console saw record 30.
    expect(verifyChain(real.slice(0, 25), kept).problem).toMatchObject({ kind: 'truncated', line: 26 });
  });

  it('refuses lines that are not records', () => {
    const lines = chainOf(3);
    expect(verifyChain([...lines, '']).problem?.kind).toBe('malformed');
    expect(verifyChain([lines[0]!, '{"at":"x","actor":"me"}', lines[1]!]).problem).toMatchObject({
      kind: 'malformed',
      line: 2,
    });
    expect(parseChainLine(`{"seq":1,"prev":"${GENESIS}","hash":"${GENESIS}","body":[1]}`)).toBeNull();
  });

  it('keeps recent checkpoints and one per stretch of older ones', () => {
    const all = Array.from({ length: 1000 }, (_, i) => ({ seq: i + 1, hash: 'h', at }));
    const kept = keepCheckpoints(all);
    expect(kept.at(-1)!.seq).toBe(1000);
    expect(kept.filter((c) => c.seq > 968)).toHaveLength(32);
    expect(kept.length).toBeLessThan(32 + 1000 / 64 + 2);
    const older = kept.filter((c) => c.seq <= 968).map((c) => Math.floor(c.seq / 64));
    expect(new Set(older).size).toBe(older.length);
  });
});

describe("the host's writer script (run here by sh, as the host runs it)", () => {
  const append = async (
    stateDir: string,
    record: string,
    env: Record<string, string> = {},
    vouched?: string,
  ): Promise<string> => {
    const [cmd, ...args] = auditAppendCommand(stateDir, record, vouched);
    const r = await run(cmd!, args, { env: { PATH: process.env.PATH!, ...env } });
    return r.stdout.trim();
  };
  const trail = (stateDir: string): string[] =>
    readFileSync(join(stateDir, 'audit', 'trail.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');

  it('chains records from four writers at once, each line whole, and prints each head', async () => {
    const t = tempDir();
    try {
      const heads: string[] = [];
      await Promise.all(
        [1, 2, 3, 4].map(async (w) => {
          for (let i = 0; i < 25; i++)
            heads.push(
              await append(
                t.dir,
                JSON.stringify({ at, action: 'test', details: { w, i, note: 'ü "q" \\ %s' } }),
              ),
            );
        }),
      );
      const lines = trail(t.dir);
      expect(lines).toHaveLength(100);
      const r = verifyChain(
        lines,
        heads.map((h) => ({ seq: Number(h.split(' ')[0]), hash: h.split(' ')[1]!, at })),
      );
      expect(r).toMatchObject({ ok: true, records: 100, checkpointsMatched: 100 });
      const body = parseChainLine(lines[0]!)!.body;
      expect(body.details).toMatchObject({ note: 'ü "q" \\ %s' });
      expect(body.proof).toBe('none');
      expect(String(body.actor)).toMatch(/^account:/);
    } finally {
      t.cleanup();
    }
  }, 60_000);

  it('names the key that logged in (ExposeAuthInfo), never the actor a record claims', async () => {
    const t = tempDir();
    try {
      const key = join(t.dir, 'alice_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'x', '-f', key]);
      const pub = readFileSync(`${key}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
      const fp = execFileSync('ssh-keygen', ['-lf', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
      const auth = join(t.dir, 'ssh-auth');
      writeFileSync(auth, `publickey ${pub}\n`);
      const unnamed = await append(t.dir, '{"at":"x","action":"one","actor":"mallory"}', {
        SSH_USER_AUTH: auth,
      });
      mkdirSync(join(t.dir, 'access'));
      writeFileSync(join(t.dir, 'access', 'keys'), `SHA256:other bob operator\n${fp} alice operator\n`);
      await append(t.dir, '{"at":"x","action":"two","actor":"mallory","proof":"key"}', {
        SSH_USER_AUTH: auth,
      });
      await append(t.dir, '{"at":"x","action":"three"}', {}, 'support-anna');
      const bodies = trail(t.dir).map((l) => JSON.parse(l).body as Record<string, unknown>);
      expect(bodies.map((b) => [b.action, b.actor, b.proof])).toEqual([
        ['one', `key:${fp}`, 'key'],
        ['two', 'alice', 'key'],
        ['three', 'support-anna', 'host'],
      ]);
      expect(unnamed).toBe(`1 ${parseChainLine(trail(t.dir)[0]!)!.hash} key:${fp} key`);
      expect(verifyChain(trail(t.dir)).ok).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  it('opens the chain with an earlier plain trail, refuses to extend a damaged one, and refuses non-records', async () => {
    const t = tempDir();
    try {
      writeFileSync(
        join(t.dir, 'audit.jsonl'),
        '{"at":"a","actor":"op@laptop","action":"host.add","subject":"host:x","details":{}}\nnot json\n{"at":"b","actor":"op@laptop","action":"host.repin","subject":"host:x","details":{}}\n',
      );
      expect(await append(t.dir, '{"at":"c","action":"new"}')).toMatch(/^3 /);
      const bodies = trail(t.dir).map((l) => JSON.parse(l).body as Record<string, unknown>);
      expect(bodies.map((b) => [b.action, b.legacy ?? false])).toEqual([
        ['host.add', true],
        ['host.repin', true],
        ['new', false],
      ]);
      await expect(append(t.dir, 'not a record')).rejects.toThrow();
      await expect(append(t.dir, '{"a":1}\n{"b":2}')).rejects.toThrow();
      writeFileSync(join(t.dir, 'audit', 'trail.jsonl'), `${trail(t.dir).join('\n')}\ngarbage\n`);
      await expect(append(t.dir, '{"at":"d","action":"after"}')).rejects.toThrow(/not a record/);
    } finally {
      t.cleanup();
    }
  });
});
