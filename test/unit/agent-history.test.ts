import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { History } from '../../src/agent/history';
import type { ContainerStats, HistoryParams, HostHealth } from '../../src/shared/agent/protocol';

/** A minute boundary, late 2026. */
const T0 = Math.floor(1_796_000_000 / 60) * 60;

function hostAt(i: number): HostHealth {
  return {
    cores: 4,
    cpuPercent: i === 0 ? null : (i * 7) % 100,
    memTotalBytes: 8e9,
    memAvailableBytes: 8e9 - (1e9 + i * 4096),
    load: [(i % 5) + 0.25, 0.5, 0.5],
    uptimeSeconds: 1000 + i,
    disks: [],
  };
}

function statsAt(name: string, i: number): ContainerStats {
  const k = name.length;
  return {
    at: new Date((T0 + i * 10) * 1000).toISOString(),
    cpuPercent: ((i * 3 + k) % 200) + 0.5,
    memBytes: 100_000_000 + i * 4096 * k,
    memLimitBytes: 0,
    netRxBytes: i * 1000 * k,
    netTxBytes: i * 300,
    blkReadBytes: 5_000_000 + i * 512,
    blkWriteBytes: i * 8192,
  };
}

/** A clock the tests move. */
function clock() {
  const c = { ms: T0 * 1000, now: () => c.ms };
  return c;
}

/** Record at each of `seconds` (offsets from T0; a little past the step, as a sweep lands), moving the clock. */
async function run(
  h: History,
  c: ReturnType<typeof clock>,
  seconds: number[],
  names: (s: number) => string[],
) {
  for (const s of seconds) {
    const i = Math.floor(s / 10);
    c.ms = (T0 + s) * 1000 + 1_234;
    await h.record(
      T0 + s + 1.234,
      hostAt(i),
      names(s).map((name) => ({ name, stats: statsAt(name, i) })),
    );
  }
}

const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) }, (_, k) => from + k * step);

function allSeries(h: History, names: string[]) {
  const params: HistoryParams[] = [];
  for (const r of ['1h', '24h'] as const) {
    params.push({ range: r, scope: 'host' });
    for (const name of names) params.push({ range: r, scope: 'container', name });
  }
  return params.map((p) => h.series(p));
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-history-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('History', () => {
  it('keeps fine steps and minute means, oldest first, and a new instance reads the same back', async () => {
    const c = clock();
    const h = new History(dir, c.now);
    await h.load();
    await run(h, c, range(0, 2000, 10), () => ['acme-n8n-1', 'acme-postgres-1']);

    const fine = h.series({ range: '1h', scope: 'host' })!;
    expect(fine.step).toBe(10);
    expect(fine.fields).toEqual(['cpuPercent', 'memUsedBytes', 'load1']);
    expect(fine.points).toHaveLength(360);
    const last = fine.points.at(-1)!;
    expect(last).toEqual([T0 + 1990, Math.fround((199 * 7) % 100), Math.fround(1e9 + 199 * 4096), 4.25]);
    expect(fine.points.every((p, k) => k === 0 || p[0] - fine.points[k - 1]![0] === 10)).toBe(true);
    // before the first sample: nulls; the first sample has no CPU yet
    const first = fine.points.findIndex((p) => p[0] === T0);
    expect(fine.points[first - 1]!.slice(1)).toEqual([null, null, null]);
    expect(fine.points[first]![1]).toBeNull();

    const coarse = h.series({ range: '24h', scope: 'container', name: 'acme-n8n-1' })!;
    expect(coarse.step).toBe(60);
    expect(coarse.points).toHaveLength(1440);
    // the clock is in minute 33 (T0 + 1991 s): the last point is minute 32, the mean of its six samples
    const m32 = coarse.points.at(-1)!;
    expect(m32[0]).toBe(T0 + 32 * 60);
    const cpus = [192, 193, 194, 195, 196, 197].map((i) => Math.fround(statsAt('acme-n8n-1', i).cpuPercent));
    expect(m32[1]).toBe(Math.fround(cpus.reduce((a, b) => a + b) / 6));
    expect(coarse.points.at(-34)!.slice(1)).toEqual([null, null, null, null, null, null]);
    // the host's minute 0 skips the null CPU of its first sample
    const host0 = h.series({ range: '24h', scope: 'host' })!.points.find((p) => p[0] === T0)!;
    expect(host0[1]).toBe(Math.fround([7, 14, 21, 28, 35].reduce((a, b) => a + b) / 5));

    const again = new History(dir, c.now);
    await again.load();
    expect(allSeries(again, ['acme-n8n-1', 'acme-postgres-1'])).toEqual(
      allSeries(h, ['acme-n8n-1', 'acme-postgres-1']),
    );
    expect(again.series({ range: '1h', scope: 'container', name: 'nope' })).toBeNull();
  });

  it('killed mid-minute and restarted, it ends with what an agent that never stopped has', async () => {
    const names = (s: number) => (s < 1500 ? ['a', 'bb'] : ['a', 'bb', 'ccc']);
    // killed at 20:40 (inside minute 20, not closed yet); back at once, or after a 6-minute gap
    for (const back of [1250, 1610]) {
      const steady = clock();
      const always = new History(join(dir, `always-${back}`), steady.now);
      await always.load();
      await run(always, steady, [...range(0, 1250, 10), ...range(back, 3000, 10)], names);

      const c = clock();
      const first = new History(join(dir, `restarted-${back}`), c.now);
      await first.load();
      await run(first, c, range(0, 1250, 10), names);
      c.ms = (T0 + back) * 1000;
      const second = new History(join(dir, `restarted-${back}`), c.now);
      await second.load();
      await run(second, c, range(back, 3000, 10), names);

      expect(allSeries(second, ['a', 'bb', 'ccc'])).toEqual(allSeries(always, ['a', 'bb', 'ccc']));
      const m20 = second
        .series({ range: '24h', scope: 'container', name: 'a' })!
        .points.find((p) => p[0] === T0 + 20 * 60)!;
      expect(m20[1]).not.toBeNull();
    }
  });

  it('skips a torn last line, and what it appends next is read back', async () => {
    const c = clock();
    const h = new History(dir, c.now);
    await h.load();
    await run(h, c, range(0, 600, 10), () => ['web']);
    const before = allSeries(h, ['web']);
    // killed in the middle of a write
    await appendFile(join(dir, 'fine.jsonl'), '{"t":' + (T0 + 600) + ',"h":[12.5,1000');
    await appendFile(join(dir, 'coarse.jsonl'), '{"t":' + (T0 + 600) + ',"h":[1');

    const again = new History(dir, c.now);
    await again.load();
    expect(allSeries(again, ['web'])).toEqual(before);
    await run(again, c, range(600, 700, 10), () => ['web']);
    const after = allSeries(again, ['web']);

    const third = new History(dir, c.now);
    await third.load();
    expect(allSeries(third, ['web'])).toEqual(after);
    const web = third.series({ range: '1h', scope: 'container', name: 'web' })!;
    expect(web.points.at(-1)![0]).toBe(T0 + 690);
    expect(web.points.at(-1)![2]).toBe(Math.fround(statsAt('web', 69).memBytes));
    expect(third.series({ range: '24h', scope: 'host' })!.points.at(-1)![0]).toBe(T0 + 10 * 60);
  });

  it('holds 24 h, keeps its files bounded, and forgets a container not seen for 24 h', async () => {
    const c = clock();
    const h = new History(dir, c.now);
    await h.load();
    // one sample a minute for 50 h (the coarse file passes twice its window); 'gone' only in the first minute
    const minutes = range(0, 50 * 3600, 60);
    await run(h, c, minutes.slice(0, 1441), (s) => (s === 0 ? ['gone', 'stays'] : ['stays']));
    // 24 h after its last sample (minute 0), at minute 1440, 'gone' goes
    expect(h.names()).toEqual(['stays']);
    expect(h.series({ range: '24h', scope: 'container', name: 'gone' })).toBeNull();
    await run(h, c, minutes.slice(1441), () => ['stays']);

    const coarse = h.series({ range: '24h', scope: 'container', name: 'stays' })!;
    expect(coarse.points).toHaveLength(1440);
    const end = Math.floor(c.ms / 60_000) - 1;
    expect(coarse.points[0]![0]).toBe((end - 1439) * 60);
    expect(coarse.points.at(-1)![0]).toBe(end * 60);
    expect(coarse.points.every((p) => p[1] !== null)).toBe(true); // every minute of the last 24 h had its sample
    const fine = h.series({ range: '1h', scope: 'container', name: 'stays' })!;
    expect(fine.points.filter((p) => p[1] !== null)).toHaveLength(60); // one step in six

    const lines = async (f: string) =>
      (await readFile(join(dir, f), 'utf8')).split('\n').filter(Boolean).length;
    expect(await lines('coarse.jsonl')).toBeLessThanOrEqual(2 * 1440);
    expect(await lines('fine.jsonl')).toBeLessThanOrEqual(2 * 360);
    // compacted: the oldest line left is inside the last 24 h (plus what was appended since)
    const oldest = JSON.parse((await readFile(join(dir, 'coarse.jsonl'), 'utf8')).split('\n')[0]!) as {
      t: number;
    };
    expect(oldest.t).toBeGreaterThan(T0 + 24 * 3600);
    expect(oldest.t).toBeGreaterThanOrEqual((end - 2 * 1440) * 60);

    const again = new History(dir, c.now);
    await again.load();
    expect(again.names()).toEqual(['stays']);
    expect(allSeries(again, ['stays'])).toEqual(allSeries(h, ['stays']));

    // after a day away, everything has aged out: the series are all null, the container is forgotten
    c.ms += 25 * 3600 * 1000;
    const later = new History(dir, c.now);
    await later.load();
    expect(later.names()).toEqual([]);
    expect(later.series({ range: '24h', scope: 'host' })!.points.every((p) => p[1] === null)).toBe(true);
  });

  it('200 containers with both tiers full stay under 12 MB of typed arrays', async () => {
    const c = clock();
    const h = new History(dir, c.now);
    await h.load();
    const names = Array.from({ length: 200 }, (_, k) => `tenant-${String(k).padStart(3, '0')}-n8n-1`);
    // a day of one sample a minute, then an hour of one every 10 s
    await run(h, c, [...range(0, 1440 * 60, 60), ...range(1440 * 60, 1500 * 60, 10)], () => names);

    expect(
      h.series({ range: '24h', scope: 'container', name: names[7]! })!.points.every((p) => p[1] !== null),
    ).toBe(true);
    expect(
      h.series({ range: '1h', scope: 'container', name: names[199]! })!.points.filter((p) => p[1] !== null)
        .length,
    ).toBeGreaterThanOrEqual(359);
    const size = h.sizeBytes();
    const files = (await stat(join(dir, 'fine.jsonl'))).size + (await stat(join(dir, 'coarse.jsonl'))).size;
    console.log(
      `history: 200 containers, full tiers: ${(size / 1e6).toFixed(2)} MB in typed arrays; files ${(files / 1e6).toFixed(1)} MB`,
    );
    expect(size).toBeLessThan(12 * 1024 * 1024);

    const started = Date.now();
    const again = new History(dir, c.now);
    await again.load();
    console.log(`history: reloaded in ${Date.now() - started} ms`);
    expect(again.series({ range: '24h', scope: 'container', name: names[0]! })).toEqual(
      h.series({ range: '24h', scope: 'container', name: names[0]! }),
    );
  });
});
