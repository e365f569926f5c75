import { Notification } from 'electron';
import type { AppEvent } from '../../shared/contract';

/** Desktop notifications for events an operator should see even with the window hidden. */
export function notifyOn(event: AppEvent): void {
  if (!Notification.isSupported()) return;
  if (event.type === 'status' && (event.status === 'key-changed' || event.status === 'unreachable')) {
    new Notification({
      title:
        event.status === 'key-changed'
          ? `Host key changed: ${event.subject.name}`
          : `Host unreachable: ${event.subject.name}`,
      body:
        event.status === 'key-changed'
          ? 'The console refused to connect. Verify the host before trusting a new key.'
          : 'The console could not reach the host.',
    }).show();
  }
}
