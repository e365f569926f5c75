/**
 * The knowledge-base worker's place on a host, as paths and argument arrays (quoted by the
 * transport). Pure: test/unit/kb-commands.test.ts checks their exact output.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';

export const KB_CONTAINER = 'truffles-kb';
export const KB_LABEL = 'org.truffles.kb';
export const KB_BUNDLE_LABEL = 'org.truffles.kb.bundle';
/** The digest of the worker's own settings (its extra environment): a worker run with others is replaced. */
export const KB_ENV_LABEL = 'org.truffles.kb.env';

/** What KB_ENV_LABEL holds for these settings: '-' for none, else 12 hex of the sorted pairs' sha256. */
export function kbEnvDigest(env: Record<string, string> | undefined): string {
  const pairs = Object.entries(env ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (!pairs.length) return '-';
  return createHash('sha256').update(JSON.stringify(pairs)).digest('hex').slice(0, 12);
}

/** `<stateDir>/kb`: program/, run/kb.sock, tenants/<slug>/{incoming,files,jobs}. */
export function kbDir(stateDir: string): string {
  return posix.join(stateDir, 'kb');
}

export function kbSocket(stateDir: string): string {
  return posix.join(kbDir(stateDir), 'run', 'kb.sock');
}

/** Remove a stopped worker's socket file (a fresh one then means the new worker listens). */
export function kbSocketRemoveCommand(stateDir: string): string[] {
  return ['rm', '-f', '--', kbSocket(stateDir)];
}

export function kbIncoming(stateDir: string, slug: string): string {
  return posix.join(kbDir(stateDir), 'tenants', slug, 'incoming');
}

export function kbProgramName(version: string, sha256: string): string {
  return `truffles-kb-${version}-${sha256.slice(0, 12)}.mjs`;
}

export interface KbRunOptions {
  image: string;
  version: string;
  sha256: string;
  stateDir: string;
  dockerSocket: string;
  socketGid: number;
  /** uid:gid of the state folder's owner (the SSH user): the worker runs as it. */
  user: string;
  program: string;
  env?: Record<string, string>;
}

/**
 * Run the worker: restarted by Docker after a crash or a reboot (unfinished jobs resume); the
 * host's network (the tenants' containers on their internal networks, the tenants' LLM
 * endpoints); its own folder read-write, the tenants' folders read-only (their `.env`: database
 * login, Qdrant key, LLM endpoint); read-only root. Its own limits, apart from the host agent's:
 * a large PDF must not take health and alerts down with it.
 */
export function kbRunCommand(o: KbRunOptions): string[] {
  const dir = kbDir(o.stateDir);
  return [
    'docker',
    'run',
    '--detach',
    '--name',
    KB_CONTAINER,
    '--restart',
    'unless-stopped',
    '--label',
    `${KB_LABEL}=${o.version}`,
    '--label',
    `${KB_BUNDLE_LABEL}=${o.sha256}`,
    '--label',
    `${KB_ENV_LABEL}=${kbEnvDigest(o.env)}`,
    '--user',
    o.user,
    // The Docker socket's group: it finds the tenants' containers.
    '--group-add',
    String(o.socketGid),
    '--network',
    'host',
    '--read-only',
    '--tmpfs',
    '/tmp:size=64m',
    '--memory',
    '768m',
    '--cpus',
    '1',
    '--pids-limit',
    '64',
    '--log-opt',
    'max-size=5m',
    '--log-opt',
    'max-file=2',
    '--env',
    'TRUFFLES_KB_DIR=/kb',
    '--env',
    'TRUFFLES_TENANTS_DIR=/tenants',
    ...Object.entries(o.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    '--volume',
    `${o.dockerSocket}:/var/run/docker.sock`,
    '--volume',
    `${dir}:/kb`,
    '--volume',
    `${posix.join(o.stateDir, 'tenants')}:/tenants:ro`,
    '--entrypoint',
    'node',
    '--',
    o.image,
    '--max-old-space-size=512',
    `/kb/program/${o.program}`,
  ];
}
