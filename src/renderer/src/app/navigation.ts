/** Moving between sections: hash routing (#/hosts), real links that work without JS state. */
import type { ScreenName } from '../features/routes';
import { useConsole } from './store';

export function hrefFor(screen: ScreenName): string {
  return `#/${screen}`;
}

export function navigate(screen: ScreenName): void {
  useConsole.getState().setScreen(screen);
  if (typeof location !== 'undefined' && location.hash !== hrefFor(screen)) location.hash = hrefFor(screen);
}
