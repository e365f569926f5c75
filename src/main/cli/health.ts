import type { Command } from 'commander';
import { HostNameSchema, SlugSchema } from '../../shared/contract';
import type { AgentStatus, FleetHealth } from '../../shared/contract';
import type { ContainerHealth } from '../../shared/agent/protocol';
import { hostOption, parseArg } from './args';
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
    rows.push([
      h.host,
      '',
      String(h.snapshot.containers.length),
      'host',
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
