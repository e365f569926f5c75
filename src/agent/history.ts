/**
 * The agent's bounded history: the host's series and each container's (by name, so it survives a
 * recreate), in two tiers of Float32Array rings — fine (FINE_STEP_S × FINE_POINTS, 1 h) and coarse
 * (COARSE_STEP_S × COARSE_POINTS, 24 h; a minute's point is the mean of its fine samples, nulls
 * skipped). Memory is fixed per series: ~43 KB for a container, whatever happens.
 *
 * Persistence survives a SIGKILL: every fine sample is appended as one JSON line to `fine.jsonl`,
 * every closed minute to `coarse.jsonl` (no fsync: a kill loses nothing the kernel has; a crash of
 * the machine may lose the last seconds). A torn last line is skipped on load. A file holding more
 * than twice its window is rewritten from the rings (`*.tmp`, then rename). Lines:
 *   {"t":<seconds, aligned to the step>,"h":[cpu%,memUsed,load1]|null,"c":{"<name>":[cpu%,mem,rx,tx,rd,wr]}}
 * Byte counters are stored as they come (a reader diffs them); Float32 keeps 24 bits of mantissa,
 * so a counter near 100 GB is kept to about 8 KB.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  COARSE_POINTS,
  COARSE_STEP_S,
  FINE_POINTS,
  FINE_STEP_S,
  type ContainerStats,
  type HistoryParams,
  type HistorySeries,
  type HostHealth,
} from '../shared/agent/protocol';

export const HOST_FIELDS = ['cpuPercent', 'memUsedBytes', 'load1'];
export const CONTAINER_FIELDS = [
  'cpuPercent',
  'memBytes',
  'netRxBytes',
  'netTxBytes',
  'blkReadBytes',
  'blkWriteBytes',
];
/** A container not recorded for this long is forgotten. */
export const CONTAINER_TTL_S = 24 * 3600;

/** One series' rings (NaN: no sample) and the running sums of the minute being accumulated. */
class Series {
  readonly fine: Float32Array;
  readonly coarse: Float32Array;
  readonly sum: Float64Array;
  readonly count: Uint8Array;
  /** Seconds: the newest sample's time. */
  lastSeen = -Infinity;

  constructor(readonly width: number) {
    this.fine = new Float32Array(FINE_POINTS * width).fill(NaN);
    this.coarse = new Float32Array(COARSE_POINTS * width).fill(NaN);
    this.sum = new Float64Array(width);
    this.count = new Uint8Array(width);
  }

  add(values: number[]): void {
    for (let i = 0; i < this.width; i++) {
      const v = values[i] ?? NaN;
      if (Number.isFinite(v)) {
        // what the ring and a reload see: the Float32 value
        this.sum[i]! += Math.fround(v);
        if (this.count[i]! < 255) this.count[i]!++;
      }
    }
  }

  /** The minute's means (NaN where no sample), or null without any; resets the sums. */
  takeMean(): number[] | null {
    let any = false;
    const out = new Array<number>(this.width);
    for (let i = 0; i < this.width; i++) {
      const n = this.count[i]!;
      out[i] = n > 0 ? this.sum[i]! / n : NaN;
      if (n > 0) any = true;
    }
    this.sum.fill(0);
    this.count.fill(0);
    return any ? out : null;
  }

  byteLength(): number {
    return this.fine.byteLength + this.coarse.byteLength + this.sum.byteLength + this.count.byteLength;
  }
}

interface Tier {
  name: 'fine' | 'coarse';
  step: number;
  points: number;
  file: string;
  /** Which step index (t / step) each ring slot holds; -1: none. */
  slots: Float64Array;
  /** The newest step index recorded (or loaded). */
  last: number;
  /** Lines in the file (for compaction). */
  lines: number;
  /** The file ends in a torn line: the next append starts with a newline. */
  torn: boolean;
}

interface RawLine {
  t: number;
  h?: unknown;
  c?: unknown;
}

function hostValues(h: HostHealth): number[] {
  return [h.cpuPercent ?? NaN, h.memTotalBytes - h.memAvailableBytes, h.load[0]];
}

function containerValues(s: ContainerStats): number[] {
  return [s.cpuPercent, s.memBytes, s.netRxBytes, s.netTxBytes, s.blkReadBytes, s.blkWriteBytes];
}

function values(raw: unknown, width: number): number[] | null {
  if (!Array.isArray(raw)) return null;
  const out = new Array<number>(width);
  for (let i = 0; i < width; i++) {
    const v: unknown = raw[i];
    out[i] = typeof v === 'number' && Number.isFinite(v) ? v : NaN;
  }
  return out;
}

/** As the ring keeps it: the Float32 value, in the fewest digits (6 to 9) that bring it back exactly. */
function encodeValue(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) return 'null';
  for (let p = 6; p < 9; p++) {
    const d = Number(f.toPrecision(p));
    if (Math.fround(d) === f) return String(d);
  }
  return String(Number(f.toPrecision(9)));
}

function encodeValues(v: ArrayLike<number>): string {
  let s = '[';
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    s += (i ? ',' : '') + encodeValue(x);
  }
  return s + ']';
}

function encodeLine(
  t: number,
  host: ArrayLike<number> | null,
  containers: Array<[string, ArrayLike<number>]>,
) {
  let s = `{"t":${t},"h":${host ? encodeValues(host) : 'null'},"c":{`;
  containers.forEach(([name, v], i) => {
    s += `${i ? ',' : ''}${JSON.stringify(name)}:${encodeValues(v)}`;
  });
  return s + '}}';
}

function parseLine(line: string): RawLine | null {
  if (!line) return null;
  try {
    const o = JSON.parse(line) as unknown;
    if (!o || typeof o !== 'object') return null;
    const t = (o as RawLine).t;
    return typeof t === 'number' && Number.isFinite(t) ? (o as RawLine) : null;
  } catch {
    return null; // a torn line (the agent was killed mid-write) or garbage
  }
}

/** Every line of a file, streamed (a full coarse file is tens of MB); false when there is none. */
async function eachLine(path: string, fn: (line: string) => void): Promise<boolean> {
  try {
    await fsp.access(path);
  } catch {
    return false;
  }
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) fn(line);
  return true;
}

async function endsTorn(path: string): Promise<boolean> {
  const fh = await fsp.open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size === 0) return false;
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, size - 1);
    return b[0] !== 0x0a;
  } finally {
    await fh.close();
  }
}

export class History {
  private readonly fine: Tier;
  private readonly coarse: Tier;
  private readonly host = new Series(HOST_FIELDS.length);
  private readonly containers = new Map<string, Series>();
  /** The minute (t / 60) whose fine samples the series' sums hold; null: none. */
  private accMinute: number | null = null;
  private io: Promise<void> = Promise.resolve();

  /** `now` gives milliseconds since the epoch (Date.now); it places the windows of `load` and `series`. */
  constructor(
    readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {
    const tier = (name: 'fine' | 'coarse', step: number, points: number): Tier => ({
      name,
      step,
      points,
      file: join(dir, `${name}.jsonl`),
      slots: new Float64Array(points).fill(-1),
      last: -Infinity,
      lines: 0,
      torn: false,
    });
    this.fine = tier('fine', FINE_STEP_S, FINE_POINTS);
    this.coarse = tier('coarse', COARSE_STEP_S, COARSE_POINTS);
  }

  /** Read both files back (points inside each tier's window), close a minute left open by a kill, compact. */
  async load(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    const nowS = this.now() / 1000;
    const nowFine = Math.floor(nowS / FINE_STEP_S);
    const nowMinute = Math.floor(nowS / COARSE_STEP_S);
    const pending: string[] = [];

    const hasCoarse = await eachLine(this.coarse.file, (text) => {
      this.coarse.lines++;
      const line = parseLine(text);
      if (!line) return;
      const idx = Math.floor(line.t / COARSE_STEP_S);
      if (idx > nowMinute) return; // from a clock ahead of ours
      this.coarse.last = Math.max(this.coarse.last, idx);
      if (idx > nowMinute - 1 - COARSE_POINTS) this.apply(this.coarse, idx, line);
    });

    const hasFine = await eachLine(this.fine.file, (text) => {
      this.fine.lines++;
      const line = parseLine(text);
      if (!line) return;
      const idx = Math.floor(line.t / FINE_STEP_S);
      if (idx > nowFine) return;
      this.fine.last = Math.max(this.fine.last, idx);
      if (idx > nowFine - FINE_POINTS) this.apply(this.fine, idx, line);
      // rebuild the sums of a minute not closed yet (the one the agent was killed in)
      const minute = Math.floor((idx * FINE_STEP_S) / COARSE_STEP_S);
      if (minute <= this.coarse.last || minute <= nowMinute - 1 - COARSE_POINTS) return;
      if (this.accMinute !== null && minute !== this.accMinute) {
        const closed = this.closeMinute();
        if (closed) pending.push(closed);
      }
      this.accMinute = minute;
      const h = values(line.h, HOST_FIELDS.length);
      if (h) this.host.add(h);
      for (const [name, raw] of Object.entries(line.c && typeof line.c === 'object' ? line.c : {})) {
        const v = values(raw, CONTAINER_FIELDS.length);
        if (v) this.container(name, idx * FINE_STEP_S).add(v);
      }
    });
    if (this.accMinute !== null && this.accMinute < nowMinute) {
      const closed = this.closeMinute();
      if (closed) pending.push(closed);
    }
    this.dropStale(nowS);

    if (hasCoarse) this.coarse.torn = await endsTorn(this.coarse.file);
    if (hasFine) this.fine.torn = await endsTorn(this.fine.file);
    const upTo = { fine: this.fine.last, coarse: this.coarse.last };
    await this.enqueue(async () => {
      if (pending.length) await this.append(this.coarse, pending, upTo.coarse);
      await this.compactIfLong(this.fine, upTo.fine);
      await this.compactIfLong(this.coarse, upTo.coarse);
    });
  }

  /**
   * Record one sweep's sample at `atSeconds` (placed in its 10 s step; a second sample in the same
   * step, or an older one, is ignored). Resolves when its lines are appended.
   */
  record(
    atSeconds: number,
    host: HostHealth | null,
    containers: Array<{ name: string; stats: ContainerStats }>,
  ): Promise<void> {
    const idx = Math.floor(atSeconds / FINE_STEP_S);
    if (!(idx > this.fine.last)) return this.io;
    const t = idx * FINE_STEP_S;
    const minute = Math.floor(t / COARSE_STEP_S);
    const coarseLines: string[] = [];
    if (this.accMinute !== null && minute !== this.accMinute) {
      const closed = this.closeMinute();
      if (closed) coarseLines.push(closed);
    }
    this.accMinute = minute;

    const slot = this.claim(this.fine, idx)!;
    this.fine.last = idx;
    const hv = host ? hostValues(host) : null;
    if (hv) {
      this.host.fine.set(hv, slot * this.host.width);
      this.host.add(hv);
    }
    const byName = new Map(containers.map((c) => [c.name, c.stats]));
    const written: Array<[string, number[]]> = [];
    for (const [name, stats] of byName) {
      const s = this.container(name, t);
      const v = containerValues(stats);
      s.fine.set(v, slot * s.width);
      s.add(v);
      written.push([name, v]);
    }
    this.dropStale(t);

    const fineLine = encodeLine(t, hv, written);
    const upTo = { fine: this.fine.last, coarse: this.coarse.last };
    return this.enqueue(async () => {
      if (coarseLines.length) await this.append(this.coarse, coarseLines, upTo.coarse);
      await this.append(this.fine, [fineLine], upTo.fine);
    });
  }

  /** The range's points, oldest first: 1 h of fine steps up to now, or 24 h of closed minutes. */
  series(p: HistoryParams): HistorySeries | null {
    const s = p.scope === 'host' ? this.host : this.containers.get(p.name);
    if (!s) return null;
    const fine = p.range === '1h';
    const tier = fine ? this.fine : this.coarse;
    const ring = fine ? s.fine : s.coarse;
    const nowS = this.now() / 1000;
    const end = fine ? Math.floor(nowS / FINE_STEP_S) : Math.floor(nowS / COARSE_STEP_S) - 1;
    const points: HistorySeries['points'] = [];
    for (let idx = end - tier.points + 1; idx <= end; idx++) {
      const slot = mod(idx, tier.points);
      const point: [number, ...(number | null)[]] = [idx * tier.step];
      const held = tier.slots[slot] === idx;
      for (let i = 0; i < s.width; i++) {
        const v = held ? ring[slot * s.width + i]! : NaN;
        point.push(Number.isNaN(v) ? null : v);
      }
      points.push(point);
    }
    return { step: tier.step, fields: s === this.host ? [...HOST_FIELDS] : [...CONTAINER_FIELDS], points };
  }

  /** The names of the containers with a series. */
  names(): string[] {
    return [...this.containers.keys()];
  }

  /** Bytes held in typed arrays (the rings, their slot maps, the sums). */
  sizeBytes(): number {
    let n = this.fine.slots.byteLength + this.coarse.slots.byteLength + this.host.byteLength();
    for (const s of this.containers.values()) n += s.byteLength();
    return n;
  }

  /** Resolves when every write queued so far is done. */
  idle(): Promise<void> {
    return this.io;
  }

  private container(name: string, seenAt: number): Series {
    let s = this.containers.get(name);
    if (!s) {
      s = new Series(CONTAINER_FIELDS.length);
      this.containers.set(name, s);
    }
    if (seenAt > s.lastSeen) s.lastSeen = seenAt;
    return s;
  }

  private dropStale(nowS: number): void {
    for (const [name, s] of this.containers) {
      if (s.lastSeen <= nowS - CONTAINER_TTL_S) this.containers.delete(name);
    }
  }

  /** The ring slot for step `idx`, cleared in every series when it held an older step; null if it holds a newer one. */
  private claim(tier: Tier, idx: number): number | null {
    const slot = mod(idx, tier.points);
    const held = tier.slots[slot]!;
    if (held === idx) return slot;
    if (held > idx) return null;
    tier.slots[slot] = idx;
    for (const s of [this.host, ...this.containers.values()]) {
      const ring = tier.name === 'fine' ? s.fine : s.coarse;
      ring.fill(NaN, slot * s.width, (slot + 1) * s.width);
    }
    return slot;
  }

  /** A loaded line into a tier's rings. */
  private apply(tier: Tier, idx: number, line: RawLine): void {
    const slot = this.claim(tier, idx);
    if (slot === null) return;
    const put = (s: Series, v: number[]) => (tier.name === 'fine' ? s.fine : s.coarse).set(v, slot * s.width);
    const h = values(line.h, HOST_FIELDS.length);
    if (h) put(this.host, h);
    for (const [name, raw] of Object.entries(line.c && typeof line.c === 'object' ? line.c : {})) {
      const v = values(raw, CONTAINER_FIELDS.length);
      if (v) put(this.container(name, idx * tier.step), v);
    }
  }

  /** Close the accumulated minute: its means into the coarse rings; the line to append (null: nothing to add). */
  private closeMinute(): string | null {
    const minute = this.accMinute;
    this.accMinute = null;
    const means = (s: Series) => s.takeMean();
    if (minute === null || minute <= this.coarse.last) {
      means(this.host);
      for (const s of this.containers.values()) means(s);
      return null;
    }
    const slot = this.claim(this.coarse, minute);
    this.coarse.last = minute;
    const h = means(this.host);
    if (h && slot !== null) this.host.coarse.set(h, slot * this.host.width);
    const cs: Array<[string, number[]]> = [];
    for (const [name, s] of this.containers) {
      const m = means(s);
      if (!m) continue;
      if (slot !== null) s.coarse.set(m, slot * s.width);
      cs.push([name, m]);
    }
    return encodeLine(minute * COARSE_STEP_S, h, cs);
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.io.then(job);
    this.io = run.catch(() => {});
    return run;
  }

  private async append(tier: Tier, lines: string[], upTo: number): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    await fsp.appendFile(tier.file, (tier.torn ? '\n' : '') + lines.join('\n') + '\n');
    tier.torn = false;
    tier.lines += lines.length;
    await this.compactIfLong(tier, upTo);
  }

  /**
   * Rewrite a file holding more than twice its window from the rings: the steps of the window
   * ending at `upTo` (later steps have their own appends queued behind this).
   */
  private async compactIfLong(tier: Tier, upTo: number): Promise<void> {
    if (tier.lines <= 2 * tier.points || !Number.isFinite(upTo)) return;
    const tmp = `${tier.file}.tmp`;
    const fh = await fsp.open(tmp, 'w');
    let written = 0;
    try {
      let chunk = '';
      for (let idx = upTo - tier.points + 1; idx <= upTo; idx++) {
        const slot = mod(idx, tier.points);
        if (tier.slots[slot] !== idx) continue;
        const at = (s: Series) => {
          const ring = tier.name === 'fine' ? s.fine : s.coarse;
          const v = ring.subarray(slot * s.width, (slot + 1) * s.width);
          return v.some((x) => !Number.isNaN(x)) ? v : null;
        };
        const cs: Array<[string, ArrayLike<number>]> = [];
        for (const [name, s] of this.containers) {
          const v = at(s);
          if (v) cs.push([name, v]);
        }
        chunk += encodeLine(idx * tier.step, at(this.host), cs) + '\n';
        written++;
        if (chunk.length > 256 * 1024) {
          await fh.write(chunk);
          chunk = '';
        }
      }
      if (chunk) await fh.write(chunk);
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, tier.file);
    tier.lines = written;
    tier.torn = false;
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
