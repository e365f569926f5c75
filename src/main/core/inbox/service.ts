/**
 * The conversations inbox (issue 17): each tenant's conversations through its host's agent, which
 * asks the tenant's own admin API (src/agent/inboxDoor.ts). Reads go to support too (through the
 * support door, recorded there); taking over, replying, handing back and closing are operators'.
 */
import type { z } from 'zod';
import type { InboxList, InboxMessages, InboxPending } from '../../../shared/contract';
import { InboxConversationSchema, InboxMessageSchema, InboxPendingSchema } from '../../../shared/contract';
import { auditActor } from '../audit/trail';
import { CoreError, toErrorInfo } from '../errors';
import type { AgentRequester } from '../health/client';
import { outdatedAgent } from '../health/outdated';

export interface InboxDeps {
  client(host: string): Promise<AgentRequester>;
  hostNames(): Promise<string[]>;
  /** The host a tenant is on (the one named, or the only one that has it). */
  locate(slug: string, host?: string): Promise<string>;
  /** Who the tenant's own audit log names for an operator's change (the host's trail names the key). */
  actor?: () => string;
}

type Status = 'active' | 'escalated' | 'closed';

export class InboxService {
  private readonly actor: () => string;

  constructor(private readonly deps: InboxDeps) {
    this.actor = deps.actor ?? auditActor;
  }

  private async call(host: string, method: string, params: Record<string, unknown>): Promise<unknown> {
    const c = await this.deps.client(host);
    try {
      return await c.request(method as never, params as never, 30_000);
    } catch (err) {
      const outdated = outdatedAgent(err, 'inbox', host, 'conversations', method);
      if (outdated) throw outdated;
      const e = toErrorInfo(err);
      if (e.code === 'agent.conflict')
        throw new CoreError(
          'inbox.closed',
          'The conversation is closed: a reply cannot be sent in it.',
          'The customer’s next message opens a new conversation; answer there.',
        );
      if (e.code === 'agent.not-found')
        throw new CoreError('inbox.not-found', e.message, 'Refresh the list: it may have been deleted.');
      throw err;
    }
  }

  async pending(): Promise<InboxPending> {
    const hosts = await this.deps.hostNames();
    return {
      hosts: await Promise.all(
        hosts.map(async (host) => {
          try {
            const r = (await this.call(host, 'inbox.pending', {})) as { tenants?: unknown };
            const tenants = InboxPendingSchema.shape.hosts.element.shape.tenants.safeParse(r.tenants);
            if (!tenants.success)
              return { host, tenants: [], error: 'The agent answered something unreadable.' };
            return { host, tenants: tenants.data, error: null };
          } catch (err) {
            return { host, tenants: [], error: toErrorInfo(err).message };
          }
        }),
      ),
    };
  }

  async list(i: {
    host?: string | undefined;
    tenant: string;
    status?: Status | undefined;
    channel?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    q?: string | undefined;
    limit: number;
    offset: number;
  }): Promise<InboxList> {
    const host = await this.deps.locate(i.tenant, i.host);
    const { host: _h, ...params } = i;
    const raw = (await this.call(host, 'inbox.list', { ...params, by: this.actor() })) as {
      total?: unknown;
      items?: unknown;
    };
    const items = checkedArray(InboxConversationSchema, raw.items, host, 'inbox.list');
    return { host, tenant: i.tenant, total: typeof raw.total === 'number' ? raw.total : items.length, items };
  }

  async messages(i: {
    host?: string | undefined;
    tenant: string;
    id: string;
    before?: string | undefined;
    limit: number;
  }): Promise<InboxMessages> {
    const host = await this.deps.locate(i.tenant, i.host);
    const { host: _h, ...params } = i;
    const raw = (await this.call(host, 'inbox.messages', { ...params, by: this.actor() })) as {
      items?: unknown;
      has_more?: unknown;
    } | null;
    if (!raw)
      throw new CoreError(
        'inbox.not-found',
        `Tenant '${i.tenant}' has no such conversation.`,
        'Refresh the list.',
      );
    return {
      host,
      tenant: i.tenant,
      id: i.id,
      hasMore: raw.has_more === true,
      items: checkedArray(InboxMessageSchema, raw.items, host, 'inbox.messages'),
    };
  }

  async setStatus(
    i: { host?: string | undefined; tenant: string; id: string },
    status: Status,
  ): Promise<{ id: string; status: Status }> {
    const host = await this.deps.locate(i.tenant, i.host);
    const r = (await this.call(host, 'inbox.status', {
      tenant: i.tenant,
      id: i.id,
      status,
      by: this.actor(),
    })) as {
      id?: string;
      status?: Status;
    };
    return { ...r, id: r.id ?? i.id, status: r.status ?? status };
  }

  async reply(i: { host?: string | undefined; tenant: string; id: string; text: string }): Promise<{
    message_id: string | null;
    conversation_status: string | null;
    delivery: { status: string } | null;
  }> {
    const host = await this.deps.locate(i.tenant, i.host);
    const params = { tenant: i.tenant, id: i.id, text: i.text, by: this.actor() };
    const r = (await this.call(host, 'inbox.reply', params)) as {
      message_id?: string;
      conversation_status?: string;
      delivery?: { status: string };
    };
    return {
      ...r,
      message_id: r.message_id ?? null,
      conversation_status: r.conversation_status ?? null,
      delivery: r.delivery ?? null,
    };
  }
}

function checkedArray<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  host: string,
  what: string,
): Array<z.output<S>> {
  const r = schema.array().safeParse(raw);
  if (r.success) return r.data;
  throw new CoreError(
    'inbox.protocol',
    `The agent on '${host}' answered "${what}" with something this console cannot read: ${r.error.message.slice(0, 300)}`,
    `Update the agent (\`truffles agent install ${host}\`) and the tenant's modules.`,
  );
}
