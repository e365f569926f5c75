import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/main/core/core';
import { PassphraseProvider } from '../../src/main/core/secrets/provider';
import { readHostFile } from '../../src/main/core/tenants/hostfs';
import { parseEnvFile } from '../../src/main/core/tenants/service';
import type { Tunnel } from '../../src/main/core/tunnel';
import { runTruffles, type CliResult } from '../helpers/cli';
import { tenantHost, uniqueSlug, withTenantDb, chatMessage, type ChatAnswer } from '../helpers/tenants';
import { tempDir } from '../helpers/tmp';

/**
 * Issue 17's conversations inbox against the real test host: a customer writes to the tenant's
 * real bot (n8n's chat/message webhook, core_chat), an operator takes the conversation over through
 * the console (the host's agent asks the tenant's own admin API), the customer's next message gets
 * no bot answer, the operator's reply is stored and sent, and after handing back the bot answers
 * again. The host's trail records each change with no message text.
 */
const HOST = 'sb';
const PHONE = '77015550123';
let t: ReturnType<typeof tempDir>;
let core: Core;
let tunnel: Tunnel;
let apiKey: string;
const slug = uniqueSlug('inbox');

function truffles(...args: string[]): CliResult {
  return runTruffles({ home: join(t.dir, 'home'), passphrase: 'inbox test', timeoutMs: 120_000 }, ...args);
}

const say = (text: string): Promise<ChatAnswer> =>
  chatMessage(tunnel.localPort, apiKey, { channel: 'web', phone: PHONE, name: 'Айгерим', text });

beforeAll(async () => {
  t = tempDir();
  core = new Core({
    home: join(t.dir, 'home'),
    secrets: new PassphraseProvider(async () => 'inbox test'),
    mode: 'cli',
  });
  await tenantHost(core, HOST);
  await core.tenants.create({
    slug,
    host: HOST,
    plan: 'starter',
    modules: [],
    env: {},
    keepOnFailure: false,
  });
  await core.call('agent.install', { host: HOST });
  const tr = await core.hosts.transport(HOST);
  const env = parseEnvFile((await readHostFile(tr, `/opt/truffles/tenants/${slug}/.env`)) ?? '');
  apiKey = env['TRUFFLES_API_KEY']!;
  tunnel = await tr.tunnel(await core.tenants.containerIp(tr, slug, 'n8n'), 5678);
}, 600_000);

afterAll(async () => {
  tunnel?.close();
  await core?.tenants.delete(slug, slug, HOST).catch(() => undefined);
  await core?.close();
  t?.cleanup();
}, 300_000);

describe('the conversations inbox: take over, reply, hand back', () => {
  it('the bot stops answering a conversation an operator took over, and answers again once handed back', async () => {
    const first = await say('Здравствуйте');
    expect(first.reply).toBeTruthy();

    const list = await core.call('inbox.list', { tenant: slug });
    expect(list.host).toBe(HOST);
    const conv = list.items.find((c) => c.customer.phone === PHONE)!;
    expect(conv).toMatchObject({
      id: first.conversation_id,
      status: 'active',
      channel: 'web',
      message_count: 2,
    });
    expect((await core.call('inbox.list', { tenant: slug, status: 'escalated' })).items).toEqual([]);
    expect(
      (await core.call('inbox.list', { tenant: slug, q: PHONE.slice(3, 9) })).items.map((c) => c.id),
    ).toEqual([conv.id]);

    const taken = await core.call('inbox.takeOver', { host: HOST, tenant: slug, id: conv.id });
    expect(taken.status).toBe('escalated');
    // The counts the sidebar asks for, with no one's data in them.
    const pending = await core.call('inbox.pending', {});
    const mine = pending.hosts.find((h) => h.host === HOST)!.tenants.find((x) => x.tenant === slug)!;
    expect(mine).toMatchObject({ escalated: 1, conversations: 1 });
    expect(JSON.stringify(pending)).not.toContain(PHONE);
    const silent = await say('Привет');
    expect(silent.reply).toBeNull();
    expect(silent.intent).toBe('operator');

    const sent = await core.call('inbox.reply', {
      host: HOST,
      tenant: slug,
      id: conv.id,
      text: 'Да, доставим сегодня до 18:00.',
    });
    expect(sent.message_id).toBeTruthy();

    const back = await core.call('inbox.handBack', { host: HOST, tenant: slug, id: conv.id });
    expect(back.status).toBe('active');
    const again = await say('Привет');
    expect(again.reply).toBeTruthy();
    expect(again.conversation_id).toBe(conv.id);

    const history = await core.call('inbox.messages', { tenant: slug, id: conv.id });
    expect(history.items.map((m) => m.sender_type)).toEqual([
      'customer',
      'bot',
      'customer',
      'operator',
      'customer',
      'bot',
    ]);
    expect(history.items[3]!.content).toBe('Да, доставим сегодня до 18:00.');
    // The same from the CLI, in another process.
    const shown = truffles('inbox', 'show', slug, conv.id);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/operator\s+Да, доставим сегодня до 18:00\./);
    const listed = JSON.parse(truffles('inbox', 'list', slug, '--status', 'active', '--json').stdout) as {
      items: Array<{ id: string }>;
    };
    expect(listed.items.map((c) => c.id)).toEqual([conv.id]);

    // Each change is in the tenant's own audit log, and in the host's trail with no message text.
    const statuses = await withTenantDb(core, await core.hosts.transport(HOST), slug, async (c) =>
      (
        await c.query<{ v: string }>(
          "SELECT new_value->>'status' AS v FROM audit_logs WHERE action = 'conversation.status' AND resource_id = $1 ORDER BY created_at",
          [conv.id],
        )
      ).rows.map((r) => r.v),
    );
    expect(statuses).toEqual(['escalated', 'active']);
    const trail = readFileSync('/opt/truffles/audit/trail.jsonl', 'utf8');
    for (const cmd of ['inbox.takeOver', 'inbox.reply', 'inbox.handBack'])
      expect(trail).toMatch(new RegExp(`"command.ok".*"command":"${cmd.replace('.', '\\.')}"`));
    expect(trail).not.toContain('доставим');
  }, 300_000);

  it('refuses a reply to a closed conversation, and says why', async () => {
    const conv = (await core.call('inbox.list', { tenant: slug })).items[0]!;
    expect((await core.call('inbox.close', { host: HOST, tenant: slug, id: conv.id })).status).toBe('closed');
    const err = await core
      .call('inbox.reply', { host: HOST, tenant: slug, id: conv.id, text: 'Ещё вопрос?' })
      .catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'inbox.closed' });
    const bad = await core
      .call('inbox.takeOver', { host: HOST, tenant: slug, id: 'not-a-uuid' } as never)
      .catch((e: unknown) => e as { code: string });
    expect(bad.code).toMatch(/invalid|usage|input/);
  }, 120_000);
});
