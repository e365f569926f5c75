import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChainLine } from '../../src/main/core/audit/chain';
import { SUPPORT_METHODS, SUPPORT_STREAMS } from '../../src/agent/supportDoor';
import { SUPPORT_KEYS, SUPPORT_USER } from '../../src/main/core/access/support';
import { Core } from '../../src/main/core/core';
import type { AgentClient } from '../../src/main/core/health/client';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { envSecrets } from '../../src/shared/redact';
import { addSandboxHost } from '../helpers/hosts';
import { gatewayAddress, waitJobs, writeFixture } from '../helpers/kb';
import { start as startLlm } from '../helpers/llm-standin/server';
import type { LlmStandin } from '../helpers/llm-standin/server';
import { sandbox } from '../helpers/sandbox';
import { tenantHost, uniqueSlug } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 17's support role, enforced on the real test host: a support person's key logs in to the
 * `truffles-support` account (not in the docker group, its one program the door's bridge), which
 * reaches only the host agent's support door. Everything else — Docker's socket, TCP forwarding, a
 * shell, sftp, scp, any command, every write verb of the agent — is refused and changes nothing;
 * every read answers, with no secret of the host in it.
 */
const PASSPHRASE = 'support test passphrase';
const PLANTED_KEY = 'plnt7Qz9Xv2Lw8Kr4Tb6Ny1Hm3Jc5Fd0';
const PLANTED_LOG = 'password=Hunter2-planted-in-a-log';
let t: ReturnType<typeof tempDir>;
let op: Core;
let sup: Core;
let samKey: string;
const slug = uniqueSlug('sup');
let secrets: string[] = [];
let trailPath: string;
let hostState: string;
/** The OpenAI-compatible API the tenant's knowledge base embeds with: a STAND-IN, keyed with the planted key. */
let llm: LlmStandin;
let pgPassword = '';

function newCore(home: string): Core {
  return new Core({
    home: join(t.dir, home),
    secrets: new PassphraseProvider(async () => PASSPHRASE),
    mode: 'cli',
  });
}

/** A raw SSH connection as the support person (what a modified console or a plain ssh client has). */
async function supportSsh(username = SUPPORT_USER): Promise<Client> {
  const sb = sandbox();
  const c = new Client();
  await new Promise<void>((resolve, reject) => {
    c.once('ready', () => resolve());
    c.once('error', reject);
    c.connect({
      host: sb.address,
      port: sb.port,
      username,
      privateKey: readFileSync(samKey),
      readyTimeout: 20_000,
    });
  });
  return c;
}

/** What a channel printed and how it ended, or the refusal to open it. */
async function run(
  open: (cb: (err: Error | undefined, ch: ClientChannel) => void) => void,
  input = '',
): Promise<{ refused: string | null; code: number | null; out: string }> {
  return new Promise((resolve) => {
    open((err, ch) => {
      if (err) {
        resolve({ refused: err.message, code: null, out: '' });
        return;
      }
      let out = '';
      let code: number | null = null;
      ch.on('data', (d: Buffer) => (out += d.toString()));
      ch.stderr.on('data', (d: Buffer) => (out += d.toString()));
      ch.on('exit', (c: number | null) => (code = c));
      ch.on('close', () => resolve({ refused: null, code, out }));
      ch.end(input);
    });
  });
}

/** The door on a new channel of a raw support connection: one request at a time, answered by id. */
async function doorChannel(c: Client): Promise<{
  ask(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): void;
}> {
  const ch = await new Promise<ClientChannel>((resolve, reject) =>
    c.exec('truffles-door', (err, channel) => (err ? reject(err) : resolve(channel))),
  );
  let buf = '';
  const waiting: Array<(f: Record<string, unknown>) => void> = [];
  const frames: Record<string, unknown>[] = [];
  ch.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      const f = JSON.parse(line) as Record<string, unknown>;
      const w = waiting.shift();
      if (w) w(f);
      else frames.push(f);
    }
  });
  const next = (): Promise<Record<string, unknown>> =>
    frames.length ? Promise.resolve(frames.shift()!) : new Promise((resolve) => waiting.push(resolve));
  expect(await next()).toHaveProperty('hello');
  let id = 0;
  return {
    ask: async (method, params = {}) => {
      id += 1;
      ch.write(`${JSON.stringify({ id, method, params })}\n`);
      const f = await next();
      seen.push(JSON.stringify(f));
      return f;
    },
    close: () => ch.close(),
  };
}

/** Every output the support person got, to search for secrets. */
const seen: string[] = [];

beforeAll(async () => {
  t = tempDir();
  llm = await startLlm({ host: '0.0.0.0', port: 0, apiKey: PLANTED_KEY });
  op = newCore('op');
  await tenantHost(op, 'sb');
  await op.tenants.create({
    slug,
    host: 'sb',
    plan: 'starter',
    modules: [],
    env: { OPENAI_API_KEY: PLANTED_KEY, OPENAI_BASE_URL: `http://${gatewayAddress()}:${llm.port}/v1` },
    keepOnFailure: false,
  });
  await op.call('agent.install', { host: 'sb' });
  hostState = (await op.hosts.get('sb')).stateDir;
  trailPath = join(hostState, 'audit', 'trail.jsonl');
  const envText = readFileSync(join(hostState, 'tenants', slug, '.env'), 'utf8');
  const env: Record<string, string> = {};
  for (const line of envText.split('\n')) {
    const m = /^([A-Z0-9_]+)='?(.*?)'?$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  secrets = [...envSecrets(env), PLANTED_KEY, 'Hunter2-planted-in-a-log'];
  pgPassword = env['POSTGRES_PASSWORD'] ?? '';
  expect(pgPassword.length).toBeGreaterThan(8);
  expect(secrets.length).toBeGreaterThan(4);
  // A log line that carries secrets, as a careless program prints them.
  const redis = execFileSync(
    'docker',
    [
      'ps',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${slug}`,
      '--filter',
      'label=com.docker.compose.service=redis',
    ],
    { encoding: 'utf8' },
  ).trim();
  execFileSync('docker', [
    'exec',
    redis,
    'sh',
    '-c',
    `echo "connecting with key ${PLANTED_KEY} ${PLANTED_LOG} pg=${env['POSTGRES_PASSWORD'] ?? ''}" >/proc/1/fd/1`,
  ]);

  samKey = join(t.dir, 'sam_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sam@support', '-f', samKey]);
  const granted = await op.call('access.grant', {
    host: 'sb',
    name: 'sam',
    role: 'support',
    publicKey: readFileSync(`${samKey}.pub`, 'utf8'),
  });
  expect(granted).toMatchObject({ name: 'sam', role: 'support' });
  sup = newCore('sam');
  await addSandboxHost(sup, 'sb', {
    user: SUPPORT_USER,
    auth: { kind: 'keyFile', path: samKey },
    role: 'support',
  });
}, 600_000);

afterAll(async () => {
  await op?.call('access.revoke', { host: 'sb', name: 'sam' }).catch(() => undefined);
  await op?.tenants.delete(slug, slug, 'sb').catch(() => undefined);
  await sup?.close();
  await op?.close();
  await llm?.close();
  t?.cleanup();
}, 300_000);

describe('support: the host lets a support key look, never change', () => {
  it('the support account is no docker member, its keys are root’s and restricted to the door', async () => {
    const groups = execFileSync('id', ['-nG', SUPPORT_USER], { encoding: 'utf8' }).trim().split(/\s+/);
    expect(groups).toEqual([SUPPORT_USER]);
    const keys = readFileSync(SUPPORT_KEYS, 'utf8');
    expect(keys).toMatch(/^restrict,command="truffles-door sam" ssh-ed25519 \S+ truffles:sam$/m);
    const st = execFileSync('stat', ['-c', '%U %a', SUPPORT_KEYS], { encoding: 'utf8' }).trim();
    expect(st).toBe('root 644');
    // The operator account does not let the support key in.
    const opKeys = join('/home', sandbox().user, '.ssh', 'authorized_keys');
    expect(existsSync(opKeys) ? readFileSync(opKeys, 'utf8') : '').not.toContain('truffles:sam');
    const asOperator = await supportSsh(sandbox().user).then(
      (c) => {
        c.end();
        return null;
      },
      (e: unknown) => e as Error,
    );
    expect(asOperator?.message).toMatch(/authentication/i);
  });

  it('every read verb answers through the door, with no secret in any of it', async () => {
    const check = await sup.call('hosts.check', { name: 'sb' });
    expect(check.status).toBe('ok');
    const client = (await sup.health.client('sb')) as AgentClient;
    expect(client.hello.methods.sort()).toEqual([...SUPPORT_METHODS, ...SUPPORT_STREAMS].sort());
    const snap = await sup.call('health.host', { host: 'sb' });
    const mine = snap.containers.filter((c) => c.tenant === slug);
    expect(mine.map((c) => c.service).sort()).toEqual(expect.arrayContaining(['n8n', 'postgres', 'redis']));
    seen.push(JSON.stringify(snap));
    seen.push(JSON.stringify(await sup.call('health.fleet', {})));
    seen.push(JSON.stringify(await sup.call('health.history', { host: 'sb', range: '1h' })));
    const today = new Date().toISOString().slice(0, 10);
    const answers: Record<string, unknown> = {};
    for (const [method, params] of [
      ['ping', {}],
      ['alerts', {}],
      ['cost.view', { from: today, to: today }],
      ['cost.prices', {}],
      ['cost.rates', {}],
      ['cost.budget', { tenant: slug }],
    ] as const) {
      answers[method] = await client
        .request(method as never, params as never)
        .catch((e: unknown) => ({ error: String(e) }));
      seen.push(JSON.stringify(answers[method]));
    }
    expect(answers['ping']).toMatchObject({ pong: true });
    expect(answers['cost.prices']).not.toHaveProperty('error');
    // Logs, bounded: the redis container's, which printed secrets.
    const redis = mine.find((c) => c.service === 'redis')!;
    const lines: string[] = [];
    const stream = await client.stream(
      'logs',
      { targets: [{ id: redis.id, service: 'redis' }], tail: 100000, follow: false } as never,
      (e: unknown) => {
        lines.push(JSON.stringify(e));
      },
    );
    await stream.ended;
    const text = lines.join('\n');
    seen.push(text);
    expect(text).toContain('connecting with key');
    expect(text).toContain('‹redacted›');
    const all = seen.join('\n');
    for (const s of secrets) expect(all, `a secret of length ${s.length}`).not.toContain(s);
  }, 120_000);

  it('support reads the conversations inbox, each read recorded with who read it, and cannot change it', async () => {
    const before = readFileSync(trailPath, 'utf8').trimEnd().split('\n').length;
    const list = await sup.call('inbox.list', { tenant: slug });
    expect(list.items).toEqual([]);
    const added = readFileSync(trailPath, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(before)
      .map((l) => parseChainLine(l)!.body);
    expect(added).toEqual([
      expect.objectContaining({
        action: 'support.read',
        actor: 'sam',
        proof: 'host',
        subject: `tenant:${slug}`,
        details: { method: 'inbox.list', ref: 'conversations' },
      }),
    ]);
  }, 60_000);

  it('a read of a conversation is recorded in the trail with who read it, and no text', async () => {
    const before = readFileSync(trailPath, 'utf8').trimEnd().split('\n').length;
    const client = (await sup.health.client('sb')) as AgentClient;
    await client
      .request('cost.conversation' as never, { tenant: slug, conversationId: 'c-4242' } as never)
      .catch(() => undefined);
    const after = readFileSync(trailPath, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(before)
      .map((l) => parseChainLine(l)!.body);
    expect(after).toEqual([
      expect.objectContaining({
        action: 'support.read',
        actor: 'sam',
        proof: 'host',
        subject: `tenant:${slug}`,
        details: { method: 'cost.conversation', ref: 'conversation:c-4242' },
      }),
    ]);
    const verified = await op.call('audit.verify', { host: 'sb' });
    expect(verified.ok).toBe(true);
  }, 60_000);

  it('support sees a tenant’s knowledge base and tries its search through the door, secrets hidden', async () => {
    // An operator uploads a document that carries secrets (as a careless one would).
    const file = writeFixture(
      t.dir,
      'access.md',
      `# Доступ к базе\n\nПароль администратора базы данных: ${pgPassword}.\n\nКлюч API: ${PLANTED_KEY}.\n\nЧасы работы: с 9 до 18, без выходных.\n`,
    );
    const [job] = await op.call('kb.upload', { slug, paths: [file] });
    const [done] = await waitJobs(op, slug, [job!.id]);
    expect(done, JSON.stringify(done?.error)).toMatchObject({ phase: 'done', error: null });

    const list = await sup.call('kb.list', { slug });
    expect(list.host).toBe('sb');
    expect(list.documents.map((d) => [d.filename, d.status])).toEqual([['access.md', 'ready']]);
    expect(list.jobs.map((j) => j.id)).toContain(job!.id);
    const chunks = await sup.call('kb.chunks', { slug, document: done!.documentId! });
    expect(chunks.total).toBeGreaterThan(0);
    const search = await sup.call('kb.search', {
      slug,
      query: 'Пароль администратора базы данных',
      minScore: -1,
    });
    expect(search.hits.length).toBeGreaterThan(0);
    const text = JSON.stringify([list, chunks, search]);
    expect(text).toContain('Пароль администратора');
    expect(text).toContain('‹redacted›');
    seen.push(text);
    for (const s of secrets) expect(text, `a secret of length ${s.length}`).not.toContain(s);
  }, 600_000);

  it('refuses 40+ attempts to get or change anything else, and nothing changes', async () => {
    const sb = sandbox();
    const opClient = (await op.health.client('sb')) as AgentClient;
    const state = async (): Promise<string> =>
      JSON.stringify([
        await opClient.request('cost.prices' as never, {} as never),
        await opClient.request('cost.rates' as never, {} as never),
        await opClient.request('cost.budget' as never, { tenant: slug } as never),
        ((await opClient.request('alerts' as never, {} as never)) as { config?: unknown }).config ?? null,
        execFileSync('docker', ['ps', '-a', '--format', '{{.Names}} {{.State}}'], { encoding: 'utf8' })
          .split('\n')
          .sort(),
        readFileSync(SUPPORT_KEYS, 'utf8'),
        readFileSync(join(hostState, 'access', 'keys'), 'utf8'),
        (await op.call('kb.list', { slug })).documents.map((d) => [d.id, d.status, d.chunkCount]),
      ]);
    const before = await state();
    const trailBefore = readFileSync(trailPath, 'utf8');
    const refusals: Array<[string, boolean, string]> = [];
    const c = await supportSsh();
    try {
      // The SSH level: forwarding of every kind.
      for (const sock of [
        '/var/run/docker.sock',
        join(hostState, 'health', 'run', 'agent.sock'),
        '/var/lib/truffles-support/run/support.sock',
      ]) {
        const r = await run((cb) => c.openssh_forwardOutStreamLocal(sock, cb as never));
        refusals.push([`stream-local ${sock}`, r.refused !== null, r.refused ?? r.out]);
      }
      for (const port of [sb.port, 5432, 80, 443, 2375]) {
        const r = await run((cb) => c.forwardOut('127.0.0.1', 0, '127.0.0.1', port, cb as never));
        refusals.push([`tcp 127.0.0.1:${port}`, r.refused !== null, r.refused ?? r.out]);
      }
      const remote = await new Promise<Error | null>((resolve) =>
        c.forwardIn('127.0.0.1', 0, (err) => resolve(err ?? null)),
      );
      refusals.push(['remote forward', remote !== null, String(remote)]);
      // A shell, with and without a terminal; sftp; scp both ways; commands of every kind.
      const shell = await run((cb) => c.shell(false, cb as never), 'id\n');
      refusals.push(['shell', shell.code !== 0 && !/uid=/.test(shell.out), shell.out]);
      const pty = await run((cb) => c.shell({ term: 'xterm' }, cb as never), 'id\n');
      refusals.push(['shell with a pty', pty.code !== 0 && !/uid=/.test(pty.out), pty.out]);
      const sftp = await new Promise<Error | null>((resolve) => c.sftp((err) => resolve(err ?? null)));
      refusals.push(['sftp', sftp !== null, String(sftp)]);
      const commands = [
        'id',
        'sh',
        '/bin/sh -c id',
        'bash -i',
        'cat /etc/shadow',
        'docker ps',
        'docker run --rm -v /:/h alpine',
        'curl --unix-socket /var/run/docker.sock http://x/containers/json',
        'touch /tmp/support-was-here',
        'rm -rf /opt/truffles',
        'scp -t /tmp',
        'scp -f /etc/passwd',
        'internal-sftp',
        '/usr/lib/openssh/sftp-server',
        'truffles-door; id',
        'truffles-door && id',
        'truffles-door bob',
        'TRUFFLES=1 truffles-door',
        'perl -e 1',
        'nc -U /var/run/docker.sock',
      ];
      for (const cmd of commands) {
        const r = await run((cb) => c.exec(cmd, cb as never));
        refusals.push([`exec ${cmd}`, r.code === 1 && /serves only the support door/.test(r.out), r.out]);
      }
    } finally {
      c.end();
    }
    expect(existsSync('/tmp/support-was-here')).toBe(false);

    // The door level: a modified console sends write verbs (and a second identity) over its own door.
    const client = (await sup.health.client('sb')) as AgentClient;
    for (const [method, params] of [
      ['alerts.ack', { key: 'x' }],
      ['alerts.silence', { key: 'x', minutes: 60 }],
      ['alerts.maintenance', { minutes: 60 }],
      ['alerts.unhold', { key: 'x' }],
      ['alerts.configure', { telegram: null }],
      ['alerts.test', {}],
      ['cost.pricesSet', { entries: [] }],
      ['cost.reprice', { tenant: slug, apply: true }],
      ['cost.ratesImport', { rates: [{ date: '2026-01-01', kztPerUsd: '1' }] }],
      ['cost.budgetSet', { tenant: slug, monthlyUsd: '0.01' }],
      ['inbox.reply', { tenant: slug, id: '00000000-0000-4000-8000-000000000000', text: 'hi', by: 'sam' }],
      [
        'inbox.status',
        { tenant: slug, id: '00000000-0000-4000-8000-000000000000', status: 'escalated', by: 'sam' },
      ],
      ['kb.enqueue', { tenant: slug, filename: 'x.md', by: 'sam' }],
      ['kb.delete', { tenant: slug, document: '00000000-0000-4000-8000-000000000000', by: 'sam' }],
      ['kb.reindex', { tenant: slug, by: 'sam' }],
      ['kb.cancel', { tenant: slug, job: 'x' }],
      ['kb.ask', { tenant: slug, question: 'hi' }],
      ['exec', { argv: ['id'] }],
      ['docker', { path: '/containers/json' }],
    ] as const) {
      const r = await client.request(method as never, params as never).then(
        (v: unknown) => `answered ${JSON.stringify(v)}`,
        (e: unknown) => `${(e as { code?: string }).code ?? ''} ${String(e)}`,
      );
      refusals.push([
        `door ${method}`,
        /forbidden|unknown|not-found|bad-request/.test(r) && !r.startsWith('answered'),
        r,
      ]);
    }
    // Through the console's own commands that change things: each needs the operator account.
    for (const [cmd, input] of [
      ['agent.install', { host: 'sb' }],
      [
        'access.grant',
        { host: 'sb', name: 'mallory', role: 'operator', publicKey: readFileSync(`${samKey}.pub`, 'utf8') },
      ],
      ['access.revoke', { host: 'sb', name: 'sam' }],
      ['kb.delete', { slug, document: '00000000-0000-4000-8000-000000000000' }],
      ['kb.reindex', { slug }],
    ] as const) {
      const r = await sup.call(cmd as never, input as never).then(
        () => 'answered',
        (e: unknown) => String(e),
      );
      refusals.push([`console ${cmd}`, r !== 'answered', r]);
    }
    const failed = refusals.filter(([, ok]) => !ok);
    expect(failed).toEqual([]);
    expect(refusals.length).toBeGreaterThanOrEqual(40);
    for (const [, , out] of refusals) seen.push(out);
    expect(await state()).toBe(before);
    // The trail grew by the console's own records of its refused commands at most: nothing of sam's.
    const added = readFileSync(trailPath, 'utf8').slice(trailBefore.length);
    expect(added).not.toMatch(/"actor":"sam"/);
    const all = seen.join('\n');
    for (const s of secrets) expect(all).not.toContain(s);
  }, 180_000);

  it('a revoked support key is let in nowhere, and a connection it opened before gets nothing more', async () => {
    // A connection opened before the revoke (sshd checks a key only at login), with the door open on it.
    const before = await supportSsh();
    const door = await doorChannel(before);
    expect(await door.ask('ping')).toMatchObject({ result: { pong: true } });
    await op.call('access.revoke', { host: 'sb', name: 'sam' });
    expect(readFileSync(SUPPORT_KEYS, 'utf8')).not.toContain('truffles:sam');
    // The open door refuses the next read, naming the revoke; so does a door opened anew on that connection.
    const after = await door.ask('snapshot');
    expect(after).toMatchObject({ error: { code: 'forbidden' } });
    expect((after as { error: { message: string } }).error.message).toMatch(/"sam".*revoked/);
    const again = await doorChannel(before);
    expect(await again.ask('ping')).toMatchObject({ error: { code: 'forbidden' } });
    door.close();
    again.close();
    before.end();
    await sleep(100);
    const err = await supportSsh().then(
      (c) => {
        c.end();
        return null;
      },
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/authentication/i);
  }, 60_000);
});
