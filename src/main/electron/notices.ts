import type { AppEvent } from '../../shared/contract';

/** Notices shown one by one; past this, one line says how many came at once. */
const AT_ONCE = 3;

export interface DesktopNotice {
  title: string;
  body: string;
  silent?: boolean;
}

/**
 * What to show for an event: a host key changed or a host unreachable; an alert that fired or
 * escalated on a host (its agent sends Telegram itself: this is only the open console's own
 * notice, silent for warnings as Telegram's are); the console's own rule, a host it has not
 * reached for minutes. Repeats and resolves are not shown.
 */
export function notificationsFor(event: AppEvent): DesktopNotice[] {
  if (event.type === 'status' && (event.status === 'key-changed' || event.status === 'unreachable'))
    return [
      event.status === 'key-changed'
        ? {
            title: `Host key changed: ${event.subject.name}`,
            body: 'The console refused to connect. Verify the host before trusting a new key.',
          }
        : { title: `Host unreachable: ${event.subject.name}`, body: 'The console could not reach the host.' },
    ];
  if (event.type !== 'alerts.changed') return [];
  const out: DesktopNotice[] = [];
  if (event.unreachable)
    out.push({
      title: `Host unreachable for ${event.unreachable.minutes} min: ${event.host}`,
      body: `The console cannot follow its agent, so its alerts cannot reach this screen: ${event.unreachable.error.message}`,
    });
  const shown = (event.notices ?? []).filter((n) => n.type === 'fire' || n.type === 'escalate');
  if (shown.length > AT_ONCE)
    out.push({
      title: `${shown.length} alerts on ${event.host}`,
      body: [...new Set(shown.map((n) => n.alert.ruleId))].join(', '),
      silent: shown.every((n) => n.silent),
    });
  else
    for (const n of shown)
      out.push({
        title: `${n.type === 'escalate' ? 'Now critical' : n.alert.severity === 'critical' ? 'Critical' : 'Warning'} on ${event.host}: ${n.alert.ruleId}`,
        body: `${n.alert.subjectKey || 'the host'} (#a${n.alert.id})`,
        silent: n.silent,
      });
  return out;
}
