/** The sections' shortcuts and the hash → section lookup, built from the features' routes. */
import { ROUTES, SCREENS, isScreen } from '../features/routes';
import type { ScreenName } from '../features/routes';
import { navigate } from './navigation';

export function screenFromHash(hash: string): ScreenName | null {
  const name = hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  return isScreen(name) ? name : null;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}

/**
 * Global shortcuts: Alt+1..Alt+9 open the sections in order; `g` then a letter does the same;
 * `?` toggles the shortcut list. Returns a function that removes the listener.
 */
export function installShortcuts(onToggleHelp: () => void): () => void {
  let gPressedAt = 0;
  const handler = (e: KeyboardEvent): void => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey) return;
    if (document.querySelector('[aria-modal="true"]')) return;
    if (e.altKey && !e.shiftKey) {
      const m = /^(?:Digit|Numpad)([1-9])$/.exec(e.code);
      const index = m ? Number(m[1]) - 1 : -1;
      const screen = SCREENS[index];
      if (screen) {
        e.preventDefault();
        navigate(screen);
      }
      return;
    }
    if (e.altKey || isTyping(e.target)) return;
    if (e.key === '?') {
      e.preventDefault();
      onToggleHelp();
      return;
    }
    const now = Date.now();
    if (gPressedAt && now - gPressedAt < 1500) {
      gPressedAt = 0;
      const screen = ROUTES.find((r) => r.key.code === e.code)?.screen;
      if (screen) {
        e.preventDefault();
        navigate(screen);
      }
      return;
    }
    if (e.code === 'KeyG' && !e.shiftKey) gPressedAt = now;
  };
  window.addEventListener('keydown', handler);
  return () => window.removeEventListener('keydown', handler);
}
