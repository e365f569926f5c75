import { posix } from 'node:path';

/**
 * `docker compose` for a stack kept in a folder on the host (`compose.yaml` and `.env` side by
 * side): the tenants' stacks and the edge. One place builds this argument list.
 */
export function compose(dir: string, project: string, ...args: string[]): string[] {
  return [
    'docker',
    'compose',
    '--project-name',
    project,
    '--project-directory',
    dir,
    '--file',
    posix.join(dir, 'compose.yaml'),
    '--env-file',
    posix.join(dir, '.env'),
    ...args,
  ];
}

/** The services of a tenant stack. */
export const SERVICES = ['n8n', 'postgres', 'qdrant', 'redis'] as const;
/**
 * The services that hold a tenant's data. Started first (n8n comes up only once its database is
 * migrated and its workflows imported); a restore keeps them running and stops only the rest.
 */
export const DATA_SERVICES = ['postgres', 'qdrant', 'redis'];

/** Docker's own label naming a container's, volume's or network's compose project. */
export const PROJECT_LABEL = 'com.docker.compose.project';

/**
 * The console's own label, `org.truffles.tenant=<slug>`, on every service, volume and network of a
 * tenant stack (render.ts puts it there). Teardown removes only what carries it, so a compose
 * project of the same name that is not ours is never touched.
 */
export const TENANT_LABEL = 'org.truffles.tenant';

/**
 * The volumes and networks the tenant template declares, as Compose names them (`<slug>_<name>`):
 * what a tenant created before volumes and networks carried TENANT_LABEL owns (checked against the
 * template by a unit test).
 */
export const TEMPLATE_VOLUMES = ['pg_data', 'n8n_data', 'qdrant_data', 'redis_data'] as const;
export const TEMPLATE_NETWORKS = ['internal'] as const;
