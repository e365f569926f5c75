import type { Command } from 'commander';
import {
  ChannelSchema,
  ConversationStatusSchema,
  HostNameSchema,
  SlugSchema,
  type InboxList,
  type InboxMessages,
} from '../../shared/contract';
import { parseArg, UsageError } from './args';
import { verb, type CliContext } from './context';
import { table } from './format';

/**
 * `truffles inbox …`: a tenant's conversations (the spec's admin panel, phase 5), through the host's
 * agent and the tenant's own admin API: list and read them; take one over (the bot stays silent),
 * reply through its channel, hand it back to the bot, close it.
 */
export function registerInboxCommands(program: Command, ctx: CliContext): void {
  const { getCore, print } = ctx;
  const inbox = verb(program, 'inbox', "a tenant's conversations: read them, take over, reply, hand back");
  const host = (v: string | undefined): string | undefined =>
    v === undefined ? undefined : parseArg(HostNameSchema, v, '--host');
  /** A change names its host: --host, else the one whose agent has the tenant (no conversation is read). */
  const hostOf = async (tenant: string, given: string | undefined): Promise<string> =>
    given !== undefined
      ? parseArg(HostNameSchema, given, '--host')
      : (await getCore().call('health.tenant', { slug: tenant })).host;

  verb(inbox, 'list <tenant>', 'conversations, newest first')
    .option('--status <status>', 'active, escalated or closed')
    .option('--channel <channel>', 'whatsapp, instagram, telegram or web')
    .option('--search <text>', 'part of a phone number or a name')
    .option('--limit <n>', 'how many (1-200)', '50')
    .option('--host <name>', 'the tenant’s host (default: the one that has it)')
    .action(
      async (
        tenantArg: string,
        o: { status?: string; channel?: string; search?: string; limit: string; host?: string },
      ) => {
        const list = await getCore().call('inbox.list', {
          tenant: parseArg(SlugSchema, tenantArg, 'TENANT'),
          ...(o.status ? { status: parseArg(ConversationStatusSchema, o.status, '--status') } : {}),
          ...(o.channel ? { channel: parseArg(ChannelSchema, o.channel, '--channel') } : {}),
          ...(o.search ? { q: o.search } : {}),
          limit: Number(o.limit),
          ...(o.host ? { host: host(o.host) } : {}),
        });
        print(listText(list), list);
      },
    );

  verb(inbox, 'show <tenant> <id>', "a conversation's messages, oldest first")
    .option('--host <name>', 'the tenant’s host')
    .action(async (tenantArg: string, id: string, o: { host?: string }) => {
      const m = await getCore().call('inbox.messages', {
        tenant: parseArg(SlugSchema, tenantArg, 'TENANT'),
        id,
        ...(o.host ? { host: host(o.host) } : {}),
      });
      print(messagesText(m), m);
    });

  const change = async (
    command: 'inbox.takeOver' | 'inbox.handBack' | 'inbox.close',
    tenantArg: string,
    id: string,
    o: { host?: string },
  ): Promise<void> => {
    const tenant = parseArg(SlugSchema, tenantArg, 'TENANT');
    const r = await getCore().call(command, { host: await hostOf(tenant, o.host), tenant, id });
    print(`Conversation ${r.id} is now ${r.status}.`, r);
  };
  for (const [name, command, about] of [
    ['take-over', 'inbox.takeOver', 'an operator answers it; the bot stays silent'],
    ['hand-back', 'inbox.handBack', 'the bot answers it again'],
    ['close', 'inbox.close', 'close it (the customer’s next message opens a new one)'],
  ] as const)
    verb(inbox, `${name} <tenant> <id>`, about)
      .option('--host <name>', 'the tenant’s host')
      .action((tenantArg: string, id: string, o: { host?: string }) => change(command, tenantArg, id, o));

  verb(inbox, 'reply <tenant> <id> <text>', 'answer as the operator, through the conversation’s channel')
    .option('--host <name>', 'the tenant’s host')
    .action(async (tenantArg: string, id: string, text: string, o: { host?: string }) => {
      const tenant = parseArg(SlugSchema, tenantArg, 'TENANT');
      if (!text.trim())
        throw new UsageError('usage.invalid', 'The reply is empty.', 'Give the text to send.');
      const r = await getCore().call('inbox.reply', { host: await hostOf(tenant, o.host), tenant, id, text });
      print(
        `Sent (${r.delivery?.status ?? 'stored'}); the conversation is ${r.conversation_status ?? 'escalated'}.`,
        r,
      );
    });
}

function listText(l: InboxList): string {
  if (l.items.length === 0) return `${l.tenant} on ${l.host}: no conversations match.`;
  return `${l.tenant} on ${l.host}: ${l.items.length} of ${l.total}\n${table([
    ['ID', 'STATUS', 'CHANNEL', 'CUSTOMER', 'MESSAGES', 'LAST', 'OPERATOR'],
    ...l.items.map((c) => [
      c.id,
      c.status,
      c.channel,
      `${c.customer.name ?? ''} ${c.customer.phone}`.trim(),
      String(c.message_count),
      c.last_message_at ?? c.created_at,
      c.assigned_to ?? '',
    ]),
  ])}`;
}

function messagesText(m: InboxMessages): string {
  return m.items
    .map(
      (x) =>
        `${x.created_at}  ${x.sender_type.padEnd(8)}  ${(x.content ?? '(no text)').replace(/\s+/g, ' ')}`,
    )
    .join('\n');
}
