/**
 * A personal-data request's state (issue 17): the customer it is about, what the tenant holds
 * about them (the preview), the export and the erasure. Actions never throw: each keeps its error.
 */
import { create } from 'zustand';
import type { CommandOutput, ErrorInfo } from '../../../../shared/contract';
import { call, toErrorInfo } from '../../api';

export type Finding = CommandOutput<'privacy.find'>;
export type Erasure = CommandOutput<'privacy.erase'>;

export interface PrivacySubject {
  host: string;
  tenant: string;
  phone: string;
  name: string | null;
}

export interface PrivacyState {
  subject: PrivacySubject | null;
  finding: Finding | null;
  erasure: Erasure | null;
  /** The export's file name once downloaded. */
  exported: string | null;
  error: ErrorInfo | null;
  busy: '' | 'find' | 'export' | 'erase';
  open(s: PrivacySubject): Promise<void>;
  close(): void;
  /** The export's JSON, downloaded by the screen; null when it failed. */
  exportData(): Promise<{ fileName: string; json: string } | null>;
  erase(confirm: string): Promise<boolean>;
}

export const usePrivacy = create<PrivacyState>()((set, get) => ({
  subject: null,
  finding: null,
  erasure: null,
  exported: null,
  error: null,
  busy: '',
  async open(subject) {
    set({ subject, finding: null, erasure: null, exported: null, error: null, busy: 'find' });
    try {
      const finding = await call('privacy.find', {
        host: subject.host,
        tenant: subject.tenant,
        phone: subject.phone,
      });
      if (get().subject === subject) set({ finding });
    } catch (err) {
      if (get().subject === subject) set({ error: toErrorInfo(err) });
    } finally {
      if (get().subject === subject) set({ busy: '' });
    }
  },
  close() {
    set({ subject: null, finding: null, erasure: null, exported: null, error: null, busy: '' });
  },
  async exportData() {
    const s = get().subject;
    if (!s) return null;
    set({ busy: 'export', error: null });
    try {
      const r = await call('privacy.export', { host: s.host, tenant: s.tenant, phone: s.phone });
      set({ exported: r.fileName, finding: r.finding });
      return { fileName: r.fileName, json: r.json };
    } catch (err) {
      set({ error: toErrorInfo(err) });
      return null;
    } finally {
      set({ busy: '' });
    }
  },
  async erase(confirm) {
    const s = get().subject;
    if (!s) return false;
    set({ busy: 'erase', error: null });
    try {
      const erasure = await call('privacy.erase', {
        host: s.host,
        tenant: s.tenant,
        phone: s.phone,
        confirm,
      });
      set({ erasure });
      return true;
    } catch (err) {
      set({ error: toErrorInfo(err) });
      return false;
    } finally {
      set({ busy: '' });
    }
  },
}));
