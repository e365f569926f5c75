import { describe, expect, it } from 'vitest';
import { dockerTime, LogDemux } from '../../src/agent/logs';
import { resolveSince, ResumePoint } from '../../src/main/core/health/logs';

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe("the agent's log demultiplexer", () => {
  it('takes stdout and stderr frames apart, even when a frame is cut across chunks', () => {
    const d = new LogDemux(false);
    const all = Buffer.concat([
      frame(1, '2026-12-06T07:00:00.000000001Z hello\n'),
      frame(2, '2026-12-06T07:00:00.000000002Z oops\n'),
      frame(1, '2026-12-06T07:00:00.000000003Z Привет, мир\n'),
    ]);
    const out = [
      ...d.push(all.subarray(0, 13)),
      ...d.push(all.subarray(13, 50)),
      ...d.push(all.subarray(50)),
    ];
    expect(out).toEqual([
      ['2026-12-06T07:00:00.000000001Z', 0, 'hello'],
      ['2026-12-06T07:00:00.000000002Z', 1, 'oops'],
      ['2026-12-06T07:00:00.000000003Z', 0, 'Привет, мир'],
    ]);
  });

  it('joins a message Docker split at 16 KiB (a part without its newline continues in the next)', () => {
    const d = new LogDemux(false);
    const long = 'x'.repeat(16_384);
    const out = [
      ...d.push(frame(1, `2026-12-06T07:00:00.1Z ${long}`)),
      ...d.push(frame(1, `2026-12-06T07:00:00.2Z ${long}`)),
      ...d.push(frame(1, '2026-12-06T07:00:00.3Z end\n')),
    ];
    expect(out).toHaveLength(1);
    expect(out[0]?.[0]).toBe('2026-12-06T07:00:00.1Z');
    expect(out[0]?.[2]).toBe(`${long}${long}end`);
  });

  it('reads a TTY stream (no headers), strips carriage returns, and gives the last line at the end', () => {
    const d = new LogDemux(true);
    const out = [
      ...d.push(Buffer.from('2026-12-06T07:00:00.1Z one\r\n2026-12-06T07:00:00.2Z tw')),
      ...d.push(Buffer.from('o\r\n2026-12-06T07:00:00.3Z three')),
    ];
    expect(out.map((l) => l[2])).toEqual(['one', 'two']);
    expect(d.flush()).toEqual([['2026-12-06T07:00:00.3Z', 0, 'three']]);
  });

  it("turns an RFC 3339 moment into Docker's seconds.nanoseconds", () => {
    expect(dockerTime('2026-12-06T07:00:00.000000042Z')).toBe(`${Date.UTC(2026, 11, 6, 7) / 1000}.000000042`);
    expect(dockerTime('2026-12-06T07:00:00Z')).toBe(`${Date.UTC(2026, 11, 6, 7) / 1000}.000000000`);
    expect(() => dockerTime('yesterday')).toThrow('Not a moment');
  });
});

describe('resuming a log follow', () => {
  it('drops what was already sent at or before the last moment, keeps new lines at that moment', () => {
    const p = new ResumePoint();
    expect(p.take('db', 't1', 'a')).toBe(true);
    expect(p.take('db', 't2', 'b')).toBe(true);
    expect(p.take('db', 't2', 'c')).toBe(true);
    expect(p.since('db')).toBe('t2');
    // After a reconnect Docker sends again from t2 on:
    expect(p.take('db', 't1', 'a')).toBe(false);
    expect(p.take('db', 't2', 'b')).toBe(false);
    expect(p.take('db', 't2', 'c')).toBe(false);
    expect(p.take('db', 't2', 'd')).toBe(true);
    expect(p.take('db', 't3', 'b')).toBe(true);
    expect(p.since('n8n')).toBeUndefined();
  });

  it('reads a span as that long ago and leaves a moment as it is', () => {
    const now = Date.UTC(2026, 11, 6, 12);
    expect(resolveSince('10m', now)).toBe('2026-12-06T11:50:00.000Z');
    expect(resolveSince('1d', now)).toBe('2026-12-05T12:00:00.000Z');
    expect(resolveSince('2026-12-06T07:00:00Z', now)).toBe('2026-12-06T07:00:00Z');
  });
});
