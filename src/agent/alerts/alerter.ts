/**
 * The agent's alerting, wired: it puts observations together (the containers and the host the
 * agent already watches, backups, certificates and posture read on the side), runs the rule
 * engine on every change, on every sweep and when a rule is next due, sends what it says through
 * the delivery queue (Telegram), and keeps everything on disk in `<agent dir>/alerts/`:
 *
 *   config.json     the settings the console gave (no secret)
 *   telegram.token  the bot token (0600; never logged, never answered)
 *   state.json      the engine's state (pending, firing, acknowledged, silences, history)
 *   tracks.json     each container's restarts and exits (a restarted agent still counts them)
 *   outbox.jsonl    the delivery queue's journal
 *
 * The order of saves is the outbox's (outbox.ts): messages journaled before the state, so a crash
 * in between repeats notices the queue then drops (same ids), never loses them.
 */
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  AlertNotice,
  AlertRecord,
  AlertState,
  AlertsConfig,
  AlertsView,
  MaintenanceWindow,
  Silence,
} from '../../shared/agent/alerts';
import type { ContainerHealth, HostHealth } from '../../shared/agent/protocol';
import { atomicWrite } from './files';
import { baseRules } from './kinds';
import type {
  BackupObservation,
  BudgetObservation,
  CertObservation,
  Observation,
  SecurityObservation,
} from './observations';
import type { ContainerTracks } from './observe';
import { noteExit, noteStopRequested, trackContainers } from './observe';
import { digestRenderer, messagesFor, testMessages } from './outbox';
import { DeliveryQueue } from './queue';
import type { SendOutcome } from './queue';
import {
  acknowledge,
  addMaintenance,
  addSilence,
  emptyState,
  evaluate,
  nextDueAt,
  removeHold,
} from './rules';
import { AlertStateFile } from './statefile';
import { TelegramClient, TELEGRAM_API, telegramSender } from './telegram';

/** What the alerter reads of the rest of the agent, and how it reaches the console. */
export interface AlerterDeps {
  /** `<agent dir>/alerts`. */
  dir: string;
  /** The host's name before the console configured one (from the environment). */
  defaultHost: string;
  containers: () => ContainerHealth[];
  /**
   * Whether the container list is whole (Docker's full list read once since the agent started):
   * before that the containers are not observed — an empty list would resolve every container
   * alert as gone, and fire them again a moment later.
   */
  containersReady?: () => boolean;
  host: () => HostHealth | null;
  /** Slower reads, refreshed every `sideEveryMs`: null when a section cannot be read. */
  side: () => Promise<{
    backups: BackupObservation[] | null;
    certs: CertObservation[] | null;
    security: SecurityObservation | null;
    /** Each tenant's monthly AI spend against its budget (null: not read). */
    budgets?: BudgetObservation[] | null;
    problems: string[];
  }>;
  /** How often the side reads run (default 60 s). */
  sideEveryMs?: number;
  /** The Bot API's base URL when the config names none (tests: the stand-in). */
  telegramApi?: string;
  log: (message: string) => void;
  /** Notices to the consoles following the agent. */
  announce: (notices: AlertNotice[], active: number) => void;
  now?: () => number;
}

export class RequestRefused extends Error {
  constructor(
    readonly code: 'bad-request' | 'not-found',
    message: string,
  ) {
    super(message);
  }
}

export class Alerter {
  private config: AlertsConfig | null = null;
  private token: string | null = null;
  private client: TelegramClient | null = null;
  private state: AlertState = emptyState();
  private tracks: ContainerTracks = {};
  private queue!: DeliveryQueue;
  private readonly stateFile: AlertStateFile;
  private side: Awaited<ReturnType<AlerterDeps['side']>> | null = null;
  private sideAt = 0;
  private sideRunning: Promise<void> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private dueTimer: NodeJS.Timeout | null = null;
  private changeTimer: NodeJS.Timeout | null = null;
  private evaluatedAt: number | null = null;
  private lastSentAt: number | null = null;
  private blocked: string | null = null;
  private readonly problems = new Set<string>();
  private readonly now: () => number;
  private stopped = false;

  private constructor(private readonly deps: AlerterDeps) {
    this.now = deps.now ?? Date.now;
    this.stateFile = new AlertStateFile(join(deps.dir, 'state.json'));
  }

  static async open(deps: AlerterDeps): Promise<Alerter> {
    const a = new Alerter(deps);
    await mkdir(deps.dir, { recursive: true, mode: 0o700 });
    a.config = await readJson<AlertsConfig>(join(deps.dir, 'config.json'));
    a.token = (await readFile(join(deps.dir, 'telegram.token'), 'utf8').catch(() => '')).trim() || null;
    a.client = a.makeClient();
    const loaded = await a.stateFile.load();
    a.state = loaded.state;
    if (loaded.problem) a.problems.add(loaded.problem);
    a.tracks = (await readJson<ContainerTracks>(join(deps.dir, 'tracks.json'))) ?? {};
    a.queue = await DeliveryQueue.open({
      file: join(deps.dir, 'outbox.jsonl'),
      send: (dest, msg) => a.send(dest, msg),
      renderDigest: digestRenderer(() => a.effectiveConfig()),
      // Read at each message: a new config's threshold counts from then on.
      digest: {
        get threshold(): number {
          return a.config?.digestAfter ?? 5;
        },
      },
      onEvent: (e) => {
        if (e.type === 'sent') {
          a.lastSentAt = a.now();
          a.blocked = null;
        } else if (e.type === 'unauthorized') a.blocked = `Telegram refuses the bot token: ${e.error}`;
        else if (e.type === 'failed')
          deps.log(`alerts: Telegram refused a message to ${e.dest.chatId}: ${e.error}`);
        else if (e.type === 'journal-error') deps.log(`alerts: outbox: ${e.error}`);
      },
    });
    if (a.queue.loadProblem) a.problems.add(a.queue.loadProblem);
    a.queue.start();
    return a;
  }

  private effectiveConfig(): AlertsConfig {
    return this.config ?? { host: this.deps.defaultHost };
  }

  private makeClient(): TelegramClient | null {
    if (!this.token) return null;
    return new TelegramClient({
      token: this.token,
      baseUrl: this.config?.telegramApi ?? this.deps.telegramApi ?? TELEGRAM_API,
    });
  }

  private async send(
    dest: { chatId: string; threadId?: number },
    msg: { text: string; silent: boolean },
  ): Promise<SendOutcome> {
    const client = this.client;
    if (!client) {
      this.blocked = 'No Telegram bot token is set: `truffles alerts configure HOST --token-file FILE`.';
      return { kind: 'unauthorized', error: 'no bot token' };
    }
    return telegramSender(client)(dest, msg);
  }

  /** A container event (die with its code, kill, stop) before its inspect: exits and asked-for stops. */
  noteEvent(e: {
    action: string;
    name: string | null;
    at: number;
    attributes: Record<string, string>;
  }): void {
    if (!e.name) return;
    // `docker stop` sends TERM (then KILL); `docker kill -s USR1` asks for no stop.
    const stopSignal = /^(SIG)?(TERM|KILL|INT|QUIT|15|9|2|3)$/i.test(e.attributes['signal'] ?? 'TERM');
    if (e.action === 'stop' || (e.action === 'kill' && stopSignal))
      this.tracks = noteStopRequested(this.tracks, e.name, e.at);
    else if (e.action === 'die') {
      const code = Number(e.attributes['exitCode']);
      if (Number.isInteger(code)) this.tracks = noteExit(this.tracks, e.name, { at: e.at, code });
    }
  }

  /** A container changed: evaluate soon (changes in a burst are evaluated once). */
  changed(): void {
    if (this.stopped) return;
    this.changeTimer ??= setTimeout(() => {
      this.changeTimer = null;
      void this.evaluateNow();
    }, 250);
  }

  /** Run the rules now (one run at a time; a run asked for meanwhile runs after it). */
  evaluateNow(): Promise<void> {
    const run = this.chain.then(() => this.evaluateOnce());
    this.chain = run.catch((err: unknown) => this.deps.log(`alerts: ${(err as Error).message}`));
    return this.chain;
  }

  private refreshSide(): void {
    if (this.sideRunning || this.now() - this.sideAt < (this.deps.sideEveryMs ?? 60_000)) return;
    this.sideRunning = this.deps
      .side()
      .then((s) => {
        this.side = s;
        this.sideAt = this.now();
        void this.evaluateNow();
      })
      .catch((err: unknown) => this.deps.log(`alerts: side reads: ${(err as Error).message}`))
      .finally(() => (this.sideRunning = null));
  }

  private observe(now: number): Observation {
    const obs: Observation = {};
    if (this.deps.containersReady?.() ?? true) {
      const t = trackContainers(this.tracks, this.deps.containers(), now);
      this.tracks = t.tracks;
      obs.containers = t.observations;
    }
    const host = this.deps.host();
    if (host) {
      obs.host = {
        cores: host.cores,
        memTotalBytes: host.memTotalBytes,
        memAvailableBytes: host.memAvailableBytes,
        load1: host.load[0],
      };
      obs.disks = host.disks;
    }
    if (this.side) {
      if (this.side.backups) obs.backups = this.side.backups;
      if (this.side.certs) obs.certs = this.side.certs;
      if (this.side.security) obs.security = this.side.security;
      if (this.side.budgets) obs.budgets = this.side.budgets;
    }
    return obs;
  }

  private async evaluateOnce(): Promise<void> {
    if (this.stopped) return;
    this.refreshSide();
    const now = this.now();
    const config = this.effectiveConfig();
    const result = evaluate(config, this.state, this.observe(now), now);
    await this.commit(result.state, result.notices, config);
    this.evaluatedAt = now;
    this.schedule(config, now);
  }

  /** Outbox first, then the state and the tracks; then the consoles hear of it. */
  private async commit(state: AlertState, notices: AlertNotice[], config: AlertsConfig): Promise<void> {
    if (notices.length) await this.queue.enqueue(notices.flatMap((n) => messagesFor(n, config)));
    this.state = state;
    await this.stateFile.save(state);
    await atomicWrite(join(this.deps.dir, 'tracks.json'), JSON.stringify(this.tracks));
    if (notices.length) this.deps.announce(notices, this.activeCount());
  }

  private activeCount(): number {
    return Object.values(this.state.records).filter((r) => r.phase === 'firing').length;
  }

  private schedule(config: AlertsConfig, now: number): void {
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueTimer = null;
    const due = nextDueAt(config, this.state, now);
    if (due === null || this.stopped) return;
    this.dueTimer = setTimeout(() => void this.evaluateNow(), Math.max(0, due - now) + 5);
    this.dueTimer.unref?.();
  }

  view(limit = 100): AlertsView {
    const failures = this.queue.failures().map((f) => ({
      ids: f.ids,
      chatId: f.dest.chatId,
      ...(f.dest.threadId !== undefined ? { threadId: f.dest.threadId } : {}),
      at: f.at,
      error: f.error,
    }));
    const destinations = this.config?.telegram?.length ?? 0;
    return {
      config: this.config,
      telegramToken: this.token !== null,
      rules: baseRules(this.config?.rules),
      active: Object.values(this.state.records).sort((a, b) => a.id - b.id),
      silences: this.state.silences,
      maintenance: this.state.maintenance,
      history: [...this.state.history].sort((a, b) => b.resolvedAt - a.resolvedAt).slice(0, limit),
      delivery: {
        pending: this.queue.pending().length,
        failures,
        blocked:
          this.blocked ??
          (!this.token
            ? 'No Telegram bot token is set.'
            : destinations === 0
              ? 'No Telegram chat is set.'
              : null),
        lastSentAt: this.lastSentAt,
      },
      evaluatedAt: this.evaluatedAt,
      problems: [...this.problems, ...(this.side?.problems ?? [])],
    };
  }

  /** Apply a people's change to the state (acknowledge, silence …) in the evaluation order. */
  private change<T>(f: (state: AlertState) => { state: AlertState; value: T }): Promise<T> {
    let out!: T;
    const run = this.chain.then(async () => {
      const { state, value } = f(this.state);
      out = value;
      this.state = state;
      await this.stateFile.save(state);
    });
    this.chain = run.catch(() => undefined);
    return run.then(async () => {
      await this.evaluateNow();
      return out;
    });
  }

  ack(ref: number | string, by: string, note?: string): Promise<AlertRecord> {
    return this.change((s) => {
      const r = acknowledge(s, ref, by, this.now(), note);
      if (!r) throw new RequestRefused('not-found', `No firing alert ${JSON.stringify(ref)} on this host.`);
      return { state: r.state, value: r.alert };
    });
  }

  async silence(p: {
    rule: string;
    subject: string;
    until: number;
    by: string;
    reason?: string;
  }): Promise<Silence> {
    if (!(p.until > this.now())) throw new RequestRefused('bad-request', 'A silence must end in the future.');
    return this.change((s) => {
      const r = addSilence(s, { ...p, at: this.now() });
      return { state: r.state, value: r.silence };
    });
  }

  async maintenance(p: Omit<MaintenanceWindow, 'id'>): Promise<MaintenanceWindow> {
    if (!(p.end > p.start))
      throw new RequestRefused('bad-request', 'A maintenance window ends after it starts.');
    return this.change((s) => {
      const r = addMaintenance(s, p);
      return { state: r.state, value: r.window };
    });
  }

  unhold(id: string): Promise<{ removed: boolean }> {
    return this.change((s) => {
      const next = removeHold(s, id);
      return { state: next ?? s, value: { removed: next !== null } };
    });
  }

  /** New settings (and a new token, or none); saved before they are used. */
  async configure(config: AlertsConfig, token: string | null | undefined): Promise<AlertsView> {
    const couldSend = this.canSend();
    await atomicWrite(join(this.deps.dir, 'config.json'), JSON.stringify(config, null, 2));
    this.config = config;
    const tokenFile = join(this.deps.dir, 'telegram.token');
    if (token === null) {
      await rm(tokenFile, { force: true });
      this.token = null;
    } else if (token !== undefined) {
      await atomicWrite(tokenFile, `${token}\n`);
      await chmod(tokenFile, 0o600);
      this.token = token;
    }
    this.client = this.makeClient();
    this.blocked = null;
    // The first time messages can go somewhere, what already fires is sent (it was "told" to no one).
    if (!couldSend && this.canSend())
      await this.change((s) => {
        const next = structuredClone(s);
        for (const r of Object.values(next.records))
          if (r.phase === 'firing') {
            r.notifiedSeverity = null;
            r.lastNotifiedAt = null;
          }
        return { state: next, value: undefined };
      });
    else await this.evaluateNow();
    return this.view();
  }

  /** A token and at least one chat: messages can go out. */
  private canSend(): boolean {
    return this.token !== null && (this.config?.telegram?.length ?? 0) > 0;
  }

  async test(): Promise<{ queued: number }> {
    const config = this.effectiveConfig();
    const ids = await this.queue.enqueue(testMessages(config, this.now()));
    return { queued: ids.length };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.dueTimer) clearTimeout(this.dueTimer);
    if (this.changeTimer) clearTimeout(this.changeTimer);
    await this.chain;
    await this.queue.stop();
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}
