import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../src/shared/contract';
import { LogBuffer } from '../../src/renderer/src/features/logs/buffer';
import { frameQueue } from '../../src/renderer/src/features/logs/batcher';
import { guessLevel } from '../../src/renderer/src/features/logs/level';
import {
  downloadName,
  entryAsText,
  formatClock,
  mergeByTime,
  momentKey,
  parseMoment,
  serviceColour,
} from '../../src/renderer/src/features/logs/lines';
import {
  compileQuery,
  isCaseSensitive,
  MatchIndex,
  splitMatches,
} from '../../src/renderer/src/features/logs/search';

const line = (n: number, service = 'redis', text = `line ${n}`): LogLine => ({
  t: `2026-12-06T07:00:00.${String(n % 1_000_000_000).padStart(9, '0')}Z`,
  service,
  stream: n % 7 === 0 ? 'stderr' : 'stdout',
  text,
});

describe('the log buffer', () => {
  it('keeps the newest lines in order up to its capacity and counts the dropped', () => {
    const b = new LogBuffer(5);
    b.pushLines([1, 2, 3].map((n) => line(n)));
    expect(b.size).toBe(3);
    expect(b.dropped).toBe(0);
    b.pushLines([4, 5, 6, 7].map((n) => line(n)));
    expect(b.size).toBe(5);
    expect(b.dropped).toBe(2);
    expect(b.toArray().map((e) => e.text)).toEqual(['line 3', 'line 4', 'line 5', 'line 6', 'line 7']);
    expect(b.toArray().map((e) => e.seq)).toEqual([2, 3, 4, 5, 6]);
    expect(b.startSeq).toBe(2);
    expect(b.endSeq).toBe(7);
    expect(b.bySeq(1)).toBeUndefined();
    expect(b.bySeq(4)?.text).toBe('line 5');
    expect(b.at(5)).toBeUndefined();
  });

  it('takes a batch larger than itself: only its end stays, the rest counted as dropped', () => {
    const b = new LogBuffer(3);
    b.pushLines([line(0)]);
    b.pushLines([1, 2, 3, 4, 5, 6].map((n) => line(n)));
    expect(b.toArray().map((e) => e.text)).toEqual(['line 4', 'line 5', 'line 6']);
    expect(b.dropped).toBe(4);
    expect(b.endSeq).toBe(7);
    b.pushLines([line(7)]);
    expect(b.toArray().map((e) => e.text)).toEqual(['line 5', 'line 6', 'line 7']);
  });

  it('keeps notices in the stream, in arrival order, and guesses each line’s level', () => {
    const b = new LogBuffer(10);
    b.pushLines([line(1, 'redis', 'ERROR something broke')]);
    b.pushNotice('resumed', '', '2026-12-06T07:00:01Z');
    b.pushLines([line(2, 'n8n', 'all good')]);
    expect(b.toArray().map((e) => [e.notice ?? e.service, e.level])).toEqual([
      ['redis', 'error'],
      ['resumed', 'info'],
      ['n8n', 'info'],
    ]);
  });

  it('holds 300,000 lines pushed in batches of 500 in its bound, in order, with the dropped counted', () => {
    const capacity = 20_000;
    const b = new LogBuffer(capacity);
    const total = 300_000;
    const batch = 500;
    const started = performance.now();
    for (let from = 0; from < total; from += batch) {
      const lines: LogLine[] = [];
      for (let n = from; n < from + batch; n++) lines.push(line(n, `svc${n % 4}`));
      b.pushLines(lines);
      expect(b.size).toBeLessThanOrEqual(capacity);
    }
    const ms = performance.now() - started;
    console.log(`log buffer: ${total} lines in batches of ${batch} in ${ms.toFixed(0)} ms`);
    expect(b.size).toBe(capacity);
    expect(b.dropped).toBe(total - capacity);
    const kept = b.toArray();
    expect(kept[0]!.text).toBe(`line ${total - capacity}`);
    expect(kept.at(-1)!.text).toBe(`line ${total - 1}`);
    for (let i = 1; i < kept.length; i++) expect(kept[i]!.seq).toBe(kept[i - 1]!.seq + 1);
    expect(kept.every((e, i) => e.text === `line ${total - capacity + i}`)).toBe(true);
    // 5,000 lines a second is 300,000 in a minute: taking them must cost far less than that.
    expect(ms).toBeLessThan(10_000);
  });
});

describe('level guessing', () => {
  it.each([
    ['2026-12-06 07:00:00.000 UTC [1] FATAL:  password authentication failed', 'error'],
    ['2026-12-06 07:00:00.000 UTC [1] PANIC:  could not write', 'error'],
    ['level=error msg="failed"', 'error'],
    ['{"level":"error","message":"boom"}', 'error'],
    ['panic: runtime error: index out of range', 'error'],
    ['Traceback (most recent call last):', 'error'],
    ['WARNING: no memory overcommit', 'warn'],
    ['[warn] slow query', 'warn'],
    ['DEBUG connecting', 'debug'],
    ['level=trace step=1', 'debug'],
    ['1:M 06 Dec 2026 07:00:00.000 * Ready to accept connections tcp', 'info'],
    ['Editor is now accessible via: http://localhost:5678', 'info'],
    ['no errors here: errorless', 'info'],
  ])('%s → %s', (text, level) => {
    expect(guessLevel(text)).toBe(level);
  });

  it('looks only at the start of a long line', () => {
    expect(guessLevel(`${'x '.repeat(200)}error`)).toBe('info');
  });
});

describe('search', () => {
  it('is case-sensitive only when the query has a capital letter', () => {
    expect(isCaseSensitive('ready')).toBe(false);
    expect(isCaseSensitive('Ready')).toBe(true);
    expect(compileQuery('ready', false).re!.test('Ready to accept')).toBe(true);
    expect(compileQuery('Ready', false).re!.test('ready to accept')).toBe(false);
  });

  it('reads plain text literally and a regex as one, and says why a regex is invalid', () => {
    expect(splitMatches('a.b axb', compileQuery('a.b', false).re)).toEqual([
      { text: 'a.b', match: true },
      { text: ' axb', match: false },
    ]);
    expect(splitMatches('a.b axb', compileQuery('a.b', true).re).filter((p) => p.match)).toHaveLength(2);
    const bad = compileQuery('(unclosed', true);
    expect(bad.re).toBeNull();
    expect(bad.error).toMatch(/./);
    expect(compileQuery('', true)).toEqual({ re: null, error: null });
    expect(compileQuery('x*', true)).toEqual({ re: null, error: 'empty' });
  });

  it('cuts a line into plain and matching pieces that join back to the line', () => {
    const re = compileQuery('ready', false).re;
    const text = 'Ready to accept connections; READY again; not rea dy';
    const pieces = splitMatches(text, re);
    expect(pieces.map((p) => p.text).join('')).toBe(text);
    expect(pieces.filter((p) => p.match).map((p) => p.text)).toEqual(['Ready', 'READY']);
    expect(splitMatches('nothing', re)).toEqual([{ text: 'nothing', match: false }]);
    expect(splitMatches('plain', null)).toEqual([{ text: 'plain', match: false }]);
    // The same RegExp works again (its lastIndex is reset).
    expect(splitMatches(text, re).filter((p) => p.match)).toHaveLength(2);
  });

  it('keeps the matching entries as lines arrive and old ones are dropped', () => {
    const b = new LogBuffer(10);
    const idx = new MatchIndex(b, compileQuery('hit', false).re!);
    b.pushLines([0, 1, 2, 3, 4].map((n) => line(n, 'redis', n % 2 ? 'hit' : 'miss')));
    idx.update();
    expect(idx.count).toBe(2);
    expect([idx.seqAt(0), idx.seqAt(1)]).toEqual([1, 3]);
    b.pushNotice('resumed', 'hit');
    b.pushLines([5, 6, 7, 8, 9, 10, 11, 12].map((n) => line(n, 'redis', n % 2 ? 'hit' : 'miss')));
    idx.update();
    // Held: seqs 4..13; the notice (seq 5) is never matched; hits are lines 5, 7, 9, 11 (seqs 6, 8, 10, 12).
    expect(b.startSeq).toBe(4);
    expect(idx.count).toBe(4);
    expect([0, 1, 2, 3].map((i) => idx.seqAt(i))).toEqual([6, 8, 10, 12]);
    expect(idx.indexOfSeq(7)).toBe(1);
    expect(idx.indexOfSeq(100)).toBe(4);
    expect(idx.indexOfSeq(0)).toBe(0);
  });
});

describe('the frame queue', () => {
  it('hands over everything pushed before a frame in one call, in order', () => {
    const frames: (() => void)[] = [];
    const delivered: number[][] = [];
    const q = frameQueue<number>(
      (items) => delivered.push(items),
      (run) => {
        frames.push(run);
        return () => frames.splice(frames.indexOf(run), 1);
      },
    );
    q.push([1, 2]);
    q.push([3]);
    q.push([]);
    expect(frames).toHaveLength(1);
    expect(q.pending).toBe(3);
    expect(delivered).toEqual([]);
    frames.shift()!();
    expect(delivered).toEqual([[1, 2, 3]]);
    q.push([4]);
    expect(frames).toHaveLength(1);
    q.clear();
    expect(frames).toHaveLength(0);
    expect(q.pending).toBe(0);
    q.push([5]);
    q.flush();
    expect(delivered).toEqual([[1, 2, 3], [5]]);
    expect(frames).toHaveLength(0);
  });

  it('takes 5,000 lines a second for a minute in 60 frames a second, never a delivery per line', () => {
    const frames: (() => void)[] = [];
    let deliveries = 0;
    const b = new LogBuffer(20_000);
    const q = frameQueue<LogLine[]>(
      (batches) => {
        deliveries++;
        for (const lines of batches) b.pushLines(lines);
      },
      (run) => {
        frames.push(run);
        return () => undefined;
      },
    );
    let n = 0;
    // Each second: 50 events of 100 lines, and 60 frames.
    for (let s = 0; s < 60; s++) {
      for (let e = 0; e < 50; e++) {
        const lines: LogLine[] = [];
        for (let i = 0; i < 100; i++) lines.push(line(n++));
        q.push([lines]);
        if (e % 5 === 4) frames.shift()?.();
      }
    }
    q.flush();
    expect(n).toBe(300_000);
    expect(deliveries).toBeLessThanOrEqual(60 * 10 + 1);
    expect(b.size).toBe(20_000);
    expect(b.at(b.size - 1)!.text).toBe(`line ${n - 1}`);
  });
});

describe('how a line is written', () => {
  it('parses Docker’s moments with nanoseconds and writes local clock time with milliseconds', () => {
    const d = parseMoment('2026-12-06T07:08:09.123456789Z')!;
    expect(d.toISOString()).toBe('2026-12-06T07:08:09.123Z');
    expect(parseMoment('2026-12-06T07:08:09Z')!.toISOString()).toBe('2026-12-06T07:08:09.000Z');
    expect(parseMoment('not a time')).toBeNull();
    const pad = (x: number, w = 2): string => String(x).padStart(w, '0');
    expect(formatClock('2026-12-06T07:08:09.123456789Z')).toBe(
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.123`,
    );
    expect(formatClock('garbage')).toBe('garbage');
  });

  it('merges the services’ lines that came together in time order, each service’s order kept', () => {
    expect(momentKey('2026-12-06T07:00:00.1Z') > momentKey('2026-12-06T07:00:00.05Z')).toBe(true);
    expect(momentKey('2026-12-06T07:00:00Z')).toBe('2026-12-06T07:00:00.000000000Z');
    const at = (t: string, service: string, text: string) => ({
      t: `2026-12-06T07:00:0${t}Z`,
      service,
      text,
    });
    const merged = mergeByTime([
      at('1.1', 'redis', 'r1'),
      at('3', 'redis', 'r2'),
      at('3', 'redis', 'r3'),
      at('0.9', 'n8n', 'n1'),
      at('3', 'n8n', 'n2'),
      at('2.05', 'postgres', 'p1'),
    ]);
    expect(merged.map((l) => l.text)).toEqual(['n1', 'r1', 'p1', 'r2', 'r3', 'n2']);
    const one = [at('5', 'redis', 'a'), at('1', 'redis', 'b')];
    expect(mergeByTime(one)).toBe(one);
  });

  it('gives each service the same colour on every follow, whatever order they come in', () => {
    const a = ['redis', 'n8n', 'postgres'];
    const b = ['postgres', 'redis', 'n8n'];
    for (const s of a) expect(serviceColour(s, a)).toBe(serviceColour(s, b));
    expect(new Set(a.map((s) => serviceColour(s, a))).size).toBe(3);
    expect(serviceColour('other', a)).toBe(serviceColour('other', b));
  });

  it('writes entries as .log lines and names the file', () => {
    const b = new LogBuffer(5);
    b.pushLines([{ t: '2026-12-06T07:00:00.1Z', service: 'redis', stream: 'stderr', text: 'boom' }]);
    b.pushNotice('failed', 'connection lost', '2026-12-06T07:00:01Z');
    expect(b.toArray().map(entryAsText)).toEqual([
      '2026-12-06T07:00:00.1Z redis stderr boom',
      '2026-12-06T07:00:01Z -- failed: connection lost',
    ]);
    expect(downloadName('acme', null, new Date('2026-12-06T07:08:09.123Z'))).toBe(
      'acme-all-20261206T070809Z.log',
    );
    expect(downloadName('acme', 'redis', new Date('2026-12-06T07:08:09.123Z'))).toBe(
      'acme-redis-20261206T070809Z.log',
    );
  });
});
