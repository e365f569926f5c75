import { describe, expect, it } from 'vitest';
import type { AppEvent } from '../../src/shared/contract';
import { EventHub, type EventSink } from '../../src/main/core/events';

/** Issue 12, item 5: events have owners, topics, a bounded queue and an end. */
function sink(): EventSink & { seen: AppEvent[]; open: boolean } {
  const s = {
    seen: [] as AppEvent[],
    open: true,
    send: (e: AppEvent) => void s.seen.push(e),
    ready: () => s.open,
  };
  return s;
}
const hostsChanged: AppEvent = { type: 'hosts.changed' };
const tenantsChanged = (host: string): AppEvent => ({ type: 'tenants.changed', host });

describe('EventHub', () => {
  it('an event reaches only the owners subscribed to its type, once each', () => {
    const hub = new EventHub();
    const all = sink();
    const tenants = sink();
    const none = sink();
    hub.attach('w1', all);
    hub.attach('w2', tenants);
    hub.attach('w3', none);
    hub.subscribe('w1', ['*']);
    hub.subscribe('w1', ['hosts.changed']); // overlapping: still delivered once
    hub.subscribe('w2', ['tenants.changed']);
    hub.publish(hostsChanged);
    hub.publish(tenantsChanged('h1'));
    expect(all.seen).toEqual([hostsChanged, tenantsChanged('h1')]);
    expect(tenants.seen).toEqual([tenantsChanged('h1')]);
    expect(none.seen).toEqual([]);
    expect(hub.subscribe('nobody', ['*'])).toBeNull();
  });

  it('closing an owner ends its subscriptions; a page reload ends them but keeps the window', () => {
    const hub = new EventHub();
    const a = sink();
    const b = sink();
    const detachA = hub.attach('socket-a', a);
    hub.attach('window-b', b);
    hub.subscribe('socket-a', ['*']);
    hub.subscribe('window-b', ['*']);
    expect(hub.count()).toBe(2);
    detachA();
    expect(hub.count('socket-a')).toBe(0);
    expect(hub.endSubscriptions('window-b')).toBe(1);
    hub.publish(hostsChanged);
    expect(a.seen).toEqual([]);
    expect(b.seen).toEqual([]);
    // The reloaded page subscribes again on the same window.
    hub.subscribe('window-b', ['hosts.changed']);
    hub.publish(hostsChanged);
    expect(b.seen).toEqual([hostsChanged]);
    expect(hub.unsubscribe('window-b', 'sub-unknown')).toBe(false);
  });

  it('a sink that cannot keep up gets a bounded queue: the oldest dropped, then one events.dropped, then the rest in order', async () => {
    const hub = new EventHub({ maxQueue: 5, retryMs: 5 });
    const slow = sink();
    slow.open = false;
    hub.attach('slow', slow);
    hub.subscribe('slow', ['*']);
    for (let i = 0; i < 12; i++) hub.publish(tenantsChanged(`h${i}`));
    expect(slow.seen).toEqual([]);
    slow.open = true;
    await new Promise((r) => setTimeout(r, 50));
    expect(slow.seen).toEqual([
      { type: 'events.dropped', count: 7 },
      ...[7, 8, 9, 10, 11].map((i) => tenantsChanged(`h${i}`)),
    ]);
    hub.close();
  });

  it('in-process listeners hear every event at once, in order', () => {
    const hub = new EventHub();
    const heard: AppEvent[] = [];
    const off = hub.listen((e) => heard.push(e));
    hub.listen(() => {
      throw new Error('a broken listener');
    });
    hub.publish(hostsChanged);
    off();
    hub.publish(hostsChanged);
    expect(heard).toEqual([hostsChanged]);
  });
});
