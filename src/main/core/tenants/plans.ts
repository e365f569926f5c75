import type { Plan } from './modules';

/** CPU and memory per service (spec §7.2.2: limits and reservations in every compose service). */
export interface Resources {
  cpus: string;
  memory: string;
  reserveCpus: string;
  reserveMemory: string;
}

export type ServiceName = 'n8n' | 'postgres' | 'qdrant' | 'redis';

const r = (cpus: string, memory: string, reserveCpus: string, reserveMemory: string): Resources => ({
  cpus,
  memory,
  reserveCpus,
  reserveMemory,
});

/** Starter follows the spec's example (n8n 1 CPU / 1 GiB, reserving half); each plan up doubles. */
export const PLAN_RESOURCES: Record<Plan, Record<ServiceName, Resources>> = {
  starter: {
    n8n: r('1.0', '1G', '0.5', '512M'),
    postgres: r('0.5', '512M', '0.25', '256M'),
    qdrant: r('0.5', '512M', '0.25', '256M'),
    redis: r('0.25', '128M', '0.1', '64M'),
  },
  pro: {
    n8n: r('2.0', '2G', '1.0', '1G'),
    postgres: r('1.0', '1G', '0.5', '512M'),
    qdrant: r('1.0', '1G', '0.5', '512M'),
    redis: r('0.5', '256M', '0.25', '128M'),
  },
  enterprise: {
    n8n: r('4.0', '4G', '2.0', '2G'),
    postgres: r('2.0', '2G', '1.0', '1G'),
    qdrant: r('2.0', '2G', '1.0', '1G'),
    redis: r('1.0', '512M', '0.5', '256M'),
  },
};

/** PostgreSQL settings by plan (spec §7.2.2: max_connections 100, shared_buffers 256MB …). */
export const PLAN_POSTGRES: Record<Plan, { sharedBuffers: string; effectiveCacheSize: string }> = {
  starter: { sharedBuffers: '128MB', effectiveCacheSize: '384MB' },
  pro: { sharedBuffers: '256MB', effectiveCacheSize: '768MB' },
  enterprise: { sharedBuffers: '512MB', effectiveCacheSize: '1536MB' },
};
