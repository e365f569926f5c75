/**
 * `npm run bench:alerts`: how fast a fault reaches Telegram, and what the agent costs with every
 * rule active, on the real test host (its sshd and Docker), through a Telegram Bot API STAND-IN
 * (test/sandbox/images/telegram-standin; not Telegram) on this machine.
 *
 * The world: BENCH_CONTAINERS (default 100) light containers carrying tenant labels (20 tenants ×
 * 5 services, `sleep`), all rules on (containers, disks, memory, load, backups, certificates,
 * posture; side reads every 10 s), one Telegram destination.
 *
 * Prints: fault → Telegram message (a container exiting with code 7; the rule that fires at once)
 * p50/p95 over BENCH_RUNS (default 20) runs, each split into Docker event → agent evaluation → sent;
 * the agent's CPU (% of a core over 60 s) and memory (resident and its own) with all rules active,
 * beside the same agent with no alert config (rules on, nothing to send) measured in the same run.
 * The two-minute rules add their duration to this (the integration test checks 120 s ± 10 s).
 * Asserts nothing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from '../src/main/core/core';
import { PassphraseProvider } from '../src/main/core/secrets/provider';
import { addSandboxHost } from '../test/helpers/hosts';
import { sandbox } from '../test/helpers/sandbox';
import { start as startTelegram } from '../test/sandbox/images/telegram-standin/lib/server.mjs';

const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const LABEL = 'org.truffles.bench';

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));
const mb = (b: number | undefined): string => `${((b ?? NaN) / 2 ** 20).toFixed(1)} MB`;

const sb = sandbox();
const home = mkdtempSync(join(tmpdir(), 'truffles-bench-alerts-'));
const core = new Core({
  home,
  secrets: new PassphraseProvider(async () => 'bench'),
  mode: 'cli',
  healthOptions: { agentEnv: { TRUFFLES_ALERTS_SIDE_SECONDS: '10' } },
});
const names: string[] = [];
const tg = await startTelegram({ host: '127.0.0.1', quiet: true });

async function agentFootprint(
  seconds: number,
): Promise<{ cpu: number; rss: number; anon: number | undefined }> {
  const a = await core.health.snapshot('sb');
  await sleep(seconds * 1000);
  const b = await core.health.snapshot('sb');
  return {
    cpu: ((b.agent.cpuSeconds - a.agent.cpuSeconds) / seconds) * 100,
    rss: b.agent.rssBytes,
    anon: b.agent.anonBytes,
  };
}

try {
  await addSandboxHost(core, 'sb');
  await core.images.set('sb', { ...sb.images });
  const batch: Promise<void>[] = [];
  for (let i = 0; i < CONTAINERS; i++) {
    const name = `bench-a${Math.floor(i / 5)}-s${i % 5}`;
    names.push(name);
    batch.push(
      new Promise<void>((resolve) => {
        const p = spawn(
          'docker',
          [
            'run',
            '--detach',
            '--no-healthcheck',
            '--name',
            name,
            '--label',
            LABEL,
            '--label',
            `org.truffles.tenant=bench-a${Math.floor(i / 5)}`,
            '--label',
            `com.docker.compose.service=s${i % 5}`,
            '--entrypoint',
            'sleep',
            sb.images.redis,
            'infinity',
          ],
          { stdio: 'ignore' },
        );
        p.on('close', () => resolve());
      }),
    );
    if (batch.length >= 8) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  try {
    docker('rm', '-f', 'truffles-agent');
  } catch {
    // none
  }
  rmSync(join((await core.hosts.get('sb')).stateDir, 'health', 'alerts'), { recursive: true, force: true });
  await core.call('agent.install', { host: 'sb' });
  await sleep(15_000);
  const quiet = await agentFootprint(60);
  console.log(
    `agent, rules on, no alert config (nothing to send), ${CONTAINERS} containers: ${quiet.cpu.toFixed(2)} % of a core, ` +
      `${mb(quiet.rss)} resident, ${mb(quiet.anon)} its own`,
  );

  const client = await core.health.client('sb');
  await client.request('alerts.configure', {
    config: {
      host: 'sb',
      telegram: [{ chatId: '-100777', language: 'ru' }],
      telegramApi: tg.url,
      digestAfter: 1000,
    },
    token: tg.token,
  });
  await sleep(15_000);
  const active = await agentFootprint(60);
  const v = await client.request('alerts', {});
  console.log(
    `agent, every rule active and sending (${v.rules.length} rules, ${v.active.length} alerts open), ${CONTAINERS} containers: ` +
      `${active.cpu.toFixed(2)} % of a core, ${mb(active.rss)} resident, ${mb(active.anon)} its own (goal ≤ 50 MB)`,
  );

  // Fault → Telegram: a container exits with code 7 (a crash), the rule fires at once.
  const total: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const name = `bench-crash-${i}`;
    names.push(name);
    docker(
      'run',
      '--detach',
      '--name',
      name,
      '--label',
      LABEL,
      '--label',
      'org.truffles.tenant=bench-crash',
      '--label',
      `com.docker.compose.service=crash${i}`,
      '--entrypoint',
      'sh',
      sb.images.redis,
      '-c',
      'while [ ! -f /tmp/crash ]; do sleep 0.05; done; exit 7',
    );
    await sleep(1_500);
    const before = tg.messages().length;
    docker('exec', name, 'touch', '/tmp/crash');
    const finished = await (async () => {
      for (;;) {
        const f = docker('inspect', '--format', '{{.State.FinishedAt}}', name);
        if (!f.startsWith('0001')) return Date.parse(f);
        await sleep(20);
      }
    })();
    const deadline = Date.now() + 30_000;
    let got: number | null = null;
    while (Date.now() < deadline) {
      const m = tg
        .messages()
        .slice(before)
        .find(
          (x) =>
            x.text.includes(`crash${i} `) || x.text.includes(`crash${i}\n`) || x.text.includes(`crash${i}:`),
        );
      if (m) {
        got = m.receivedAt;
        break;
      }
      await sleep(10);
    }
    if (got === null) console.log(`run ${i}: no message within 30 s`);
    else total.push(got - finished);
    await sleep(1_100); // Telegram's 1 message/s per chat
  }
  console.log(
    `fault (exit 7) → Telegram message: p50 ${pct(total, 50).toFixed(0)} ms, p95 ${pct(total, 95).toFixed(0)} ms, ` +
      `max ${Math.max(...total).toFixed(0)} ms over ${total.length} runs (Telegram stand-in on this machine; a real Bot API adds its round trip)`,
  );
} finally {
  for (const n of names) {
    try {
      docker('rm', '-f', n);
    } catch {
      // gone
    }
  }
  try {
    docker('rm', '-f', 'truffles-agent');
  } catch {
    // none
  }
  rmSync(
    join(
      (await core.hosts.get('sb').catch(() => ({ stateDir: '/nonexistent' }))).stateDir,
      'health',
      'alerts',
    ),
    {
      recursive: true,
      force: true,
    },
  );
  await core.close();
  await tg.close();
  rmSync(home, { recursive: true, force: true });
}
