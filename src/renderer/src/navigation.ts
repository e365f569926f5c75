/** Sections, their shortcuts, and hash routing (#/hosts): real links that work without JS state. */
import { SCREENS, isScreen, useConsole } from './store';
import type { ScreenName } from './store';

/** `G` then this key (by physical key code, so it works in any keyboard layout). */
export const SCREEN_KEYS: Record<ScreenName, { code: string; letter: string }> = {
  fleet: { code: 'KeyF', letter: 'F' },
  hosts: { code: 'KeyH', letter: 'H' },
  tenants: { code: 'KeyT', letter: 'T' },
  backups: { code: 'KeyB', letter: 'B' },
  updates: { code: 'KeyU', letter: 'U' },
  costs: { code: 'KeyC', letter: 'C' },
  knowledge: { code: 'KeyK', letter: 'K' },
  audit: { code: 'KeyA', letter: 'A' },
  settings: { code: 'KeyS', letter: 'S' },
};

export function hrefFor(screen: ScreenName): string {
  return `#/${screen}`;
}

export function screenFromHash(hash: string): ScreenName | null {
  const name = hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  return isScreen(name) ? name : null;
}

export function navigate(screen: ScreenName): void {
  useConsole.getState().setScreen(screen);
  if (typeof location !== 'undefined' && location.hash !== hrefFor(screen)) location.hash = hrefFor(screen);
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
      const screen = SCREENS.find((s) => SCREEN_KEYS[s].code === e.code);
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
