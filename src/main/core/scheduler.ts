/**
 * Background work of an open console (the desktop app, the browser mode; not the CLI): named
 * jobs, each run every `everyMs` after a first delay, never two runs of one job at once, a
 * failure recorded and the next run kept. Jobs enter the core through its one door like any
 * caller (as `via: 'scheduler'`), so they are validated and asked of the policy too.
 */
export interface JobSpec {
  name: string;
  everyMs: number;
  /** The first run, after start (default: everyMs). */
  firstMs?: number;
  run: () => Promise<unknown>;
}

export interface JobView {
  name: string;
  everyMs: number;
  running: boolean;
  runs: number;
  lastStartedAt: string | null;
  lastError: string | null;
}

interface Job extends JobView {
  spec: JobSpec;
  timers: NodeJS.Timeout[];
}

export class Scheduler {
  private readonly jobs = new Map<string, Job>();

  /** Start a job; a job with that name already started is left as it is. */
  add(spec: JobSpec): void {
    if (this.jobs.has(spec.name)) return;
    const job: Job = {
      name: spec.name,
      everyMs: spec.everyMs,
      running: false,
      runs: 0,
      lastStartedAt: null,
      lastError: null,
      spec,
      timers: [],
    };
    const tick = (): void => void this.runOnce(job);
    const every = setInterval(tick, spec.everyMs);
    const first = setTimeout(tick, spec.firstMs ?? spec.everyMs);
    every.unref();
    first.unref();
    job.timers.push(every, first);
    this.jobs.set(spec.name, job);
  }

  /** Run a job now (unless it is running): what its timer does. Resolves when that run ends. */
  async runNow(name: string): Promise<boolean> {
    const job = this.jobs.get(name);
    return job ? this.runOnce(job) : false;
  }

  list(): JobView[] {
    return [...this.jobs.values()].map(({ spec: _s, timers: _t, ...view }) => view);
  }

  stop(): void {
    for (const job of this.jobs.values()) for (const t of job.timers) clearTimeout(t);
    this.jobs.clear();
  }

  private async runOnce(job: Job): Promise<boolean> {
    if (job.running || this.jobs.get(job.name) !== job) return false;
    job.running = true;
    job.runs += 1;
    job.lastStartedAt = new Date().toISOString();
    try {
      await job.spec.run();
      job.lastError = null;
    } catch (err) {
      job.lastError = err instanceof Error ? err.message : String(err);
    } finally {
      job.running = false;
    }
    return true;
  }
}
