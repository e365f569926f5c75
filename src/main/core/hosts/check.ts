import { performance } from 'node:perf_hooks';
import type { ErrorInfo, HostCheck, HostFacts, Problem } from '../../../shared/contract';
import type { HostRecord } from '../store/schema';
import { toErrorInfo } from '../errors';
import { noopCommand } from './commands';
import { gatherFacts } from './facts';
import type { HostDeps } from './records';
import { openSupportDoor } from './door';

/**
 * Check a host: a round trip, its facts judged, the result cached on its record and announced
 * (`status`). A failure is a result too, never an error.
 */
export async function checkHost(d: HostDeps, name: string): Promise<HostCheck> {
  const host = await d.get(name);
  const checkedAt = new Date().toISOString();
  let result: HostCheck;
  try {
    const transport = await d.transport(name);
    const t0 = performance.now();
    if (host.role === 'support') {
      // The support account runs nothing but its door: the check is the door's greeting.
      (await openSupportDoor(transport, name)).close();
      const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
      result = passedCheck(name, host.kind, checkedAt, latencyMs, null, []);
    } else {
      await transport.exec(noopCommand(), { timeoutMs: 15_000 });
      const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
      const { facts, problems } = await gatherFacts(transport, host.user, host.dockerSocket, host.stateDir);
      result = passedCheck(name, host.kind, checkedAt, latencyMs, facts, problems);
    }
  } catch (err) {
    result = failedCheck(name, host.kind, checkedAt, toErrorInfo(err));
  }
  await d.store
    .update((data) => {
      const h = data.hosts.find((x) => x.name === name);
      if (h) h.lastCheck = result;
    })
    .catch(() => undefined);
  d.emit({ type: 'status', subject: { kind: 'host', name }, status: result.status, at: checkedAt });
  return result;
}

/** A check that reached the host: its status is its worst problem's. */
export function passedCheck(
  name: string,
  kind: HostRecord['kind'],
  checkedAt: string,
  latencyMs: number,
  facts: HostFacts | null,
  problems: Problem[],
): HostCheck {
  const status = problems.some((p) => p.severity === 'error')
    ? 'error'
    : problems.length > 0
      ? 'warning'
      : 'ok';
  return {
    host: name,
    checkedAt,
    status,
    latencyMs,
    keyStatus: kind === 'ssh' ? 'ok' : 'not-applicable',
    facts,
    problems,
    error: null,
  };
}

/** A check that did not get through: a changed or unconfirmed key, an unreachable host, or else an error. */
export function failedCheck(
  name: string,
  kind: HostRecord['kind'],
  checkedAt: string,
  info: ErrorInfo,
): HostCheck {
  const keyChanged = info.code === 'hostkey.changed';
  const unconfirmed = info.code === 'hostkey.unpinned';
  const unreachable = /^ssh\.(refused|dns|unreachable|timeout|reset|closed)$/.test(info.code);
  return {
    host: name,
    checkedAt,
    status: keyChanged
      ? 'key-changed'
      : unconfirmed
        ? 'key-unconfirmed'
        : unreachable
          ? 'unreachable'
          : 'error',
    latencyMs: null,
    keyStatus: keyChanged
      ? 'changed'
      : unconfirmed
        ? 'unconfirmed'
        : kind === 'ssh'
          ? 'ok'
          : 'not-applicable',
    facts: null,
    problems: [],
    error: info,
  };
}
