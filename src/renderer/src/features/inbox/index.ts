import { InboxScreen } from './InboxScreen';

export { InboxNavBadge } from './InboxBadge';

/** The feature's public entry: the screen each of its routes shows. */
export const inboxScreens = {
  inbox: InboxScreen,
};
