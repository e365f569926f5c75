/**
 * The agent program the console installs: one ESM file (src/agent bundled, no dependency),
 * uploaded to the host and run by the Node.js of an image the host already has. In the
 * repository it is bundled from source on first use (esbuild, tens of ms); a packaged console
 * carries the file built by `npm run build` (out/agent/truffles-agent.mjs).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_PROTOCOL, AGENT_VERSION } from '../../../shared/agent/protocol';
import { CoreError } from '../errors';

export interface AgentBundle {
  code: Buffer;
  /** sha256 of the code, hex: names the file on the host and tells an agent's build apart. */
  sha256: string;
  version: string;
  protocol: number;
}

let cached: Promise<AgentBundle> | null = null;

export function agentBundle(): Promise<AgentBundle> {
  cached ??= load().catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

/** The repository root or the packaged app's folder: the first parent holding `src/agent` or `out/agent`. */
function findRoot(start = dirname(fileURLToPath(import.meta.url))): {
  source: string | null;
  built: string | null;
} {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    const source = join(dir, 'src', 'agent', 'main.ts');
    const built = join(dir, 'out', 'agent', 'truffles-agent.mjs');
    if (existsSync(source)) return { source, built: null };
    if (existsSync(built)) return { source: null, built };
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return { source: null, built: null };
}

async function load(): Promise<AgentBundle> {
  const { source, built } = findRoot();
  let code: Buffer;
  if (source) code = await buildFromSource(source);
  else if (built) code = await readFile(built);
  else
    throw new CoreError(
      'agent.bundle-missing',
      'The host agent program is not part of this console installation.',
      'Reinstall the console, or run it from the repository.',
    );
  return {
    code,
    sha256: createHash('sha256').update(code).digest('hex'),
    version: AGENT_VERSION,
    protocol: AGENT_PROTOCOL,
  };
}

/** Bundle src/agent/main.ts into one ESM file for Node 20+ (also used by scripts/build-agent.mjs). */
export async function buildFromSource(entry: string): Promise<Buffer> {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    minify: false,
    legalComments: 'none',
    banner: {
      js: `// truffles-agent ${AGENT_VERSION} (protocol ${AGENT_PROTOCOL}). Built by the Truffles console.`,
    },
    logLevel: 'silent',
  });
  const out = r.outputFiles[0];
  if (!out)
    throw new CoreError('agent.bundle-missing', 'Bundling the agent produced no file.', 'This is a bug.');
  return Buffer.from(out.contents);
}
