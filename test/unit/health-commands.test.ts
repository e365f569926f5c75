import { describe, expect, it } from 'vitest';
import {
  agentDir,
  agentInspectCommand,
  agentProgramName,
  agentRemoveCommand,
  agentRunCommand,
  agentSocket,
  imagePresentCommand,
  socketGroupCommand,
} from '../../src/main/core/health/commands';

describe('agent host commands (exact argv)', () => {
  it('places the agent under the state folder', () => {
    expect(agentDir('/var/lib/truffles')).toBe('/var/lib/truffles/health');
    expect(agentSocket('/var/lib/truffles')).toBe('/var/lib/truffles/health/run/agent.sock');
    expect(agentProgramName('1.0.0', 'ab'.repeat(32))).toBe('truffles-agent-1.0.0-abababababab.mjs');
  });

  it('reads the Docker socket group, checks an image, inspects and removes the agent', () => {
    expect(socketGroupCommand('/var/run/docker.sock')).toEqual([
      'stat',
      '-c',
      '%g',
      '--',
      '/var/run/docker.sock',
    ]);
    expect(imagePresentCommand('truffles/n8n:1.123')).toEqual([
      'docker',
      'image',
      'inspect',
      '--format',
      '{{.Id}}',
      '--',
      'truffles/n8n:1.123',
    ]);
    expect(agentInspectCommand()).toEqual([
      'docker',
      'container',
      'inspect',
      '--format',
      '{{json .Config.Labels}}\t{{.State.Status}}\t{{.State.StartedAt}}\t{{.RestartCount}}\t{{.Config.Image}}',
      '--',
      'truffles-agent',
    ]);
    expect(agentRemoveCommand()).toEqual(['docker', 'rm', '--force', '--', 'truffles-agent']);
  });

  it('runs the agent with no network, read-only, restarted by Docker, with the host mounted read-only', () => {
    expect(
      agentRunCommand({
        image: 'truffles/n8n:1.123',
        version: '1.0.0',
        sha256: 'f'.repeat(64),
        stateDir: '/srv/t',
        dockerSocket: '/run/docker.sock',
        socketGid: 998,
        program: 'truffles-agent-1.0.0-ffffffffffff.mjs',
        hostName: 'prod-1',
        env: { TRUFFLES_ALERTS_SIDE_SECONDS: '5' },
      }),
    ).toEqual([
      'docker',
      'run',
      '--detach',
      '--name',
      'truffles-agent',
      '--restart',
      'unless-stopped',
      '--label',
      'org.truffles.agent=1.0.0',
      '--label',
      `org.truffles.agent.bundle=${'f'.repeat(64)}`,
      '--user',
      '0:0',
      '--network',
      'host',
      '--cgroupns',
      'host',
      '--read-only',
      '--memory',
      '160m',
      '--cpus',
      '0.5',
      '--pids-limit',
      '64',
      '--log-opt',
      'max-size=5m',
      '--log-opt',
      'max-file=2',
      '--env',
      'TRUFFLES_AGENT_DIR=/agent',
      '--env',
      'TRUFFLES_AGENT_GID=998',
      '--env',
      'TRUFFLES_STATE_DIR=/srv/t',
      '--env',
      'TRUFFLES_HOST_NAME=prod-1',
      '--env',
      'TRUFFLES_ALERTS_SIDE_SECONDS=5',
      '--volume',
      '/run/docker.sock:/var/run/docker.sock',
      '--volume',
      '/srv/t/health:/agent',
      '--volume',
      '/proc:/host/proc:ro',
      '--volume',
      '/:/host/root:ro',
      '--volume',
      '/sys/fs/cgroup:/host/cgroup:ro',
      '--entrypoint',
      'node',
      '--',
      'truffles/n8n:1.123',
      '--max-semi-space-size=1',
      '/agent/truffles-agent-1.0.0-ffffffffffff.mjs',
    ]);
  });
});
