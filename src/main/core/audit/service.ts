import type { AuditVerify } from '../../../shared/contract/audit';
import type { HostService } from '../hosts/service';
import type { Store } from '../store/store';
import { ChainVerifier, keepCheckpoints, type Checkpoint } from './chain';
import { auditPageCommand } from './commands';
import type { AuditHead } from './trail';
import { AUDIT_TRAIL } from './trail';
import { CoreError } from '../errors';

/** Lines read per round trip while verifying (a page of a few MB at most). */
const PAGE_LINES = 5000;

/**
 * The audit trail's console side: checkpoints of each host's chain kept in the console's store
 * (off the host), and verification of the whole chain against them.
 */
export class AuditService {
  constructor(private readonly deps: { store: Store; hosts: HostService; now?: () => Date }) {}

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  /** Keep `head` of `host`'s chain as a checkpoint (never throws: a checkpoint is a bonus, not the record). */
  async checkpoint(host: string, head: AuditHead): Promise<void> {
    if (head.seq <= 0) return;
    const at = this.now();
    await this.deps.store
      .update((d) => {
        d.auditCheckpoints[host] = keepCheckpoints([...(d.auditCheckpoints[host] ?? []), { ...head, at }]);
      })
      .catch(() => undefined);
  }

  async checkpoints(host: string): Promise<Checkpoint[]> {
    return (await this.deps.store.read()).auditCheckpoints[host] ?? [];
  }

  async verify(name: string): Promise<AuditVerify> {
    const host = await this.deps.hosts.get(name);
    const transport = await this.deps.hosts.transport(name);
    const kept = await this.checkpoints(name);
    const v = new ChainVerifier(kept);
    for (let from = 1; ; from += PAGE_LINES) {
      const r = await transport.exec(auditPageCommand(host.stateDir, from, PAGE_LINES), {
        timeoutMs: 60_000,
      });
      if (r.code !== 0)
        throw new CoreError(
          'audit.unreadable',
          `The audit trail on ${name} cannot be read (${r.stderr.trim() || `exit ${String(r.code)}`}).`,
          `Check that ${host.stateDir}/${AUDIT_TRAIL} is readable by the SSH user.`,
        );
      if (r.stdoutTruncated)
        throw new CoreError(
          'audit.too-large',
          `A page of ${PAGE_LINES} lines of the audit trail on ${name} is larger than a read may be.`,
          'The trail holds lines far longer than its writer makes: run the verification after looking at the file.',
        );
      const text = r.stdout;
      if (text === '') break;
      const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
      if (!v.push(lines) || lines.length < PAGE_LINES) break;
    }
    const report = v.end();
    if (report.ok && report.head) await this.checkpoint(name, report.head);
    return {
      host: name,
      ...report,
      checkpoints: kept.length,
      verifiedAt: this.now(),
    };
  }
}
