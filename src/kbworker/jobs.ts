/**
 * The worker's jobs on disk: one JSON file per job under `<kbDir>/<tenant>/jobs/`, written
 * atomically on every phase change and, while embedding or indexing, at most every second. A
 * restart finds every job that was not finished and queues it again (resume), so no document
 * stays "processing" because the worker, the host or the laptop went away.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KbJob } from '../shared/kb/protocol';
import { KB_FINAL_PHASES } from '../shared/kb/protocol';

/** Finished jobs kept per tenant (the newest), for the screen's recent list. */
const KEEP_FINISHED = 200;
/** A job resumed this many times without finishing is failed instead. */
export const MAX_ATTEMPTS = 4;

export function newJobId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export class JobStore {
  private readonly jobs = new Map<string, KbJob>();
  private readonly listeners = new Set<(job: KbJob) => void>();
  private readonly lastWrite = new Map<string, number>();

  constructor(readonly kbDir: string) {}

  tenantDir(tenant: string): string {
    return join(this.kbDir, 'tenants', tenant);
  }

  /** Read every tenant's jobs; unfinished ones come back queued (or failed after too many tries). */
  async load(): Promise<KbJob[]> {
    const resumed: KbJob[] = [];
    const root = join(this.kbDir, 'tenants');
    const tenants = await readdir(root).catch(() => [] as string[]);
    for (const t of tenants) {
      const dir = join(root, t, 'jobs');
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        if (!f.endsWith('.json')) continue;
        try {
          const job = JSON.parse(await readFile(join(dir, f), 'utf8')) as KbJob;
          this.jobs.set(job.id, job);
          if (!KB_FINAL_PHASES.includes(job.phase)) resumed.push(job);
        } catch {
          await rm(join(dir, f), { force: true }); // a torn file from a crash mid-write: the tmp rename prevents most
        }
      }
    }
    resumed.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return resumed;
  }

  get(id: string): KbJob | undefined {
    return this.jobs.get(id);
  }

  list(tenant?: string): KbJob[] {
    return [...this.jobs.values()]
      .filter((j) => !tenant || j.tenant === tenant)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  onChange(fn: (job: KbJob) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Change a job: listeners hear it now; the file is written now for a phase change, else at most every second. */
  async update(job: KbJob, patch: Partial<KbJob>): Promise<KbJob> {
    const phaseChanged = patch.phase !== undefined && patch.phase !== job.phase;
    Object.assign(job, patch, { updatedAt: new Date().toISOString() });
    this.jobs.set(job.id, job);
    for (const fn of this.listeners) fn(job);
    const now = Date.now();
    if (phaseChanged || patch.error !== undefined || now - (this.lastWrite.get(job.id) ?? 0) >= 1000) {
      this.lastWrite.set(job.id, now);
      await this.write(job);
    }
    if (KB_FINAL_PHASES.includes(job.phase)) await this.prune(job.tenant);
    return job;
  }

  async add(job: KbJob): Promise<void> {
    this.jobs.set(job.id, job);
    await this.write(job);
    for (const fn of this.listeners) fn(job);
  }

  private async write(job: KbJob): Promise<void> {
    const dir = join(this.tenantDir(job.tenant), 'jobs');
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const file = join(dir, `${job.id}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(job), { mode: 0o640 });
    await rename(tmp, file);
  }

  private async prune(tenant: string): Promise<void> {
    const done = this.list(tenant).filter((j) => KB_FINAL_PHASES.includes(j.phase));
    for (const j of done.slice(KEEP_FINISHED)) {
      this.jobs.delete(j.id);
      this.lastWrite.delete(j.id);
      await rm(join(this.tenantDir(tenant), 'jobs', `${j.id}.json`), { force: true });
    }
  }
}
