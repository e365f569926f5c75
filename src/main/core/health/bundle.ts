/**
 * The programs the console installs on hosts, each one ESM file (its source bundled with its
 * dependencies), uploaded to the host and run by the Node.js of an image the host already has:
 * the host agent (src/agent, no dependency) and the knowledge-base worker (src/kbworker, with
 * its extraction libraries and pg). In the repository they are bundled from source on first
 * use (esbuild); a packaged console carries the files built by `npm run build` (out/agent/).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_PROTOCOL, AGENT_VERSION } from '../../../shared/agent/protocol';
import { KB_PROTOCOL, KB_VERSION } from '../../../shared/kb/protocol';
import { CoreError } from '../errors';

export interface AgentBundle {
  code: Buffer;
  /** sha256 of the code, hex: names the file on the host and tells a build apart. */
  sha256: string;
  version: string;
  protocol: number;
}

export type ProgramName = 'agent' | 'kb';

interface Program {
  /** Its entry under src/. */
  source: string;
  /** Its file under out/agent/. */
  built: string;
  version: string;
  protocol: number;
  title: string;
}

export const PROGRAMS: Record<ProgramName, Program> = {
  agent: {
    source: 'agent/main.ts',
    built: 'truffles-agent.mjs',
    version: AGENT_VERSION,
    protocol: AGENT_PROTOCOL,
    title: 'truffles-agent',
  },
  kb: {
    source: 'kbworker/main.ts',
    built: 'truffles-kb.mjs',
    version: KB_VERSION,
    protocol: KB_PROTOCOL,
    title: 'truffles-kb',
  },
};

const cached = new Map<ProgramName, Promise<AgentBundle>>();

export function agentBundle(): Promise<AgentBundle> {
  return programBundle('agent');
}

export function programBundle(name: ProgramName): Promise<AgentBundle> {
  let p = cached.get(name);
  if (!p) {
    p = load(name).catch((err: unknown) => {
      cached.delete(name);
      throw err;
    });
    cached.set(name, p);
  }
  return p;
}

/** The repository root or the packaged app's folder: the first parent holding `src/agent` or `out/agent`. */
function findRoot(
  start = dirname(fileURLToPath(import.meta.url)),
): { root: string; fromSource: boolean } | null {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'src', 'agent', 'main.ts'))) return { root: dir, fromSource: true };
    if (existsSync(join(dir, 'out', 'agent', 'truffles-agent.mjs'))) return { root: dir, fromSource: false };
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

async function load(name: ProgramName): Promise<AgentBundle> {
  const p = PROGRAMS[name];
  const found = findRoot();
  let code: Buffer;
  if (found?.fromSource) code = await buildFromSource(join(found.root, 'src', p.source), name);
  else if (found && existsSync(join(found.root, 'out', 'agent', p.built)))
    code = await readFile(join(found.root, 'out', 'agent', p.built));
  else
    throw new CoreError(
      'agent.bundle-missing',
      `The host program ${p.title} is not part of this console installation.`,
      'Reinstall the console, or run it from the repository.',
    );
  return {
    code,
    sha256: createHash('sha256').update(code).digest('hex'),
    version: p.version,
    protocol: p.protocol,
  };
}

/** Bundle a program's entry into one ESM file for Node 20+ (also used by scripts/build-agent.mjs). */
export async function buildFromSource(entry: string, name: ProgramName = 'agent'): Promise<Buffer> {
  const p = PROGRAMS[name];
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    minify: name === 'kb',
    legalComments: 'none',
    // pg's optional native binding is never used.
    external: ['pg-native'],
    banner: {
      js: [
        `// ${p.title} ${p.version} (protocol ${p.protocol}). Built by the Truffles console.`,
        // CommonJS dependencies (pg, mammoth) require Node's built-ins at run time.
        "import { createRequire as __trufflesRequire } from 'node:module'; const require = __trufflesRequire(import.meta.url);",
      ].join('\n'),
    },
    logLevel: 'silent',
  });
  const out = r.outputFiles[0];
  if (!out)
    throw new CoreError('agent.bundle-missing', `Bundling ${p.title} produced no file.`, 'This is a bug.');
  return Buffer.from(out.contents);
}
