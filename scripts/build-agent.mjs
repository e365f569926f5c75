#!/usr/bin/env node
// Bundles the host agent (src/agent) into out/agent/truffles-agent.mjs: the file a packaged
// console uploads to hosts (in the repository the console bundles it from source itself).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildFromSource } = await import(pathToFileURL(join(root, 'src/main/core/health/bundle.ts')).href);
const code = await buildFromSource(join(root, 'src/agent/main.ts'));
const out = join(root, 'out/agent/truffles-agent.mjs');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, code);
console.log(`out/agent/truffles-agent.mjs: ${(code.length / 1024).toFixed(1)} KiB`);
