import type { Command } from 'commander';
import { HostNameSchema, SlugSchema } from '../../shared/contract';
import type { AgentStatus, AppEvent, FleetHealth } from '../../shared/contract';
import type { ContainerHealth } from '../../shared/agent/protocol';
import { AGENT_VERSION } from '../../shared/agent/protocol';
import { hostOption, parseArg, UsageError } from './args';
import { bytes, table } from './format';
import { verb, type CliContext } from './context';

/** `truffles agent install|status|update HOST` and `truffles health [tenant SLUG]`. */
export function registerHealthCommands(program: Command, ctx: CliContext): void {
  const { getCore, print } = ctx;
  const agent = program
    .command('agent')
    .description("the host agent: watches the host's containers, keeps history");
  for (const [name, what] of [
    ['install', 'install the agent on a host (nothing changes when this console’s agent already runs)'],
    ['update', 'replace the host’s agent with this console’s (its history is kept)'],
  ] as const) {
    verb(agent, `${name} <host>`, what)
      .option('--runtime-image <ref>', "the image whose Node.js runs it (default: the host's n8n image)")
      .action(async (hostArg: string, o: { runtimeImage?: string }) => {
        const host = parseArg(HostNameSchema, hostArg, 'HOST');
        const s = await getCore().call(name === 'install' ? 'agent.install' : 'agent.update', {
          host,
          ...(o.runtimeImage ? { runtimeImage: o.runtimeImage } : {}),
        });
        print(agentText(s), s);
        if (s.state !== 'answering') ctx.setExitCode(1);
      });
  }
  verb(agent, 'status <host>', "the agent's state, version and footprint").action(async (hostArg: string) => {
    const s = await getCore().call('agent.status', { host: parseArg(HostNameSchema, hostArg, 'HOST') });
    print(agentText(s), s);
    if (s.state !== 'answering') ctx.setExitCode(1);
  });

  const health = verb(
    program,
    'health',
    'every host and container of ours at a glance (exit 1 when anything is not well)',
  )
    .option('--host <name>', 'only this host')
    .action(async (o: { host?: string }) => {
      const host = hostOption(o.host);
      const core = getCore();
      const fleet: FleetHealth = host
        ? await core.call('health.host', { host }).then((snapshot) => ({
            takenAt: snapshot.takenAt,
            agentVersion: AGENT_VERSION,
            hosts: [{ host, snapshot, error: null, ms: 0 }],
          }))
        : await core.call('health.fleet', {});
      print(fleetText(fleet), fleet);
      if (!fleetWell(fleet)) ctx.setExitCode(1);
    });
  verb(health, 'tenant <slug>', "a tenant's containers: state, health, restarts, CPU and memory")
    .option('--host <name>', 'the host (found by asking every host otherwise)')
    .action(async (slugArg: string, o: { host?: string }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      const host = hostOption(o.host);
      const r = await getCore().call('health.tenant', { slug, ...(host ? { host } : {}) });
      print(`${slug} on ${r.host}\n${containersTable(r.containers)}`, r);
      if (r.containers.some((c) => !containerWell(c))) ctx.setExitCode(1);
    });
}

/** `truffles logs SLUG [SERVICE]`: a tenant's logs, merged or one service, optionally followed. */
export function registerLogsCommand(program: Command, ctx: CliContext): void {
  const { getCore, io, json } = ctx;
  verb(program, 'logs <slug> [service]', "a tenant's logs: every service merged, or one")
    .option('--host <name>', 'the host (found by asking every host otherwise)')
    .option('-f, --follow', 'keep following new lines (Ctrl-C ends)')
    .option('--since <when>', 'from this long ago (10m, 2h, 1d) or this moment (RFC 3339)')
    .option('--tail <n>', 'start with the last N lines of each service', '200')
    .option(
      '--grep <re>',
      'only lines matching this regular expression (case-sensitive when it has capitals)',
    )
    .action(
      async (
        slugArg: string,
        service: string | undefined,
        o: { host?: string; follow?: boolean; since?: string; tail: string; grep?: string },
      ) => {
        const slug = parseArg(SlugSchema, slugArg, 'SLUG');
        const core = getCore();
        const host = hostOption(o.host) ?? (await core.call('health.tenant', { slug })).host;
        const tail = Number(o.tail);
        if (!Number.isInteger(tail) || tail < 0 || tail > 5000)
          throw new UsageError(
            'usage.invalid',
            `--tail ${o.tail}: give a whole number from 0 to 5000.`,
            'Example: --tail 500',
          );
        let grep: RegExp | null = null;
        if (o.grep !== undefined) {
          try {
            grep = new RegExp(o.grep, /[A-Z]/.test(o.grep) ? '' : 'i');
          } catch (err) {
            throw new UsageError(
              'usage.invalid',
              `--grep ${o.grep}: ${(err as Error).message}.`,
              'Give a JavaScript regular expression, e.g. --grep "error|fatal".',
            );
          }
        }
        let streamId: string | null = null;
        const early: AppEvent[] = [];
        let finish!: (err: { message: string; hint?: string } | null) => void;
        const done = new Promise<{ message: string; hint?: string } | null>((r) => (finish = r));
        const show = (e: AppEvent): void => {
          if (e.type !== 'logs.lines') return;
          if (streamId === null) {
            early.push(e);
            return;
          }
          if (e.streamId !== streamId) return;
          for (const l of e.lines) {
            if (grep && !grep.test(l.text)) continue;
            io.out(json ? JSON.stringify(l) : `${l.service.padEnd(9)}| ${l.text}`);
          }
          if (e.resumed && !json) io.err('(the connection dropped; resumed from the last line)');
          if (e.ended) finish(e.error ?? null);
        };
        const off = core.onEvent(show);
        const stopOnSignal = (): void => {
          if (streamId) void core.call('logs.stop', { streamId });
          finish(null);
        };
        process.once('SIGINT', stopOnSignal);
        try {
          const r = await core.call('logs.follow', {
            host,
            slug,
            ...(service ? { service } : {}),
            ...(o.since ? { since: o.since } : {}),
            tail,
            follow: o.follow === true,
          });
          streamId = r.streamId;
          for (const e of early.splice(0)) show(e);
          const err = await done;
          if (err) {
            io.err(`${err.message}${err.hint ? `\n→ ${err.hint}` : ''}`);
            ctx.setExitCode(1);
          }
        } finally {
          off();
          process.off('SIGINT', stopOnSignal);
        }
      },
    );
}

export function agentText(s: AgentStatus): string {
  const lines = [
    `Agent on ${s.host}: ${s.state}${s.version ? ` (version ${s.version}, protocol ${s.protocol ?? '?'})` : ''}`,
  ];
  if (s.image) lines.push(`  runs on   ${s.image}, started ${s.startedAt ?? '-'}, restarts ${s.restarts}`);
  if (s.rssBytes !== null)
    lines.push(
      `  footprint ${bytes(s.rssBytes)} resident, ${s.cpuSeconds?.toFixed(1) ?? '?'} s CPU since start`,
    );
  if (s.containers !== null)
    lines.push(
      `  watching  ${s.containers} containers, Docker events ${s.eventsConnected ? 'connected' : 'NOT connected'}`,
    );
  if (s.statsSource)
    lines.push(
      `  stats     ${s.statsSource === 'docker-api' ? "Docker's stats API (no cgroup files readable)" : s.statsSource === 'mixed' ? "cgroup files, some from Docker's stats API" : `${s.statsSource.replace('cgroup-', 'cgroup ')} files`}`,
    );
  if (s.problem) lines.push(`  → ${s.problem}`);
  return lines.join('\n');
}

export function containerWell(c: ContainerHealth): boolean {
  return c.state === 'running' && c.health !== 'unhealthy';
}

export function fleetWell(f: FleetHealth): boolean {
  return f.hosts.every((h) => h.snapshot !== null && h.snapshot.containers.every(containerWell));
}

function word(c: ContainerHealth): string {
  if (c.state !== 'running') return c.exitCode !== null ? `${c.state} (exit ${c.exitCode})` : c.state;
  return c.health === 'none' ? 'running' : c.health;
}

export function containersTable(containers: ContainerHealth[]): string {
  return table([
    ['SERVICE', 'STATE', 'RESTARTS', 'CPU', 'MEMORY', 'SINCE'],
    ...containers.map((c) => [
      c.service,
      word(c),
      String(c.restarts),
      c.stats ? `${c.stats.cpuPercent.toFixed(1)} %` : '-',
      c.stats ? bytes(c.stats.memBytes) : '-',
      (c.state === 'running' ? c.startedAt : c.finishedAt) ?? '-',
    ]),
  ]);
}

export function fleetText(f: FleetHealth): string {
  const rows: string[][] = [['HOST', 'TENANT', 'SERVICES', 'STATE', 'CPU', 'MEMORY']];
  for (const h of f.hosts) {
    if (!h.snapshot) {
      rows.push([h.host, '-', '-', `unreachable: ${h.error?.message ?? '?'}`, '-', '-']);
      continue;
    }
    const host = h.snapshot.host;
    const byTenant = new Map<string, ContainerHealth[]>();
    for (const c of h.snapshot.containers) {
      const key = c.tenant ?? `(${c.service})`;
      byTenant.set(key, [...(byTenant.get(key) ?? []), c]);
    }
    const agent = h.snapshot.agent.version;
    rows.push([
      h.host,
      '',
      String(h.snapshot.containers.length),
      agent === f.agentVersion
        ? 'host'
        : `host (agent ${agent} is outdated: truffles agent update ${h.host})`,
      host?.cpuPercent != null ? `${host.cpuPercent.toFixed(0)} %` : '-',
      host ? `${bytes(host.memTotalBytes - host.memAvailableBytes)} / ${bytes(host.memTotalBytes)}` : '-',
    ]);
    // Worst first: what is down or unhealthy leads.
    const tenants = [...byTenant.entries()].sort(
      (a, b) => score(b[1]) - score(a[1]) || a[0].localeCompare(b[0]),
    );
    for (const [tenant, cs] of tenants) {
      const bad = cs.filter((c) => !containerWell(c));
      rows.push([
        '',
        tenant,
        String(cs.length),
        bad.length ? bad.map((c) => `${c.service} ${word(c)}`).join(', ') : 'healthy',
        `${cs.reduce((s, c) => s + (c.stats?.cpuPercent ?? 0), 0).toFixed(1)} %`,
        bytes(cs.reduce((s, c) => s + (c.stats?.memBytes ?? 0), 0)),
      ]);
    }
  }
  return table(rows);
}

function score(cs: ContainerHealth[]): number {
  return cs.filter((c) => !containerWell(c)).length;
}
