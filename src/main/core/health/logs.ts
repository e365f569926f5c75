/**
 * Following a tenant's logs through its host's agent: the lines come as `logs.lines` events under
 * a stream id, in order per service. A follow has an owner and an end: `stop`, the end of the
 * lines (not following), or its owner (window, socket) going away. When the connection drops, it
 * goes on from each service's last line (Docker's `since`), dropping the lines it already sent at
 * that same moment: nothing lost, nothing twice.
 */
import { randomBytes } from 'node:crypto';
import type { AppEvent, LogLine } from '../../../shared/contract';
import type { LogsBatch } from '../../../shared/agent/protocol';
import { CoreError, toErrorInfo } from '../errors';
import type { AgentStream } from './client';
import type { HealthService } from './service';

export interface FollowInput {
  host: string;
  slug: string;
  service?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  tail: number;
  follow: boolean;
}

const RESUME_WAIT_MS = 1_000;
const RESUME_GIVE_UP_MS = 5 * 60_000;
const SPAN = /^(\d+)([smhd])$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m` → the moment ten minutes ago; an RFC 3339 moment as it is. */
export function resolveSince(since: string, now = Date.now()): string {
  const m = SPAN.exec(since);
  return m ? new Date(now - Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1_000)).toISOString() : since;
}

/** Per service: the last line's moment and the texts sent at that moment (for the resume's overlap). */
export class ResumePoint {
  private readonly last = new Map<string, { t: string; texts: Set<string> }>();

  /** Is this line new (not one already sent before a resume)? Records it when it is. */
  take(service: string, t: string, text: string): boolean {
    const p = this.last.get(service);
    if (p && t < p.t) return false;
    if (p && t === p.t) {
      if (p.texts.has(text)) return false;
      p.texts.add(text);
      return true;
    }
    this.last.set(service, { t, texts: new Set([text]) });
    return true;
  }

  since(service: string): string | undefined {
    return this.last.get(service)?.t;
  }
}

export class LogFollows {
  private readonly follows = new Map<string, () => void>();

  constructor(
    private readonly health: HealthService,
    private readonly emit: (e: AppEvent) => void,
  ) {}

  get count(): number {
    return this.follows.size;
  }

  async follow(input: FollowInput): Promise<{ streamId: string; services: string[]; stop: () => void }> {
    const { containers } = await this.health.tenant(input.slug, input.host);
    let chosen = input.service ? containers.filter((c) => c.service === input.service) : containers;
    if (chosen.length === 0)
      throw new CoreError(
        'logs.no-service',
        `Tenant '${input.slug}' on '${input.host}' has no service '${input.service ?? ''}'.`,
        `Its services: ${containers.map((c) => c.service).join(', ') || 'none'}.`,
      );
    const streamId = `logs-${randomBytes(6).toString('hex')}`;
    const startedAt = new Date().toISOString();
    const since = input.since ? resolveSince(input.since) : undefined;
    const point = new ResumePoint();
    let stopped = false;
    let current: AgentStream | null = null;
    let wake: (() => void) | null = null;

    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      this.follows.delete(streamId);
      current?.close();
      wake?.();
    };
    this.follows.set(streamId, stop);

    const run = async (): Promise<void> => {
      let resumed = false;
      let failingSince: number | null = null;
      for (;;) {
        let failure: Error | null;
        try {
          // After a break, a service may run in a new container (recreated): follow it by service.
          if (resumed) {
            const now = (await this.health.tenant(input.slug, input.host)).containers;
            chosen = chosen.map((c) => now.find((n) => n.service === c.service) ?? c);
          }
          const client = await this.health.client(input.host);
          const targets = chosen.map((c) => {
            const from = point.since(c.service) ?? (resumed ? (since ?? startedAt) : since);
            return { id: c.id, service: c.service, ...(from ? { since: from } : {}) };
          });
          const wasResumed = resumed;
          let first = true;
          current = client.stream(
            'logs',
            {
              targets,
              tail: input.tail,
              follow: input.follow,
              ...(input.until ? { until: input.until } : {}),
            },
            (batch: LogsBatch) => {
              const lines: LogLine[] = [];
              for (const [t, s, text] of batch.lines)
                if (point.take(batch.service, t, text))
                  lines.push({ t, service: batch.service, stream: s === 1 ? 'stderr' : 'stdout', text });
              if (!lines.length) return;
              this.emit({
                type: 'logs.lines',
                streamId,
                lines,
                ...(first && wasResumed ? { resumed: true } : {}),
              });
              first = false;
              failingSince = null;
            },
          );
          if (stopped) current.close();
          failure = await current.ended;
        } catch (err) {
          failure = err instanceof Error ? err : new Error(String(err));
        }
        current = null;
        if (stopped) return;
        if (!failure || !input.follow) {
          this.follows.delete(streamId);
          this.emit({
            type: 'logs.lines',
            streamId,
            lines: [],
            ended: true,
            ...(failure ? { error: toErrorInfo(failure) } : {}),
          });
          return;
        }
        failingSince ??= Date.now();
        if (Date.now() - failingSince > RESUME_GIVE_UP_MS) {
          this.follows.delete(streamId);
          this.emit({ type: 'logs.lines', streamId, lines: [], ended: true, error: toErrorInfo(failure) });
          return;
        }
        resumed = true;
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, RESUME_WAIT_MS).unref?.();
        });
        if (stopped) return;
      }
    };
    void run();
    return { streamId, services: chosen.map((c) => c.service), stop };
  }

  stop(streamId: string): boolean {
    const stop = this.follows.get(streamId);
    stop?.();
    return stop !== undefined;
  }

  close(): void {
    for (const stop of [...this.follows.values()]) stop();
  }
}
