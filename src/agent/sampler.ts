/**
 * Where a sweep gets each container's counters: from the kernel's files (cgroups.ts) when the
 * host's cgroup tree is mounted and the container's process is known, else from Docker's one-shot
 * stats API (5 at a time, each given 2.1 s). The cgroup way costs dockerd and containerd nothing;
 * the API way costs them a stats collection per container.
 */
import { CgroupReader } from './cgroups';
import type { CgroupMode, SweepContext } from './cgroups';
import type { DockerApi } from './docker';
import type { DockerStatsJson } from './stats';
import { sweep } from './sweep';

/** How the last sweep read its containers: a cgroup version, Docker's API, or both (some fell back). */
export type StatsSource = 'cgroup-v1' | 'cgroup-v2' | 'docker-api' | 'mixed';

export interface SampleTarget {
  id: string;
  /** The container's first process on the host; null sends it to Docker's API. */
  pid: number | null;
}

export class Sampler {
  private reader: CgroupReader | null | undefined = undefined;
  /** How the last sweep read its containers (null before the first). */
  source: StatsSource | null = null;

  constructor(
    private readonly docker: DockerApi,
    private readonly cgroupRoot: string | null,
    private readonly procRoot: string,
  ) {}

  private cgroups(): CgroupReader | null {
    if (this.reader === undefined) {
      const mode: CgroupMode | null = this.cgroupRoot ? CgroupReader.detect(this.cgroupRoot) : null;
      this.reader = mode && this.cgroupRoot ? new CgroupReader(this.cgroupRoot, this.procRoot, mode) : null;
    }
    return this.reader;
  }

  /** Every target's counters (or the Error that kept them), by id. */
  async sample(
    targets: SampleTarget[],
    ctx: SweepContext | null,
  ): Promise<Map<string, DockerStatsJson | Error>> {
    const out = new Map<string, DockerStatsJson | Error>();
    const reader = ctx ? this.cgroups() : null;
    const viaApi: string[] = [];
    let viaFiles = 0;
    if (reader && ctx) {
      for (const t of targets) {
        let r: DockerStatsJson | null = null;
        try {
          if (t.pid !== null) r = reader.read(t.pid, ctx);
        } catch {
          r = null; // the process ended, or its files are not visible: ask Docker
        }
        if (r) {
          out.set(t.id, r);
          viaFiles++;
        } else viaApi.push(t.id);
      }
    } else {
      viaApi.push(...targets.map((t) => t.id));
    }
    if (viaApi.length) {
      const answers = await sweep(
        viaApi,
        (id, signal) =>
          this.docker.json<DockerStatsJson>(`/containers/${id}/stats?stream=false&one-shot=true`, {
            signal,
            timeoutMs: 2_100,
          }),
        { concurrency: 5, timeoutMs: 2_100 },
      );
      for (const [id, a] of answers) out.set(id, a);
    }
    if (targets.length) {
      const files: StatsSource = reader ? (`cgroup-${reader.mode}` as StatsSource) : 'docker-api';
      this.source = viaApi.length === 0 ? files : viaFiles === 0 ? 'docker-api' : 'mixed';
    }
    return out;
  }
}
