import type { AppEvent } from '../../shared/contract';

/**
 * Where the core's events go. Nothing is broadcast: an event reaches a window or a socket only
 * while it holds a subscription to the event's type, and every subscription has
 *
 * - an **owner** (a window, a socket): `attach(owner, sink)` gives the owner its sink, and
 *   `detach(owner)` — called when the window closes or reloads, or the socket closes — ends every
 *   subscription it holds;
 * - a **bounded queue** (one per owner; an event its subscriptions match is queued once): events
 *   wait while the sink cannot take more (a slow socket); past `maxQueue` the oldest are dropped, and the next delivery starts with one `events.dropped`
 *   event carrying the count, so the client knows to reload what it shows;
 * - an **end**: `unsubscribe`, `detach`, or the hub's `close`.
 *
 * In-process listeners (`listen`: the CLI's progress printer, tests) are called at once, in order.
 */
export interface EventSink {
  send(event: AppEvent): void;
  /** Whether the sink can take more now (e.g. a socket's send buffer is below its mark). */
  ready(): boolean;
}

interface Owner {
  sink: EventSink;
  /** Subscription id → its topics. An event matching any of them is queued once. */
  subscriptions: Map<string, ReadonlySet<string>>;
  queue: AppEvent[];
  dropped: number;
  timer: NodeJS.Timeout | null;
}

export interface EventHubOptions {
  /** Events kept per subscription while its sink is not ready (default 1000). */
  maxQueue?: number;
  /** How often a sink that was not ready is tried again (default 50 ms). */
  retryMs?: number;
}

/** Work that runs while some owner subscribes to a topic by name (`onDemand`). */
interface Demand {
  topics: readonly string[];
  start: () => () => void;
  stop: (() => void) | null;
}

export class EventHub {
  private readonly owners = new Map<string, Owner>();
  private readonly demands = new Set<Demand>();
  private readonly gone = new Map<string, Set<() => void>>();
  private readonly listeners = new Set<(event: AppEvent) => void>();
  private readonly maxQueue: number;
  private readonly retryMs: number;
  private nextId = 1;

  constructor(options: EventHubOptions = {}) {
    this.maxQueue = options.maxQueue ?? 1000;
    this.retryMs = options.retryMs ?? 50;
  }

  /** An in-process listener of every event, called synchronously. */
  listen(listener: (event: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Give an owner (a window, a socket) its sink. Its subscriptions end with `detach`. */
  attach(owner: string, sink: EventSink): () => void {
    this.detach(owner);
    this.owners.set(owner, { sink, subscriptions: new Map(), queue: [], dropped: 0, timer: null });
    return () => this.detach(owner);
  }

  /** End every subscription of an owner and forget its sink. Returns how many ended. */
  detach(owner: string): number {
    const o = this.owners.get(owner);
    if (!o) return 0;
    if (o.timer) clearTimeout(o.timer);
    this.owners.delete(owner);
    this.reviewDemands();
    this.ended(owner);
    return o.subscriptions.size;
  }

  /** End an owner's subscriptions but keep its sink (a window that reloads its page). */
  endSubscriptions(owner: string): number {
    const o = this.owners.get(owner);
    if (!o) return 0;
    const n = o.subscriptions.size;
    o.subscriptions.clear();
    o.queue = [];
    o.dropped = 0;
    this.reviewDemands();
    this.ended(owner);
    return n;
  }

  /** Topics are event types or `*` (the contract checks them). */
  subscribe(owner: string, topics: readonly string[]): string | null {
    const o = this.owners.get(owner);
    if (!o) return null;
    const id = `sub-${this.nextId++}`;
    o.subscriptions.set(id, new Set(topics));
    this.reviewDemands();
    return id;
  }

  unsubscribe(owner: string, id: string): boolean {
    const removed = this.owners.get(owner)?.subscriptions.delete(id) ?? false;
    this.reviewDemands();
    return removed;
  }

  /**
   * Run `start` while at least one owner subscribes to `topic` (or any of several topics) by name
   * (`*` does not count: a screen that wants a live feed asks for it), and the function it returns
   * when the last such subscription ends. The health feed follows the hosts' agents only while a
   * screen shows it (or the desktop shell wants alerts).
   */
  onDemand(topic: string | readonly string[], start: () => () => void): () => void {
    const d: Demand = { topics: typeof topic === 'string' ? [topic] : topic, start, stop: null };
    this.demands.add(d);
    this.reviewDemands();
    return () => {
      this.demands.delete(d);
      d.stop?.();
      d.stop = null;
    };
  }

  /**
   * Call `end` when `owner` detaches or ends its subscriptions (a closed socket, a reloaded
   * window): what the owner started (a log follow) ends with it. Returns the unregistration.
   */
  whenGone(owner: string, end: () => void): () => void {
    let set = this.gone.get(owner);
    if (!set) this.gone.set(owner, (set = new Set()));
    set.add(end);
    return () => set.delete(end);
  }

  private ended(owner: string): void {
    const set = this.gone.get(owner);
    this.gone.delete(owner);
    for (const end of set ?? []) end();
  }

  /** Is some owner subscribed to `topic` by name? */
  wants(topic: string): boolean {
    for (const o of this.owners.values())
      for (const t of o.subscriptions.values()) if (t.has(topic)) return true;
    return false;
  }

  private reviewDemands(): void {
    for (const d of this.demands) {
      const wanted = d.topics.some((t) => this.wants(t));
      if (wanted && !d.stop) d.stop = d.start();
      else if (!wanted && d.stop) {
        const stop = d.stop;
        d.stop = null;
        stop();
      }
    }
  }

  /** How many subscriptions are live (of one owner, or in all). */
  count(owner?: string): number {
    if (owner !== undefined) return this.owners.get(owner)?.subscriptions.size ?? 0;
    let n = 0;
    for (const o of this.owners.values()) n += o.subscriptions.size;
    return n;
  }

  publish(event: AppEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        /* one listener's failure is not the others' */
      }
    }
    for (const [name, o] of this.owners) {
      if (![...o.subscriptions.values()].some((t) => t.has('*') || t.has(event.type))) continue;
      o.queue.push(event);
      if (o.queue.length > this.maxQueue) {
        o.queue.shift();
        o.dropped += 1;
      }
      this.flush(name, o);
    }
  }

  close(): void {
    for (const owner of [...this.owners.keys()]) this.detach(owner);
    for (const d of this.demands) d.stop?.();
    this.demands.clear();
    this.listeners.clear();
  }

  private flush(name: string, o: Owner): void {
    if (o.timer) return;
    while (o.queue.length || o.dropped) {
      if (!o.sink.ready()) {
        o.timer = setTimeout(() => {
          o.timer = null;
          if (this.owners.get(name) === o) this.flush(name, o);
        }, this.retryMs);
        o.timer.unref?.();
        return;
      }
      if (o.dropped) {
        const count = o.dropped;
        o.dropped = 0;
        this.deliver(o, { type: 'events.dropped', count });
        continue;
      }
      this.deliver(o, o.queue.shift() as AppEvent);
    }
  }

  private deliver(o: Owner, event: AppEvent): void {
    try {
      o.sink.send(event);
    } catch {
      /* a sink that fails is closing; its owner detaches */
    }
  }
}
