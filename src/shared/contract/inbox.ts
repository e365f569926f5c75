/**
 * The conversations inbox (issue 17, the spec's phase 5): each tenant's conversations as its own
 * admin API returns them (through the host's agent), and an operator taking one over, replying
 * through its channel, handing it back to the bot and closing it.
 */
import { z } from 'zod';
import { defineSlice, HostNameSchema } from './kernel';
import { SlugSchema } from './tenants';

export const ConversationStatusSchema = z.enum(['active', 'escalated', 'closed']);
export const ChannelSchema = z.enum(['whatsapp', 'instagram', 'telegram', 'web']);

export const InboxConversationSchema = z
  .object({
    id: z.string(),
    channel: z.string(),
    status: ConversationStatusSchema,
    /** The operator handling it (when escalated). */
    assigned_to: z.string().nullable(),
    last_message_at: z.string().nullable(),
    created_at: z.string(),
    customer: z.object({ id: z.string(), phone: z.string(), name: z.string().nullable() }),
    message_count: z.number(),
    last_message: z
      .object({
        content: z.string().nullable(),
        direction: z.string(),
        sender_type: z.string(),
        created_at: z.string(),
      })
      .nullable(),
  })
  .passthrough();
export type InboxConversation = z.infer<typeof InboxConversationSchema>;

export const InboxListSchema = z
  .object({
    host: z.string(),
    tenant: z.string(),
    total: z.number(),
    items: z.array(InboxConversationSchema),
  })
  .passthrough();
export type InboxList = z.infer<typeof InboxListSchema>;

export const InboxMessageSchema = z
  .object({
    id: z.string(),
    direction: z.string(),
    /** customer, bot or operator. */
    sender_type: z.string(),
    content: z.string().nullable(),
    created_at: z.string(),
  })
  .passthrough();
export type InboxMessage = z.infer<typeof InboxMessageSchema>;

export const InboxMessagesSchema = z
  .object({
    host: z.string(),
    tenant: z.string(),
    id: z.string(),
    hasMore: z.boolean(),
    items: z.array(InboxMessageSchema),
  })
  .passthrough();
export type InboxMessages = z.infer<typeof InboxMessagesSchema>;

const Target = { host: HostNameSchema.optional(), tenant: SlugSchema };
/** A change names its host: its records go to that host's trail. */
const Change = { host: HostNameSchema, tenant: SlugSchema };
const ConversationId = z.string().max(36).uuid('A conversation id is a UUID.');

export const InboxPendingSchema = z.object({
  /** Every host's tenants, or why a host did not answer. */
  hosts: z.array(
    z.object({
      host: z.string(),
      tenants: z.array(
        z.object({
          tenant: z.string(),
          escalated: z.number(),
          conversations: z.number(),
          lastMessageAt: z.string().nullable(),
          error: z.string().optional(),
        }),
      ),
      error: z.string().nullable(),
    }),
  ),
});
export type InboxPending = z.infer<typeof InboxPendingSchema>;

export const inboxSlice = defineSlice('inbox', {
  /**
   * Per tenant of every host: conversations waiting for an operator, their number and the last
   * message's time. No one's data (read from the agents, not written to any audit log): what the
   * sidebar's count and the Inbox's live refresh ask every few seconds.
   */
  'inbox.pending': { effect: 'read', input: z.object({}).strict(), output: InboxPendingSchema },
  /** A tenant's conversations, newest first, filtered. */
  'inbox.list': {
    effect: 'read',
    input: z
      .object({
        ...Target,
        status: ConversationStatusSchema.optional(),
        channel: ChannelSchema.optional(),
        from: z.string().max(40).optional(),
        to: z.string().max(40).optional(),
        /** Part of a phone number or a name. */
        q: z.string().max(100).optional(),
        limit: z.number().int().min(1).max(200).default(50),
        offset: z.number().int().min(0).default(0),
      })
      .strict(),
    output: InboxListSchema,
  },
  /** A conversation's messages, oldest first (the latest `limit` before `before`). */
  'inbox.messages': {
    effect: 'read',
    input: z
      .object({
        ...Target,
        id: ConversationId,
        before: z.string().max(40).optional(),
        limit: z.number().int().min(1).max(500).default(100),
      })
      .strict(),
    output: InboxMessagesSchema,
  },
  /** An operator takes the conversation over: the bot stays silent in it until it is handed back. */
  'inbox.takeOver': {
    effect: 'write',
    input: z.object({ ...Change, id: ConversationId }).strict(),
    output: z.object({ id: z.string(), status: ConversationStatusSchema }).passthrough(),
  },
  /** The operator's reply, sent through the conversation's channel (taking it over if the bot had it). */
  'inbox.reply': {
    effect: 'write',
    input: z
      .object({
        ...Change,
        id: ConversationId,
        text: z.string().trim().min(1, 'Write the reply.').max(4096, 'A reply is at most 4096 characters.'),
      })
      .strict(),
    output: z
      .object({
        message_id: z.string().nullable(),
        conversation_status: z.string().nullable(),
        delivery: z.object({ status: z.string() }).passthrough().nullable(),
      })
      .passthrough(),
  },
  /** The bot answers the conversation again. */
  'inbox.handBack': {
    effect: 'write',
    input: z.object({ ...Change, id: ConversationId }).strict(),
    output: z.object({ id: z.string(), status: ConversationStatusSchema }).passthrough(),
  },
  'inbox.close': {
    effect: 'write',
    input: z.object({ ...Change, id: ConversationId }).strict(),
    output: z.object({ id: z.string(), status: ConversationStatusSchema }).passthrough(),
  },
});
