/**
 * The host commands of the agent's life, as argument arrays (quoted by the transport): where it
 * lives, how its container is run, inspected and removed. Pure: each has a unit test on its
 * exact output (test/unit/health-commands.test.ts).
 */
import { posix } from 'node:path';
import { AGENT_LABEL } from '../../../shared/agent/protocol';

/** The agent's container on every host. */
export const AGENT_CONTAINER = 'truffles-agent';
export const AGENT_BUNDLE_LABEL = 'org.truffles.agent.bundle';

/**
 * `<stateDir>/health`: the program, `data/` (history), `run/agent.sock` (the door). Not
 * `<stateDir>/agent`, which is the backup agent's (its settings must not be visible in here).
 */
export function agentDir(stateDir: string): string {
  return posix.join(stateDir, 'health');
}

export function agentSocket(stateDir: string): string {
  return posix.join(agentDir(stateDir), 'run', 'agent.sock');
}

export function agentProgramName(version: string, sha256: string): string {
  return `truffles-agent-${version}-${sha256.slice(0, 12)}.mjs`;
}

/** The group id of the Docker socket (the agent's door gets the same group). */
export function socketGroupCommand(dockerSocket: string): string[] {
  return ['stat', '-c', '%g', '--', dockerSocket];
}

export function imagePresentCommand(image: string): string[] {
  return ['docker', 'image', 'inspect', '--format', '{{.Id}}', '--', image];
}

/**
 * A program container's labels, state and restarts, as one line of JSON and tabs ("" when there
 * is none): the agent's, and the knowledge-base worker's (core/kb).
 */
export function containerInspectCommand(name: string): string[] {
  return [
    'docker',
    'container',
    'inspect',
    '--format',
    '{{json .Config.Labels}}\t{{.State.Status}}\t{{.State.StartedAt}}\t{{.RestartCount}}\t{{.Config.Image}}',
    '--',
    name,
  ];
}

export function containerRemoveCommand(name: string): string[] {
  return ['docker', 'rm', '--force', '--', name];
}

export function agentInspectCommand(): string[] {
  return containerInspectCommand(AGENT_CONTAINER);
}

export function agentRemoveCommand(): string[] {
  return containerRemoveCommand(AGENT_CONTAINER);
}

export interface AgentRunOptions {
  image: string;
  version: string;
  sha256: string;
  stateDir: string;
  dockerSocket: string;
  socketGid: number;
  program: string;
  /** The host's name in the console (the agent's alert messages name it until configured). */
  hostName: string;
  /** More environment for the agent (tests: how often it reads backups, certificates, posture). */
  env?: Record<string, string>;
  /**
   * The host's support account (issue 17): the agent serves the support door in `runDir` with the
   * account's group, and records support reads in the state folder's audit trail.
   */
  support?: { gid: number; runDir: string };
}

/** The agent's label saying it serves the support door, with the support group's id. */
export const AGENT_SUPPORT_LABEL = 'org.truffles.agent.support';

/**
 * Run the agent: restarted by Docker after a crash or a reboot; the host's network (it sends
 * alerts to Telegram and reads the certificates the edge serves on 127.0.0.1:443) but no listening
 * port (the console reaches it through its Unix socket, over SSH), read-only root,
 * small limits. It reads the host's /proc, its cgroup tree (container stats without asking Docker)
 * and, read-only, its filesystems (for disk usage).
 */
export function agentRunCommand(o: AgentRunOptions): string[] {
  const dir = agentDir(o.stateDir);
  return [
    'docker',
    'run',
    '--detach',
    '--name',
    AGENT_CONTAINER,
    '--restart',
    'unless-stopped',
    '--label',
    `${AGENT_LABEL}=${o.version}`,
    '--label',
    `${AGENT_BUNDLE_LABEL}=${o.sha256}`,
    ...(o.support ? ['--label', `${AGENT_SUPPORT_LABEL}=${o.support.gid}`] : []),
    '--user',
    '0:0',
    '--network',
    'host',
    // The host's cgroup namespace: /proc/<pid>/cgroup of a container then names its full path.
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
    `TRUFFLES_AGENT_GID=${o.socketGid}`,
    '--env',
    `TRUFFLES_STATE_DIR=${o.stateDir}`,
    '--env',
    `TRUFFLES_HOST_NAME=${o.hostName}`,
    ...(o.support
      ? [
          '--env',
          'TRUFFLES_SUPPORT_SOCKET=/support/support.sock',
          '--env',
          `TRUFFLES_SUPPORT_GID=${o.support.gid}`,
          '--env',
          'TRUFFLES_AUDIT_ROOT=/state',
          '--volume',
          `${o.support.runDir}:/support`,
          '--volume',
          `${posix.join(o.stateDir, 'audit')}:/state/audit`,
        ]
      : []),
    ...Object.entries(o.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    '--volume',
    `${o.dockerSocket}:/var/run/docker.sock`,
    '--volume',
    `${dir}:/agent`,
    '--volume',
    '/proc:/host/proc:ro',
    '--volume',
    '/:/host/root:ro',
    '--volume',
    '/sys/fs/cgroup:/host/cgroup:ro',
    '--entrypoint',
    'node',
    '--',
    o.image,
    // A young generation of 1 MiB semi-spaces: the agent allocates little at a time, and V8's
    // default (16 MiB) alone is a third of its memory goal.
    '--max-semi-space-size=1',
    `/agent/${o.program}`,
  ];
}
