import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppEvent } from '../../src/shared/contract';
import type { HostSnapshot } from '../../src/shared/agent/protocol';
import { UnreachableRule } from '../../src/main/core/alerts/unreachable';
import { CoreError } from '../../src/main/core/errors';
import type { AgentStream } from '../../src/main/core/health/client';
import { followHost } from '../../src/main/core/health/follow';

// Issue 14's console-side rule: a host whose agent cannot be followed for N minutes fires once and
// resolves once, with an injected clock.

const MIN = 60_000;
const T0 = Date.parse('2026-12-06T10:00:00Z');
const err = { code: 'ssh.timeout', message: 'No answer from far.' };

function rule(minutes: () => number | Promise<number> = () => 5) {
  let now = T0;
  const events: AppEvent[] = [];
  const r = new UnreachableRule('far', (e) => events.push(e), { now: () => now, minutes });
  return { r, events, at: (ms: number) => (now = T0 + ms) };
}

describe('the unreachable rule', () => {
  it('fires once after N minutes of failures, with since, the minutes and the last error', async () => {
    const { r, events, at } = rule();
    await r.down(err);
    at(2 * MIN);
    await r.down(err);
    at(4 * MIN + 59_000);
    await r.check();
    expect(events).toEqual([]);
    expect(r.msUntilDue()).toBe(1_000);
    at(5 * MIN);
    await r.down({ code: 'agent.unreachable', message: 'The socket is gone.' });
    expect(events).toEqual([
      {
        type: 'alerts.changed',
        host: 'far',
        unreachable: {
          since: '2026-12-06T10:00:00.000Z',
          minutes: 5,
          error: { code: 'agent.unreachable', message: 'The socket is gone.' },
        },
      },
    ]);
    expect(r.firing).toBe(true);
    expect(r.msUntilDue()).toBeNull();
    // Still down: nothing more.
    at(30 * MIN);
    await r.down(err);
    await r.check();
    expect(events).toHaveLength(1);
  });

  it('resolves once when the host can be followed again', async () => {
    const { r, events, at } = rule();
    await r.down(err);
    at(6 * MIN);
    await r.check();
    r.up();
    r.up();
    expect(events.map((e) => (e.type === 'alerts.changed' ? e.unreachable : 'other'))).toEqual([
      expect.objectContaining({ minutes: 6 }),
      null,
    ]);
    // A new outage counts from its own start.
    at(7 * MIN);
    await r.down(err);
    at(11 * MIN);
    await r.check();
    expect(events).toHaveLength(2);
    at(12 * MIN);
    await r.check();
    expect(events).toHaveLength(3);
  });

  it('says nothing of a blip shorter than N minutes', async () => {
    const { r, events, at } = rule();
    await r.down(err);
    at(4 * MIN);
    await r.down(err);
    r.up();
    at(9 * MIN);
    await r.check();
    expect(events).toEqual([]);
    expect(r.msUntilDue()).toBeNull();
  });

  it('takes N from the settings at each check, keeping the last value when they cannot be read', async () => {
    let n: number | Error = 2;
    const { r, events, at } = rule(async () => {
      if (n instanceof Error) throw n;
      return n;
    });
    await r.down(err);
    at(2 * MIN);
    await r.check();
    expect(events).toHaveLength(1);
    r.up();
    n = new Error('store unreadable');
    await r.down(err);
    at(3 * MIN);
    await r.check();
    expect(events).toHaveLength(2); // fired and resolved above; this outage is a minute old
    at(4 * MIN);
    await r.check();
    expect(events).toHaveLength(3);
  });
});

describe('the live feed applies it (followHost, fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a host that cannot be followed fires at N minutes, not at the next back-off, and resolves when it can', async () => {
    vi.useFakeTimers({ now: T0 });
    let reachable = false;
    let tries = 0;
    let endStream: ((e: Error | null) => void) | null = null;
    const health = {
      watch: async (): Promise<AgentStream> => {
        tries += 1;
        if (!reachable) throw new CoreError('ssh.timeout', 'No answer from far.', 'Check the network.');
        return { close: () => endStream?.(null), ended: new Promise((r) => (endStream = r)) };
      },
      snapshot: async () =>
        ({ containers: [], host: null, agent: { eventsConnected: true } }) as unknown as HostSnapshot,
    };
    const events: AppEvent[] = [];
    const stop = followHost(health, 'far', (e) => events.push(e), { minutes: () => 1 });
    const unreachable = () =>
      events
        .filter((e) => e.type === 'alerts.changed')
        .map((e) => (e.type === 'alerts.changed' ? e.unreachable : 0));

    await vi.advanceTimersByTimeAsync(59_000);
    expect(unreachable()).toEqual([]);
    expect(events.filter((e) => e.type === 'health.changed' && e.error).length).toBeGreaterThan(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(unreachable()).toEqual([
      {
        since: '2026-12-06T10:00:00.000Z',
        minutes: 1,
        error: expect.objectContaining({ code: 'ssh.timeout' }),
      },
    ]);
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(unreachable()).toHaveLength(1);
    expect(tries).toBeGreaterThan(5);

    reachable = true;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(unreachable()).toEqual([expect.objectContaining({ minutes: 1 }), null]);
    expect(events.some((e) => e.type === 'health.changed' && e.containers)).toBe(true);

    // The stream is lost and comes back at the next try: a blip, nothing said.
    endStream!(new CoreError('agent.disconnected', 'The connection closed.'));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(unreachable()).toHaveLength(2);
    stop();
  });
});
