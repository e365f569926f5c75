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
