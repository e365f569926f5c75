import { describe, expect, it } from 'vitest';
import { EventHub } from '../../src/main/core/events';

const sink = { send: () => undefined, ready: () => true };

describe('EventHub.onDemand: work that runs while a topic is subscribed by name', () => {
  it('starts with the first named subscription, not for "*", and stops with the last one', () => {
    const hub = new EventHub();
    const log: string[] = [];
    hub.onDemand('health.changed', () => {
      log.push('start');
      return () => log.push('stop');
    });
    hub.attach('win', sink);
    hub.attach('sock', sink);
    hub.subscribe('win', ['*']);
    expect(log).toEqual([]);
    const a = hub.subscribe('win', ['health.changed'])!;
    const b = hub.subscribe('sock', ['tenants.changed', 'health.changed'])!;
    expect(log).toEqual(['start']);
    hub.unsubscribe('win', a);
    expect(log).toEqual(['start']);
    expect(b).toBeTruthy();
    hub.detach('sock'); // a closed socket ends its subscriptions, and so the work
    expect(log).toEqual(['start', 'stop']);
    hub.subscribe('win', ['health.changed']);
    expect(log).toEqual(['start', 'stop', 'start']);
    hub.endSubscriptions('win'); // a reloaded window
    expect(log).toEqual(['start', 'stop', 'start', 'stop']);
  });

  it('starts at once when registered while wanted, and the hub closing stops it', () => {
    const hub = new EventHub();
    hub.attach('win', sink);
    hub.subscribe('win', ['health.changed']);
    let running = false;
    hub.onDemand('health.changed', () => {
      running = true;
      return () => (running = false);
    });
    expect(running).toBe(true);
    hub.close();
    expect(running).toBe(false);
  });

  it('work wanted by several topics runs once while any of them is subscribed', () => {
    const hub = new EventHub();
    const log: string[] = [];
    hub.onDemand(['health.changed', 'alerts.changed'], () => {
      log.push('start');
      return () => log.push('stop');
    });
    hub.attach('win', sink);
    hub.attach('shell', sink);
    hub.subscribe('shell', ['alerts.changed']);
    const a = hub.subscribe('win', ['health.changed', 'alerts.changed'])!;
    expect(log).toEqual(['start']);
    hub.unsubscribe('win', a);
    expect(log).toEqual(['start']);
    hub.detach('shell');
    expect(log).toEqual(['start', 'stop']);
  });
});
