import type { Command } from 'commander';
import type { Core } from '../core/core';

/** What every group of CLI verbs gets from the program: the core, output, and the exit code. */

export interface CliContext {
  getCore: () => Core;
  print: (human: string, data: unknown) => void;
  io: { out: (t: string) => void; err: (t: string) => void };
  json: boolean;
  setExitCode: (code: number) => void;
}

/**
 * One verb of a group: its usage, its description, and the `--json` every verb takes (the program
 * reads it globally; declaring it here keeps `--help` honest).
 */
export function verb(group: Command, usage: string, description: string): Command {
  return group.command(usage).description(description).option('--json', 'machine-readable output');
}

/** A verb about one tenant: `--host` says where it is (found by asking every host otherwise). */
export function tenantVerb(group: Command, usage: string, description: string): Command {
  return verb(group, usage, description).option(
    '--host <name>',
    'the host (found by asking every host otherwise)',
  );
}
