import type { Command } from 'commander';
import { z } from 'zod';
import {
  commands,
  CREATE_STEPS,
  DomainSchema,
  EnvValuesSchema,
  HostNameSchema,
  ModuleNameSchema,
  PlanSchema,
  NewSlugSchema,
  SlugSchema,
  type AppEvent,
  type TenantStatus,
  type TenantView,
} from '../../shared/contract';
import { collect, hostOption, pairs, parseArg, UsageError } from './args';
import { table } from './format';
import { tenantVerb, verb, type CliContext } from './context';

function tenantsTable(tenants: TenantView[]): string {
  if (tenants.length === 0) return 'No tenants yet. Create one with: truffles tenant create SLUG --host HOST';
  return table([
    ['SLUG', 'HOST', 'STATE', 'PLAN', 'DOMAIN', 'MODULES', 'LAST OPERATION'],
    ...tenants.map((t) => [
      t.slug,
      t.host,
      t.state,
      t.plan,
      t.domain,
      t.modules.map((m) => m.name).join(','),
      `${t.lastOperation.kind} ${t.lastOperation.state} ${t.lastOperation.finishedAt ?? t.lastOperation.startedAt}`,
    ]),
  ]);
}

function statusText(s: TenantStatus): string {
  return [
    `${s.slug} on ${s.host}: ${s.state} (${s.plan}) https://${s.domain}`,
    `  modules   ${s.modules.map((m) => `${m.name}@${m.version}`).join(', ')}`,
    `  template  v${s.templateVersion}, created ${s.createdAt} by ${s.createdBy}`,
    `  last op   ${s.lastOperation.kind} ${s.lastOperation.state}${s.lastOperation.error ? `: ${s.lastOperation.error.message}` : ''}`,
    ...(s.lastOperation.state === 'interrupted' && s.lastOperation.error?.hint
      ? [`            ${s.lastOperation.error.hint}`]
      : []),
    ...s.services.map(
      (x) =>
        `  ${x.service.padEnd(9)} ${x.state}${x.health !== 'none' ? ` (${x.health})` : ''}  ${x.image}${x.restarts ? `  restarts ${x.restarts}` : ''}`,
    ),
    ...(s.route ? [`  route     ${s.route.ok ? 'ok' : 'FAILING'}: ${s.route.detail}`] : []),
  ].join('\n');
}

/** Progress events as lines on stderr: `[ 3/14] preflight  done  edge running …`. */
function progressPrinter(io: CliContext['io']): (e: AppEvent) => void {
  return (e) => {
    if (e.type === 'progress') {
      const n = `[${String(e.stepIndex + 1).padStart(2)}/${e.stepCount}]`;
      if (e.state === 'running' && e.step === 'health' && e.message)
        io.err(`${n} ${e.step.padEnd(11)} ${e.message}`);
      else if (e.state !== 'running')
        io.err(`${n} ${e.step.padEnd(11)} ${e.state}${e.message ? `  ${e.message}` : ''}`);
    } else if (e.type === 'log' && e.level !== 'info') io.err(`  ${e.level}: ${e.message}`);
  };
}

export function registerTenantCommands(program: Command, ctx: CliContext): void {
  const { getCore, print, io, json } = ctx;
  const tenant = program
    .command('tenant')
    .description('tenant stacks (n8n, PostgreSQL, Qdrant, Redis) on the hosts');

  verb(
    tenant,
    'create <slug>',
    `provision a tenant; steps: ${CREATE_STEPS.join(' → ')}; run again to resume an interrupted create`,
  )
    .requiredOption('--host <name>', 'the host to put it on')
    .option('--plan <plan>', 'starter | pro | enterprise', 'starter')
    .option('--modules <list>', 'modules besides core_chat and core_admin, comma separated', '')
    .option('--domain <domain>', 'its domain (default <slug>.<host base domain>)')
    .option('--env <NAME=value>', "a module's value (API key…); repeatable", collect, [])
    .option('--keep-on-failure', 'keep what a failed create made, for inspection, instead of rolling it back')
    .action(
      async (
        slugArg: string,
        o: {
          host: string;
          plan: string;
          modules: string;
          domain?: string;
          env: string[];
          keepOnFailure?: boolean;
        },
      ) => {
        // Everything is checked before anything touches a host.
        const slug = parseArg(NewSlugSchema, slugArg, 'SLUG');
        const hostName = parseArg(HostNameSchema, o.host, '--host');
        const plan = parseArg(PlanSchema, o.plan, '--plan');
        const modules = parseArg(
          z.array(ModuleNameSchema),
          o.modules
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean),
          '--modules',
        );
        const domain = o.domain === undefined ? undefined : parseArg(DomainSchema, o.domain, '--domain');
        const env = parseArg(EnvValuesSchema, pairs(o.env, '--env'), '--env');
        const core = getCore();
        const off = json ? () => undefined : core.onEvent(progressPrinter(io));
        try {
          const view = await core.call('tenants.create', {
            slug,
            host: hostName,
            plan,
            modules,
            domain,
            env,
            keepOnFailure: o.keepOnFailure === true,
          });
          print(`Created ${view.slug} on ${view.host}: https://${view.domain}`, view);
        } finally {
          off();
        }
      },
    );

  verb(tenant, 'list', 'tenants on every host (or one)')
    .option('--host <name>', 'only this host')
    .action(async (o: { host?: string }) => {
      const hostName = hostOption(o.host);
      const r = await getCore().call('tenants.list', { host: hostName });
      if (!json)
        for (const u of r.unreachable) io.err(`warning: ${u.host} not reachable: ${u.error.message}`);
      // Interrupted operations (no console holds their lock): what happened and what to do.
      const notes = r.tenants
        .filter((x) => x.lastOperation.state === 'interrupted' && x.lastOperation.error)
        .map(
          (x) =>
            `\n${x.slug}: ${x.lastOperation.error?.message ?? ''}\n  ${x.lastOperation.error?.hint ?? ''}`,
        );
      print(tenantsTable(r.tenants) + notes.join(''), r);
      if (r.unreachable.length) ctx.setExitCode(1);
    });

  tenantVerb(tenant, 'status <slug>', 'services with health, modules, versions, last operation').action(
    async (slugArg: string, o: { host?: string }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      const s = await getCore().call('tenants.status', {
        slug,
        host: hostOption(o.host),
      });
      print(statusText(s), s);
    },
  );

  tenantVerb(
    tenant,
    'update <slug>',
    'add or remove modules (migrations forward only; workflows imported or deactivated)',
  )
    .option('--add-modules <list>', 'modules to add, comma separated', '')
    .option('--remove-modules <list>', 'modules to remove, comma separated', '')
    .option('--env <NAME=value>', "a module's value (API key…); repeatable", collect, [])
    .option('--images', "move to the host's current image catalog and template (image updates)")
    .action(
      async (
        slugArg: string,
        o: { addModules: string; removeModules: string; env: string[]; images?: boolean; host?: string },
      ) => {
        const slug = parseArg(SlugSchema, slugArg, 'SLUG');
        const list = (v: string, flag: string): string[] =>
          parseArg(
            z.array(ModuleNameSchema),
            v
              .split(',')
              .map((m) => m.trim())
              .filter(Boolean),
            flag,
          );
        const addModules = list(o.addModules, '--add-modules');
        const removeModules = list(o.removeModules, '--remove-modules');
        const env = parseArg(EnvValuesSchema, pairs(o.env, '--env'), '--env');
        if (!addModules.length && !removeModules.length && !Object.keys(env).length && !o.images)
          throw new UsageError(
            'usage.invalid',
            'Nothing to update.',
            'Give --add-modules, --remove-modules, --env or --images.',
          );
        const core = getCore();
        const off = json ? () => undefined : core.onEvent(progressPrinter(io));
        try {
          // Safe: a backup first, and a rollback to it when the tenant does not come back healthy.
          const v = await core.call('tenants.update', {
            slug,
            host: hostOption(o.host),
            addModules,
            removeModules,
            env,
            refreshImages: o.images === true,
          });
          print(`Updated ${v.slug}: ${v.modules.map((m) => `${m.name}@${m.version}`).join(', ')}`, v);
        } finally {
          off();
        }
      },
    );

  for (const [cmd, text] of [
    ['suspend', 'stop its containers (data kept); the edge stops routing to it'],
    ['resume', 'start it again and wait until healthy and routed'],
  ] as const) {
    tenantVerb(tenant, `${cmd} <slug>`, text).action(async (slugArg: string, o: { host?: string }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      const hostName = hostOption(o.host);
      const v =
        cmd === 'suspend'
          ? await getCore().call('tenants.suspend', { slug, host: hostName })
          : await getCore().call('tenants.resume', { slug, host: hostName });
      print(`${v.slug}: ${v.state}`, v);
    });
  }

  tenantVerb(
    tenant,
    'verify <slug>',
    "prove health, route and isolation (from inside the tenant's network)",
  ).action(async (slugArg: string, o: { host?: string }) => {
    const slug = parseArg(SlugSchema, slugArg, 'SLUG');
    const r = await getCore().call('tenants.verify', {
      slug,
      host: hostOption(o.host),
    });
    print(
      [
        `${r.slug} on ${r.host}: ${r.ok ? 'verified' : 'FAILED'}`,
        ...r.checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.name.padEnd(9)} ${c.detail}`),
      ].join('\n'),
      r,
    );
    if (!r.ok) ctx.setExitCode(1);
  });

  tenantVerb(tenant, 'delete <slug>', 'remove the containers, volumes, networks, files and route of a tenant')
    .requiredOption('--confirm <slug>', 'the slug again, to confirm')
    .option('--no-final-backup', 'skip the final backup (taken by default and kept on the host)')
    .action(async (slugArg: string, o: { confirm: string; finalBackup: boolean; host?: string }) => {
      const slug = parseArg(SlugSchema, slugArg, 'SLUG');
      if (o.confirm !== slug)
        throw new UsageError(
          'usage.confirm',
          `--confirm must repeat the slug '${slug}' (got '${o.confirm}').`,
          `Add --confirm ${slug}`,
        );
      const r = await getCore().call('tenants.delete', {
        slug,
        confirm: o.confirm,
        host: hostOption(o.host),
        skipFinalBackup: !o.finalBackup,
      });
      print(`Deleted ${slug}.${r.finalBackupId ? ` Final backup: ${r.finalBackupId}` : ''}`, r);
    });
}

/** `truffles fleet …`: operations over many tenants. */
export function registerFleetCommands(program: Command, ctx: CliContext): void {
  const { getCore, print, io, json } = ctx;
  const fleet = program.command('fleet').description('operations over many tenants');
  verb(fleet, 'update', 'update many tenants safely (backup first, rollback each), a few at a time')
    .option('--host <name>', 'every tenant of a host')
    .option('--label <key=value>', 'every tenant of hosts with this label')
    .option('--tenants <list>', 'these tenants, in this order (comma separated)')
    .option('--add-modules <list>', 'modules to add, comma separated', '')
    .option('--remove-modules <list>', 'modules to remove, comma separated', '')
    .option('--concurrency <n>', 'tenants updated at once', '1')
    .option('--stop-after <n>', 'stop after this many failures', '1')
    .action(
      async (o: {
        host?: string;
        label?: string;
        tenants?: string;
        addModules: string;
        removeModules: string;
        concurrency: string;
        stopAfter: string;
      }) => {
        const split = (v: string | undefined): string[] =>
          (v ?? '')
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean);
        const input = parseArg(
          commands['fleet.update'].input,
          {
            selection: {
              ...(o.host !== undefined ? { host: o.host } : {}),
              ...(o.label !== undefined ? { label: o.label } : {}),
              ...(o.tenants !== undefined ? { slugs: split(o.tenants) } : {}),
            },
            addModules: split(o.addModules),
            removeModules: split(o.removeModules),
            concurrency: Number(o.concurrency),
            stopAfterFailures: Number(o.stopAfter),
          },
          'options',
        );
        const core = getCore();
        const off = json
          ? () => undefined
          : core.onEvent((e) => {
              if (e.type === 'fleet.progress' && e.state !== 'queued')
                io.err(`  ${e.host}/${e.slug}: ${e.state}${e.detail ? `  ${e.detail}` : ''}`);
            });
        try {
          const r = await core.call('fleet.update', input);
          print(
            [
              table([
                ['HOST', 'TENANT', 'OUTCOME', 'BACKUP', 'DETAIL'],
                ...r.outcomes.map((x) => [x.host, x.slug, x.outcome, x.backupId ?? '', x.detail]),
              ]),
              ...(r.stopped ? ['Stopped early: the failure limit was reached.'] : []),
            ].join('\n'),
            r,
          );
          if (r.outcomes.some((x) => x.outcome !== 'updated')) ctx.setExitCode(1);
        } finally {
          off();
        }
      },
    );
}
