/**
 * From the engine's notices to the delivery queue's messages: one per Telegram destination of the
 * config, in that destination's language, each with a stable id (`<notice id>><destination>`) so
 * the queue takes a notice offered again after a crash only once. The order the agent keeps:
 *
 *   evaluate → queue.enqueue(messagesFor(each notice)) (journaled, fsync'd) → save the state.
 *
 * A crash between the two saves makes the engine give the same notices again (same ids): the
 * queue drops them. Saving the state first would lose them instead.
 */
import type {
  AlertLanguage,
  AlertNotice,
  AlertsConfig,
  TelegramDestination,
} from '../../shared/agent/alerts';
import type { Destination, QueueInput } from './queue';
import { destKey } from './queue';
import { renderDigest, renderNotice, renderTest } from './templates';

const toDest = (d: TelegramDestination): Destination =>
  d.threadId !== undefined ? { chatId: d.chatId, threadId: d.threadId } : { chatId: d.chatId };

function languageOf(config: AlertsConfig, dest: Destination): AlertLanguage {
  const d = (config.telegram ?? []).find((t) => destKey(toDest(t)) === destKey(dest));
  return d?.language ?? config.language ?? 'en';
}

/** The queue's messages for one notice. */
export function messagesFor(notice: AlertNotice, config: AlertsConfig): QueueInput[] {
  return (config.telegram ?? []).map((t) => {
    const dest = toDest(t);
    const m = renderNotice(notice, {
      language: t.language ?? config.language ?? 'en',
      timeZone: config.timeZone ?? 'UTC',
    });
    return {
      id: `${notice.id}>${destKey(dest)}`,
      dest,
      host: notice.host,
      text: m.text,
      silent: m.silent,
      summary: m.summary,
    };
  });
}

/** `truffles alerts test HOST`: one test message per destination (never put in a digest). */
export function testMessages(config: AlertsConfig, at: number): QueueInput[] {
  return (config.telegram ?? []).map((t) => {
    const dest = toDest(t);
    const text = renderTest(config.host, at, {
      language: t.language ?? config.language ?? 'en',
      timeZone: config.timeZone ?? 'UTC',
    });
    return { id: `${config.host}/test/${at}>${destKey(dest)}`, dest, host: config.host, text, silent: false };
  });
}

/** The queue's `renderDigest` for this config (or the current one, given a function): each destination in its language. */
export function digestRenderer(
  config: AlertsConfig | (() => AlertsConfig),
): (host: string, summaries: string[], dest: Destination) => string {
  const current = typeof config === 'function' ? config : () => config;
  return (host, summaries, dest) => renderDigest(host, summaries, { language: languageOf(current(), dest) });
}
