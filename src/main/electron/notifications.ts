import { Notification } from 'electron';
import type { AppEvent } from '../../shared/contract';
import { notificationsFor } from './notices';

/** Desktop notifications for events an operator should see even with the window hidden. */
export function notifyOn(event: AppEvent): void {
  if (!Notification.isSupported()) return;
  for (const n of notificationsFor(event)) new Notification(n).show();
}
