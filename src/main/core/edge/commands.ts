import { compose } from '../tenants/compose';

/** The edge's compose project on every host. */
export const EDGE_PROJECT = 'truffles-edge';

/** Start (or update in place) the edge's stack from its folder, dropping services it no longer has. */
export function edgeUpCommand(dir: string): string[] {
  return compose(dir, EDGE_PROJECT, 'up', '--detach', '--remove-orphans');
}
