#!/usr/bin/env node
// Bundles the host programs into out/agent/: the host agent (src/agent → truffles-agent.mjs) and
// the knowledge-base worker (src/kbworker → truffles-kb.mjs), the files a packaged console uploads
// to hosts (in the repository the console bundles them from source itself).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildFromSource, PROGRAMS } = await import(
  pathToFileURL(join(root, 'src/main/core/health/bundle.ts')).href
);
for (const [name, p] of Object.entries(PROGRAMS)) {
  const code = await buildFromSource(join(root, 'src', p.source), name);
  const out = join(root, 'out/agent', p.built);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, code);
  console.log(`out/agent/${p.built}: ${(code.length / 1024).toFixed(1)} KiB`);
}
