/**
 * `npm run bench:hosts`: how fast the host layer is against the real test host (run
 * `npm run sandbox` first). Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Core } from '../src/main/core/core';
import { PassphraseProvider } from '../src/main/core/secrets/provider';
import { addSandboxHost } from '../test/helpers/hosts';
import { sandbox } from '../test/helpers/sandbox';

function stats(name: string, samples: number[]): void {
  const s = [...samples].sort((a, b) => a - b);
  const pick = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  console.log(
    `${name.padEnd(34)} n=${String(s.length).padStart(3)}  mean ${mean.toFixed(1).padStart(6)} ms  p50 ${pick(0.5).toFixed(1).padStart(6)} ms  p95 ${pick(0.95).toFixed(1).padStart(6)} ms`,
  );
}

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const sb = sandbox();
const home = mkdtempSync(join(tmpdir(), 'truffles-bench-'));
const core = new Core({ home, secrets: new PassphraseProvider(async () => 'bench passphrase'), mode: 'cli' });
try {
  const first = await time(() => addSandboxHost(core, 'sb'));
  console.log(`host add (probe-free connect + auth + pin): ${first.toFixed(1)} ms`);
  const coldCheck = await time(() => core.hosts.check('sb'));
  console.log(`first check (new connection + facts):     ${coldCheck.toFixed(1)} ms`);
  const t = await core.hosts.transport('sb');
  const N = 50;
  const checks: number[] = [];
  for (let i = 0; i < 10; i++) checks.push(await time(() => core.hosts.check('sb')));
  stats('host check (shared connection)', checks);
  const execs: number[] = [];
  for (let i = 0; i < N; i++) execs.push(await time(() => t.exec(['true'])));
  stats('exec `true`', execs);
  const lists: number[] = [];
  for (let i = 0; i < N; i++)
    lists.push(await time(async () => (await t.docker()).listContainers({ all: true })));
  stats('docker listContainers over SSH', lists);
  const probes: number[] = [];
  for (let i = 0; i < 10; i++) probes.push(await time(() => core.hosts.probe(sb.address, sb.port)));
  stats('host key probe (new handshake)', probes);
} finally {
  await core.close();
  rmSync(home, { recursive: true, force: true });
}
