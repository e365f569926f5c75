/**
 * A support console (issue 17): every SSH host of the inventory is reached with a support key, so
 * each host lets this console through its read-only support door alone. The interface then shows
 * what support may do and says why the rest is missing; the hosts enforce it whatever this says.
 */
import type { HostView } from '../../../shared/contract';
import { ROUTES } from '../features/routes';
import type { ScreenName } from '../features/routes';
import { useConsole } from './store';

export function isSupportConsole(hosts: readonly HostView[]): boolean {
  const ssh = hosts.filter((h) => h.kind === 'ssh');
  return ssh.length > 0 && ssh.every((h) => h.role === 'support');
}

export function useSupportConsole(): boolean {
  return useConsole((s) => isSupportConsole(s.hosts));
}

/** Whether a support console may use a section. */
export function supportMay(screen: ScreenName): boolean {
  return ROUTES.find((r) => r.screen === screen)?.support ?? false;
}
