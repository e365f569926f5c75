import type { Duplex, Readable, Writable } from 'node:stream';
import type { SshConnection } from './connection';

/**
 * The shapes and limits of an SSH connection: what a caller gives (endpoint, credentials, the
 * host-key policy, options) and gets back (results, the offered key).
 */

/** What the console knows of a host key before connecting. */
export type HostKeyPolicy =
  /** The pinned key: anything else is refused. */
  | { kind: 'pinned'; key: Buffer; fingerprint: string }
  /** The operator just confirmed this fingerprint: accept exactly it. */
  | { kind: 'confirmed'; fingerprint: string };

export interface SshCredentials {
  privateKey?: string | Buffer;
  passphrase?: string;
  /** Path of an ssh-agent socket. */
  agent?: string;
}

export interface SshEndpoint {
  address: string;
  port: number;
  user: string;
  /** Host name in the inventory, for messages. */
  label?: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  env?: Record<string, string>;
  /** Streamed output, as it arrives (the result still carries all of it). */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /**
   * Standard output piped here with backpressure instead of being collected (the result's
   * `stdout` is then empty): for large output such as a backup archive.
   */
  stdout?: Writable;
  /** Streamed to the command's standard input (with backpressure); ended when it ends. */
  stdin?: Readable;
  /**
   * Keep standard input open until the command ends (it reads EOF when the console goes away:
   * how host-side locks die with their holder). Otherwise stdin is closed at once.
   */
  holdStdin?: boolean;
  /** What this command is, in an `ssh.busy` message (default: its program name). Never secrets. */
  label?: string;
}

export interface ConnectOptions {
  /** An already open stream to the SSH server (a forward through a jump host). */
  sock?: Duplex;
  /** Handshake + authentication must finish within this (default 15 s). */
  readyTimeoutMs?: number;
  /** Session channels (exec, SFTP) open at once; OpenSSH's MaxSessions defaults to 10. */
  maxSessions?: number;
  /** Connections this one rides on (jump hosts), closed with it — however it ends. */
  hops?: SshConnection[];
  /** How long a command waits for a free session channel before `ssh.busy` (default 3 min). */
  slotWaitMs?: number;
  /** An SFTP request unanswered this long fails its upload (default SFTP_STALL_MS). */
  sftpStallMs?: number;
  /** A session channel the server has not opened within this fails with `ssh.channel` (default 60 s). */
  channelOpenMs?: number;
}

export interface UploadOptions {
  mode?: number;
}

/** How long a command waits for a free session channel before `ssh.busy` (ConnectOptions.slotWaitMs). */
export const DEFAULT_SLOT_WAIT_MS = 180_000;

/** Output an exec keeps in memory per stream (more is dropped and the result marked truncated). */
export const EXEC_OUTPUT_LIMIT = 8 * 1024 * 1024;

/** Docker Engine API calls on the short client fail after this long without an answer. */
export const DOCKER_CALL_TIMEOUT_MS = 120_000;

/** An SFTP request (open, write, rename) unanswered this long fails the upload. */
export const SFTP_STALL_MS = 120_000;

/** A session channel the server has not opened within this is given up (and retried). */
export const CHANNEL_OPEN_TIMEOUT_MS = 60_000;

/** The SFTP session is closed after this long unused, freeing its session channel. */
export const SFTP_IDLE_MS = 10_000;

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Set when more output came than an exec keeps (EXEC_OUTPUT_LIMIT): the text is its start. */
  stdoutTruncated?: boolean;
  stderrTruncated?: boolean;
}

export interface OfferedKey {
  key: Buffer;
  fingerprint: string;
  algorithm: string;
}

/** Handshake + authentication must finish within this unless told otherwise. */
export const READY_TIMEOUT_MS = 15_000;

/** `'label' (address:port)`: how messages name an endpoint. */
export function endpointText(e: { address: string; port: number; label?: string }): string {
  return `${e.label ? `'${e.label}' ` : ''}(${e.address}:${e.port})`;
}
