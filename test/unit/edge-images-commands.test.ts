import { describe, expect, it } from 'vitest';
import { EDGE_PROJECT, edgeUpCommand } from '../../src/main/core/edge/commands';
import { dockerLoadCommand } from '../../src/main/core/images/commands';

/** Issue 12 item 3: the edge's and the image shipping's host commands, exact. */
describe('edge and images builders', () => {
  it('the edge comes up from its folder as its own compose project, orphans removed', () => {
    expect(edgeUpCommand('/opt/truffles/edge')).toEqual([
      'docker',
      'compose',
      '--project-name',
      EDGE_PROJECT,
      '--project-directory',
      '/opt/truffles/edge',
      '--file',
      '/opt/truffles/edge/compose.yaml',
      '--env-file',
      '/opt/truffles/edge/.env',
      'up',
      '--detach',
      '--remove-orphans',
    ]);
    expect(EDGE_PROJECT).toBe('truffles-edge');
    // A state folder with spaces or quotes stays one argument each (no shell).
    expect(edgeUpCommand("/srv/it's here/edge")).toContain("/srv/it's here/edge/compose.yaml");
  });

  it('images are loaded from stdin, nothing else', () => {
    expect(dockerLoadCommand()).toEqual(['docker', 'load']);
  });
});
