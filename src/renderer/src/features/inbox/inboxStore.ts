/**
 * The Inbox screen's state (issue 17): the tenants there are (from the hosts' agents, so a support
 * console has them too), the one chosen, the filters, its conversations, the one open with its
 * messages, and the operator's actions on it (take over, reply, hand back, close). Actions never
 * throw: each part keeps its own error for the screen to show.
 */
import { create } from 'zustand';
import type { CommandOutput, ErrorInfo } from '../../../../shared/contract';
import { call, toErrorInfo } from '../../api';

export type InboxList = CommandOutput<'inbox.list'>;
export type Conversation = InboxList['items'][number];
export type Messages = CommandOutput<'inbox.messages'>;
export type StatusFilter = '' | 'active' | 'escalated' | 'closed';
export type Action = 'takeOver' | 'handBack' | 'close' | 'reply';

export interface TenantRef {
  host: string;
  tenant: string;
}

export interface InboxState {
  tenants: TenantRef[];
  tenantsError: ErrorInfo | null;
  chosen: TenantRef | null;
  status: StatusFilter;
  channel: string;
  q: string;
  list: InboxList | null;
  listError: ErrorInfo | null;
  openId: string | null;
  messages: Messages | null;
  messagesError: ErrorInfo | null;
  actionError: ErrorInfo | null;
  busy: Record<string, boolean>;
  /** Conversations waiting for an operator, over every tenant the agents know (null: not read yet). */
  escalated: number | null;
  /** Per tenant (`host/tenant`): what changes when its conversations do (counts, the last message's time). */
  signatures: Record<string, string>;
  loadTenants(): Promise<void>;
  /**
   * Every host's tenants with their waiting conversations (`inbox.pending`: no one's data, nothing
   * written to any audit log): the sidebar's count, the tenant list, and a new read of the chosen
   * tenant's conversations when they changed.
   */
  refreshPending(): Promise<number | null>;
  choose(t: TenantRef | null): void;
  setFilter(f: Partial<Pick<InboxState, 'status' | 'channel' | 'q'>>): void;
  loadList(quiet?: boolean): Promise<void>;
  open(id: string | null): void;
  loadMessages(quiet?: boolean): Promise<void>;
  act(action: Action, text?: string): Promise<boolean>;
}

const key = (t: TenantRef): string => `${t.host}/${t.tenant}`;

export const useInbox = create<InboxState>()((set, get) => {
  const busy = (name: string, on: boolean): void => set((s) => ({ busy: { ...s.busy, [name]: on } }));
  return {
    tenants: [],
    tenantsError: null,
    chosen: null,
    status: '',
    channel: '',
    q: '',
    list: null,
    listError: null,
    openId: null,
    messages: null,
    messagesError: null,
    actionError: null,
    busy: {},
    escalated: null,
    signatures: {},

    async refreshPending() {
      try {
        const pending = await call('inbox.pending', {});
        const tenants: TenantRef[] = [];
        let escalated = 0;
        const signatures: Record<string, string> = {};
        for (const h of pending.hosts)
          for (const x of h.tenants) {
            tenants.push({ host: h.host, tenant: x.tenant });
            escalated += x.escalated;
            signatures[key({ host: h.host, tenant: x.tenant })] =
              `${x.escalated}|${x.conversations}|${x.lastMessageAt ?? ''}`;
          }
        tenants.sort((a, b) => key(a).localeCompare(key(b)));
        const before = get();
        set({ escalated, tenants, tenantsError: null, signatures });
        // The chosen tenant's conversations changed (a message came, one was taken over): read them again.
        const chosen = before.chosen;
        if (chosen) {
          const k = key(chosen);
          if (before.signatures[k] !== undefined && before.signatures[k] !== signatures[k]) {
            void get().loadList(true);
            void get().loadMessages(true);
          }
        }
        if (!chosen || !tenants.some((t) => key(t) === key(chosen))) get().choose(tenants[0] ?? null);
        return escalated;
      } catch (err) {
        set({ tenantsError: toErrorInfo(err) });
        return null;
      }
    },

    async loadTenants() {
      busy('tenants', true);
      await get().refreshPending();
      busy('tenants', false);
    },

    choose(t) {
      set({ chosen: t, list: null, listError: null, openId: null, messages: null, actionError: null });
      if (t) void get().loadList();
    },

    setFilter(f) {
      set(f);
      void get().loadList();
    },

    async loadList(quiet = false) {
      const { chosen, status, channel, q } = get();
      if (!chosen) return;
      if (!quiet) busy('list', true);
      try {
        const list = await call('inbox.list', {
          host: chosen.host,
          tenant: chosen.tenant,
          ...(status ? { status } : {}),
          ...(channel ? { channel: channel as 'web' } : {}),
          ...(q.trim() ? { q: q.trim() } : {}),
          limit: 100,
        });
        if (key(get().chosen ?? { host: '', tenant: '' }) === key(chosen)) set({ list, listError: null });
      } catch (err) {
        set({ listError: toErrorInfo(err) });
      } finally {
        if (!quiet) busy('list', false);
      }
    },

    open(id) {
      set({ openId: id, messages: null, messagesError: null, actionError: null });
      if (id) void get().loadMessages();
    },

    async loadMessages(quiet = false) {
      const { chosen, openId } = get();
      if (!chosen || !openId) return;
      if (!quiet) busy('messages', true);
      try {
        const messages = await call('inbox.messages', {
          host: chosen.host,
          tenant: chosen.tenant,
          id: openId,
          limit: 200,
        });
        if (get().openId === openId) set({ messages, messagesError: null });
      } catch (err) {
        set({ messagesError: toErrorInfo(err) });
      } finally {
        if (!quiet) busy('messages', false);
      }
    },

    async act(action, text) {
      const { chosen, openId } = get();
      if (!chosen || !openId) return false;
      const target = { host: chosen.host, tenant: chosen.tenant, id: openId };
      busy(action, true);
      set({ actionError: null });
      try {
        if (action === 'reply') await call('inbox.reply', { ...target, text: text ?? '' });
        else if (action === 'takeOver') await call('inbox.takeOver', target);
        else if (action === 'handBack') await call('inbox.handBack', target);
        else await call('inbox.close', target);
        await Promise.all([get().loadList(true), get().loadMessages(true)]);
        return true;
      } catch (err) {
        set({ actionError: toErrorInfo(err) });
        return false;
      } finally {
        busy(action, false);
      }
    },
  };
});
