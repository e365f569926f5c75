import type { HostTransport } from '../../src/main/core/hosts/transport';

/**
 * The last `n` lines of a host's audit trail (`<stateDir>/audit/trail.jsonl`), read on the host with
 * `tail`: a test host's trail grows with every run and soon outgrows what one exec keeps whole.
 */
export async function trailTail(t: HostTransport, stateDir: string, n = 5000): Promise<string[]> {
  const r = await t.exec(['tail', '-n', String(n), '--', `${stateDir}/audit/trail.jsonl`], {
    timeoutMs: 60_000,
  });
  if (r.code !== 0) throw new Error(`tail of the audit trail failed: ${r.stderr.trim()}`);
  return r.stdout.split('\n').filter(Boolean);
}
