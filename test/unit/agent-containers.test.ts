import { describe, expect, it } from 'vitest';
import { ContainerTable } from '../../src/agent/containers';
import type { InspectJson } from '../../src/agent/containers';
import type { DockerApi } from '../../src/agent/docker';

/**
 * The agent's table of containers against an inspect answer that arrives late. The STAND-IN below
 * answers Docker's inspect with what the test says, when the test says: the ordering of a destroy
 * event and an inspect in flight cannot be arranged with a real Engine on demand. The table itself
 * is the agent's own; a real Engine drives it in the integration tests (health-agent).
 */
const ID = 'a'.repeat(64);
const removing: InspectJson = {
  Id: ID,
  Name: '/acme-n8n-run-1',
  Config: {
    Image: 'n8n',
    Labels: { 'org.truffles.tenant': 'acme', 'com.docker.compose.service': 'n8n' },
  },
  State: { Status: 'removing', ExitCode: 0 },
  RestartCount: 0,
} as InspectJson;

function lateInspect(): { docker: DockerApi; answer(j: InspectJson): void } {
  let answer: (j: InspectJson) => void = () => undefined;
  const docker = {
    json: () =>
      new Promise<InspectJson>((resolve) => {
        answer = resolve;
      }),
  } as unknown as DockerApi;
  return { docker, answer: (j) => answer(j) };
}

describe("the agent's container table", () => {
  it('a container destroyed while its inspect was on the way does not come back', async () => {
    const { docker, answer } = lateInspect();
    const table = new ContainerTable(docker);
    const ev = (Action: string): string =>
      JSON.stringify({ Type: 'container', Action, Actor: { ID, Attributes: {} } });
    table.onEventLine(ev('die'));
    const inflight = table.refresh(ID); // joins the one the event started
    table.onEventLine(ev('destroy'));
    answer(removing); // the inspect that was asked before the destroy answers `removing`
    await inflight;
    await new Promise((r) => setTimeout(r, 0));
    expect(table.list()).toEqual([]);
  });

  it('without a destroy, the late answer is the record', async () => {
    const { docker, answer } = lateInspect();
    const table = new ContainerTable(docker);
    const done = table.refresh(ID);
    answer({ ...removing, State: { Status: 'running', StartedAt: '2026-12-07T09:00:00Z' } } as InspectJson);
    await done;
    expect(table.list().map((c) => [c.tenant, c.service, c.state])).toEqual([['acme', 'n8n', 'running']]);
  });
});
