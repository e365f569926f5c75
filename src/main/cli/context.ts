import type { Core } from '../core/core';

/** What every group of CLI verbs gets from the program: the core, output, and the exit code. */

export interface CliContext {
  getCore: () => Core;
  print: (human: string, data: unknown) => void;
  io: { out: (t: string) => void; err: (t: string) => void };
  json: boolean;
  setExitCode: (code: number) => void;
}
