/** The audit part of the console's store: the trails read in this session and the host shown. */
import type { AuditEntry, AuditVerify } from '../../../../shared/contract';
import { call } from '../../api';
import type { SliceContext } from '../../app/store';

export interface AuditLog {
  entries: AuditEntry[];
  loadedAt: string;
}

export interface AuditState {
  /** Audit trails read in this session, by host name. */
  audit: Record<string, AuditLog>;
  auditHost: string | null;
  /** The last verification of each host's chain in this session. */
  auditVerify: Record<string, AuditVerify>;

  selectAuditHost(name: string | null): void;
  loadAudit(name: string): Promise<void>;
  verifyAudit(name: string): Promise<void>;
}

export function auditSlice({ set, get, setBusy }: SliceContext): AuditState {
  return {
    audit: {},
    auditHost: null,
    auditVerify: {},

    selectAuditHost(name) {
      const error = get().error;
      set({ auditHost: name, error: error?.scope === 'audit' ? null : error });
    },

    async loadAudit(name) {
      const key = `audit:${name}`;
      if (get().busy[key]) return;
      setBusy(key, true);
      const error = get().error;
      if (error?.scope === 'audit') set({ error: null });
      try {
        const entries = await call('hosts.audit', { name, limit: 200 });
        set((s) => ({ audit: { ...s.audit, [name]: { entries, loadedAt: new Date().toISOString() } } }));
      } catch (err) {
        // Only if the operator is still looking at this host's trail.
        if (get().auditHost === name) get().showError('audit', err);
      } finally {
        setBusy(key, false);
      }
    },

    async verifyAudit(name) {
      const key = `auditVerify:${name}`;
      if (get().busy[key]) return;
      setBusy(key, true);
      try {
        const r = await call('audit.verify', { host: name });
        set((s) => ({ auditVerify: { ...s.auditVerify, [name]: r } }));
      } catch (err) {
        if (get().auditHost === name) get().showError('audit', err);
      } finally {
        setBusy(key, false);
      }
    },
  };
}
