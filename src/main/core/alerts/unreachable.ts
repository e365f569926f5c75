/**
 * The console's own alert rule (issue 14): a host whose agent the console cannot follow for N
 * minutes (5 unless the settings say otherwise). Only a console can know this — an agent that
 * cannot be reached cannot say so. The live feed (health/follow.ts) reports each failure and each
 * success; this fires once, after N minutes of failures with no success between, and resolves
 * once, at the next success, as `alerts.changed` events with `unreachable`. Time is injected.
 */
import type { AppEvent, ErrorInfo } from '../../../shared/contract';

export const DEFAULT_UNREACHABLE_MINUTES = 5;

export interface UnreachableOptions {
  now?: () => number;
  /** N: how long a host may be unreachable before it fires (read at each check). */
  minutes?: () => number | Promise<number>;
}

export class UnreachableRule {
  private since: number | null = null;
  private error: ErrorInfo | null = null;
  private fired = false;
  /** The last N read (for `msUntilDue` between checks). */
  private lastMinutes = DEFAULT_UNREACHABLE_MINUTES;
  private readonly now: () => number;
  private readonly minutes: () => number | Promise<number>;

  constructor(
    private readonly host: string,
    private readonly emit: (e: AppEvent) => void,
    options: UnreachableOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.minutes = options.minutes ?? (() => DEFAULT_UNREACHABLE_MINUTES);
  }

  /** The host could not be followed (again): counted from the first failure since the last success. */
  async down(error: ErrorInfo): Promise<void> {
    this.since ??= this.now();
    this.error = error;
    await this.check();
  }

  /** Fire when the host has been unreachable for N minutes (once per outage). */
  async check(): Promise<void> {
    if (this.since === null || this.fired) return;
    const n = await this.readMinutes();
    const since = this.since;
    // A success may have come while N was read.
    if (this.since !== since || this.fired || this.error === null) return;
    const elapsed = this.now() - since;
    if (elapsed < n * 60_000) return;
    this.fired = true;
    this.emit({
      type: 'alerts.changed',
      host: this.host,
      unreachable: {
        since: new Date(since).toISOString(),
        minutes: Math.floor(elapsed / 60_000),
        error: this.error,
      },
    });
  }

  /** The host can be followed again: resolves a fired outage (once); a short one passes unsaid. */
  up(): void {
    if (this.fired) this.emit({ type: 'alerts.changed', host: this.host, unreachable: null });
    this.since = null;
    this.error = null;
    this.fired = false;
  }

  /** How long until the outage under way is due to fire; null when none is (none, or fired). */
  msUntilDue(): number | null {
    if (this.since === null || this.fired) return null;
    return Math.max(0, this.since + this.lastMinutes * 60_000 - this.now());
  }

  /** Whether an outage was announced and not resolved yet. */
  get firing(): boolean {
    return this.fired;
  }

  private async readMinutes(): Promise<number> {
    try {
      const n = await this.minutes();
      if (Number.isFinite(n) && n > 0) this.lastMinutes = n;
    } catch {
      // The settings cannot be read now: the last value read stands.
    }
    return this.lastMinutes;
  }
}
