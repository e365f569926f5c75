import { access } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import {
  commands,
  type AppEvent,
  type AppInfo,
  type CommandInput,
  type CommandName,
  type CommandOutput,
  type Result,
} from '../../shared/contract';
import { AlertsService } from './alerts/service';
import { DEFAULT_UNREACHABLE_MINUTES } from './alerts/unreachable';
import { CommandJournal, type CommandAudit } from './audit/journal';
import { AuditService } from './audit/service';
import { AccessService } from './access/service';
import { InboxService } from './inbox/service';
import { PrivacyService } from './privacy/service';
import { allowAll, dispatch, type Caller, type Handler, type Policy } from './dispatch';
import { CoreError } from './errors';
import { EventHub } from './events';
import { buildHandlers } from './features';
import { followFleet } from './health/follow';
import { LogFollows } from './health/logs';
import { HealthService, type HealthServiceOptions } from './health/service';
import { KbService, type KbServiceOptions } from './kb/service';
import { CostService } from './cost/service';
import { Operations } from './operations';
import { Scheduler } from './scheduler';
import { HostService, type HostServiceOptions } from './hosts/service';
import { localDockerSocket } from './hosts/transport';
import { PassphraseProvider, storePassphraseChecks, type SecretProvider } from './secrets/provider';
import { Store } from './store/store';
import { BackupService } from './backups/service';
import { FleetService } from './fleet/service';
import { BackupKeys } from './backups/keys';
import { EdgeService } from './edge/service';
import { ImagesService } from './images/service';
import { findResourcesDir, TenantService, type TenantServiceOptions } from './tenants/service';
import { VERSION } from './version';

export interface CoreOptions {
  home: string;
  secrets: SecretProvider;
  mode: AppInfo['mode'];
  hostOptions?: HostServiceOptions;
  tenantOptions?: TenantServiceOptions;
  healthOptions?: HealthServiceOptions;
  /** The knowledge-base workers' environment (tests: shorter retry waits). */
  kbOptions?: KbServiceOptions;
  /** What callers may do, by a command's effect and their role (default: everything). */
  policy?: Policy;
}

/**
 * The core: every capability of the console, with no Electron in it. The desktop app, the
 * browser-mode bridge and the CLI all hold one of these; `dispatch` is the single entry point
 * for the renderer's commands and validates every input against the contract first.
 */
export class Core {
  readonly store: Store;
  readonly hosts: HostService;
  readonly tenants: TenantService;
  readonly edge: EdgeService;
  readonly images: ImagesService;
  readonly backupKeys: BackupKeys;
  readonly backups: BackupService;
  readonly fleet: FleetService;
  readonly health: HealthService;
  readonly alerts: AlertsService;
  readonly kb: KbService;
  readonly cost: CostService;
  /** The audit trail's console side: checkpoints kept off the host, verification. */
  readonly auditTrail: AuditService;
  /** Names bound to SSH keys on each host. */
  readonly access: AccessService;
  readonly inbox: InboxService;
  readonly privacy: PrivacyService;
  readonly logs: LogFollows;
  /** Where events go: only to subscribers (windows, sockets) and in-process listeners. */
  readonly hub = new EventHub();
  /** Long operations that can be cancelled (ops.cancel). */
  readonly ops = new Operations();
  private readonly handlers: Record<CommandName, Handler>;
  private readonly policy: Policy;
  /** The one writer of the dispatch-level audit (start and outcome of every non-read command). */
  private readonly audit: CommandAudit;

  constructor(private readonly options: CoreOptions) {
    this.store = new Store(options.home);
    this.policy = options.policy ?? allowAll;
    if (options.secrets instanceof PassphraseProvider)
      options.secrets.bindCheckStore(storePassphraseChecks(this.store));
    this.hosts = new HostService(this.store, options.secrets, (e) => this.emit(e), options.hostOptions ?? {});
    const emit = (e: AppEvent): void => this.emit(e);
    this.tenants = new TenantService(this.hosts, emit, options.tenantOptions ?? {});
    const resources = options.tenantOptions?.resourcesDir;
    this.edge = new EdgeService(this.hosts, emit, () => join(resources ?? findResourcesDir(), 'templates'));
    this.images = new ImagesService(this.hosts);
    this.backupKeys = new BackupKeys(this.store, options.secrets);
    this.backups = new BackupService(this.hosts, this.tenants, this.backupKeys, emit, () =>
      join(resources ?? findResourcesDir(), 'templates'),
    );
    this.fleet = new FleetService(this.hosts, this.tenants, this.backups, emit);
    this.health = new HealthService(this.hosts, options.healthOptions);
    this.alerts = new AlertsService({
      client: (host) => this.health.client(host),
      hostNames: async () => (await this.hosts.list()).map((h) => h.name),
      store: this.store,
      secrets: options.secrets,
    });
    this.kb = new KbService(this.hosts, this.tenants, emit, options.kbOptions ?? {}, {
      client: (host) => this.health.client(host),
      locate: async (slug) => (await this.health.tenant(slug)).host,
    });
    this.cost = new CostService({
      client: (host) => this.health.client(host),
      hostNames: async () => (await this.hosts.list()).map((h) => h.name),
      locate: async (slug, host) => (await this.tenants.locate(slug, host)).host.name,
    });
    this.inbox = new InboxService({
      client: (host) => this.health.client(host),
      hostNames: async () => (await this.hosts.list()).map((h) => h.name),
      // The agents say where a tenant runs: a support console cannot read the tenant records.
      locate: async (slug, host) => host ?? (await this.health.tenant(slug)).host,
    });
    this.privacy = new PrivacyService({ tenants: this.tenants, backups: this.backups });
    this.logs = new LogFollows(this.health, emit);
    // The live health feed runs while a screen subscribes to it, or to the alerts it brings (the
    // agents' notices and the console's own rule: a host unreachable for N minutes).
    this.hub.onDemand(['health.changed', 'alerts.changed'], () =>
      followFleet(this.health, async () => (await this.hosts.list()).map((h) => h.name), emit, {
        minutes: async () =>
          (await this.store.read()).settings.alertsUnreachableMinutes ?? DEFAULT_UNREACHABLE_MINUTES,
      }),
    );
    this.auditTrail = new AuditService({ store: this.store, hosts: this.hosts });
    this.access = new AccessService(this.hosts, this.health);
    this.audit = new CommandJournal({
      localFile: join(options.home, 'audit.jsonl'),
      checkpoint: (host, head) => this.auditTrail.checkpoint(host, head),
      host: async (name) => {
        // Not in the inventory (a host being added): the local journal keeps the records.
        const host = await this.hosts.get(name).catch(() => null);
        return host ? { transport: await this.hosts.transport(name), target: host } : null;
      },
    });
    this.handlers = buildHandlers(
      {
        store: this.store,
        hosts: this.hosts,
        tenants: this.tenants,
        edge: this.edge,
        images: this.images,
        backupKeys: this.backupKeys,
        backups: this.backups,
        fleet: this.fleet,
        health: this.health,
        alerts: this.alerts,
        kb: this.kb,
        cost: this.cost,
        audit: this.auditTrail,
        access: this.access,
        inbox: this.inbox,
        privacy: this.privacy,
        logs: this.logs,
        hub: this.hub,
        ops: this.ops,
        emit,
        appInfo: () => this.appInfo(),
      },
      Object.keys(commands) as CommandName[],
    );
  }

  emit(event: AppEvent): void {
    this.hub.publish(event);
  }

  /** An in-process listener of every event (the CLI, tests); windows and sockets subscribe instead. */
  onEvent(listener: (event: AppEvent) => void): () => void {
    return this.hub.listen(listener);
  }

  /**
   * Run one command through the one door (look up, validate, policy, run). Never throws. The
   * desktop IPC, the browser bridge and the CLI all come here; `caller` says who asks (the
   * console's own mode, as an owner, unless told otherwise).
   */
  async dispatch(name: unknown, input: unknown, caller?: Partial<Caller>): Promise<Result<unknown>> {
    return dispatch({ handlers: this.handlers, policy: this.policy, audit: this.audit }, name, input, {
      role: 'owner',
      via: this.options.mode,
      ...caller,
    });
  }

  /** `dispatch` for code that wants the typed value or a thrown CoreError (the CLI). */
  async call<N extends CommandName>(
    name: N,
    input: CommandInput<N>,
    caller?: Partial<Caller>,
  ): Promise<CommandOutput<N>> {
    const r = await this.dispatch(name, input, caller);
    if (!r.ok) throw new CoreError(r.error.code, r.error.message, r.error.hint, r.error.details);
    return r.value as CommandOutput<N>;
  }

  async appInfo(): Promise<AppInfo> {
    const socketPath = localDockerSocket();
    const version = await access(socketPath)
      .then(() =>
        Promise.race([
          new Docker({ socketPath }).version(),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new CoreError('timeout', 'timeout')), 3000).unref(),
          ),
        ]),
      )
      .then(
        (v) => v.Version,
        () => null,
      );
    return {
      version: VERSION,
      mode: this.options.mode,
      home: this.options.home,
      localDocker: { available: version !== null, socketPath, version },
    };
  }

  /** Background work of an open console (drills today; health sweeps next). */
  readonly scheduler = new Scheduler();

  /**
   * What an open console does in the background (the desktop app and browser mode, not the CLI):
   * hourly, the weekly restore drills that are due (they need the private key, so hosts cannot),
   * through the one door as the scheduler.
   */
  startBackground(intervalMs = 3600_000): void {
    this.scheduler.add({
      name: 'drills',
      everyMs: intervalMs,
      firstMs: 60_000,
      run: () => this.call('backups.runDueDrills', {}, { via: 'scheduler' }),
    });
  }

  async close(): Promise<void> {
    this.ops.cancelAll();
    this.scheduler.stop();
    this.hub.close();
    this.logs.close();
    this.health.close();
    this.kb.close();
    await this.hosts.closeAll();
  }
}
