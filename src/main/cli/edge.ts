import type { Command } from 'commander';
import { z } from 'zod';
import { DomainSchema, HostNameSchema, PortSchema } from '../../shared/contract';
import { collect, pairs, parseArg, UsageError } from './args';
import { table } from './format';
import { verb, type CliContext } from './context';

/** `truffles edge …` and the host's images (`host ship-images`, `host images`). */
export function registerEdgeCommands(program: Command, ctx: CliContext): void {
  const { getCore, print, io, json } = ctx;
  const edge = program.command('edge').description("the host's edge (Traefik) in front of every tenant");
  verb(
    edge,
    'install',
    'install or upgrade the edge on a host (ports 80/443, Let’s Encrypt, dashboard behind basic auth)',
  )
    .requiredOption('--host <name>', 'the host')
    .requiredOption('--acme-email <email>', "the address Let's Encrypt writes to")
    .option('--base-domain <domain>', "tenants' parent domain (default: the host's)")
    .option('--http-port <port>', 'published HTTP port', '80')
    .option('--https-port <port>', 'published HTTPS port', '443')
    .option('--force', 'render and restart even when it already runs as asked (new dashboard password)')
    .action(
      async (o: {
        host: string;
        acmeEmail: string;
        baseDomain?: string;
        httpPort: string;
        httpsPort: string;
        force?: boolean;
      }) => {
        const hostName = parseArg(HostNameSchema, o.host, '--host');
        const email = parseArg(z.email('Give an e-mail address.'), o.acmeEmail, '--acme-email');
        const r = await getCore().call('edge.install', {
          host: hostName,
          acmeEmail: email,
          baseDomain:
            o.baseDomain === undefined ? undefined : parseArg(DomainSchema, o.baseDomain, '--base-domain'),
          httpPort: parseArg(PortSchema, o.httpPort, '--http-port'),
          httpsPort: parseArg(PortSchema, o.httpsPort, '--https-port'),
          force: o.force === true,
        });
        print(
          `Edge on ${hostName}: ${r.status.health}` +
            (r.dashboardPassword
              ? `\nDashboard: https://traefik.${r.status.installed?.baseDomain ?? ''} user admin, password ${r.dashboardPassword} (shown once)`
              : ''),
          r,
        );
      },
    );
  edge
    .command('status')
    .requiredOption('--host <name>', 'the host')
    .option('--json', 'machine-readable output')
    .action(async (o: { host: string }) => {
      const s = await getCore().call('edge.status', { host: parseArg(HostNameSchema, o.host, '--host') });
      print(
        `Edge on ${s.host}: ${s.running ? 'running' : 'not running'} (${s.health})${s.installed ? `, ${s.installed.image}, *.${s.installed.baseDomain}` : ''}`,
        s,
      );
      if (!s.running) ctx.setExitCode(1);
    });

  program.commands
    .find((c) => c.name() === 'host')
    ?.command('ship-images <name> [images...]')
    .description(
      "load images into a host with no registry: a `docker save` tarball (--file), or images from this machine's Docker, streamed over SSH into docker load",
    )
    .option('--file <tar>', 'a `docker save` tarball on this machine')
    .option('--json', 'machine-readable output')
    .action(async (nameArg: string, images: string[], o: { file?: string }) => {
      const hostName = parseArg(HostNameSchema, nameArg, 'NAME');
      if (!o.file && images.length === 0)
        throw new UsageError('usage.invalid', 'Nothing to ship.', 'Give image names, or --file image.tar.');
      const core = getCore();
      const off = json
        ? () => undefined
        : core.onEvent((e) => {
            if (e.type === 'log' && e.source === `images:${hostName}`) io.err(`  ${e.message}`);
          });
      let r;
      try {
        r = await core.call(
          'images.ship',
          o.file ? { host: hostName, file: o.file } : { host: hostName, refs: images },
        );
      } finally {
        off();
      }
      print(
        `${r.loaded.join('\n') || 'Loaded.'}\n${(r.bytes / 2 ** 20).toFixed(1)} MiB sent to ${hostName}.`,
        r,
      );
    });

  program.commands
    .find((c) => c.name() === 'host')
    ?.command('images <name>')
    .description("the host's image catalog: pinned production images, its mirror, its overrides")
    .option(
      '--set <key=image>',
      'override one image (n8n, postgres, qdrant, redis, traefik); repeatable',
      collect,
      [],
    )
    .option('--unset <key>', 'drop an override; repeatable', collect, [])
    .option('--json', 'machine-readable output')
    .action(async (nameArg: string, o: { set: string[]; unset: string[] }) => {
      const hostName = parseArg(HostNameSchema, nameArg, 'NAME');
      const core = getCore();
      const changes: Record<string, string | null> = { ...pairs(o.set, '--set') };
      for (const k of o.unset) changes[k] = null;
      const r = Object.keys(changes).length
        ? await core.call('images.set', { host: hostName, changes })
        : await core.call('images.show', { host: hostName });
      print(
        table([
          ['IMAGE', 'REFERENCE', 'FROM'],
          ...Object.entries(r.images).map(([k, v]) => [k, v, r.origin[k] ?? '']),
        ]),
        r,
      );
    });
}
