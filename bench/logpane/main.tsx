/**
 * The log pane alone, fed by a STAND-IN for the core (not the core): `logs.follow` answers with
 * a stream id, then `logs.lines` events bring `window.rate` lines a second in 20 ms batches, as
 * the core's follow does. What is measured is the renderer, so the core is left out on purpose.
 */
import { createRoot } from 'react-dom/client';
import type { AppEvent, TrufflesApi } from '../../src/shared/contract';
import { setApi } from '../../src/renderer/src/api';
import { initI18n } from '../../src/renderer/src/i18n';
import '../../src/renderer/src/styles.css';
import { LogPane } from '../../src/renderer/src/features/logs/LogPane';

const w = window as unknown as { rate: number };
w.rate = 5000;
const services = ['n8n', 'postgres', 'qdrant', 'redis'];
const texts = [
  'Ready to accept connections tcp',
  'ERROR: connection refused to upstream',
  'WARNING: memory overcommit must be enabled!',
  'DEBUG cache hit key=abc',
  `Editor is now accessible via: http://localhost:5678 ${'x'.repeat(300)}`,
  'checkpoint complete: wrote 3 buffers',
];
const listeners = new Set<(e: AppEvent) => void>();
let n = 0;
let timer: ReturnType<typeof setInterval> | undefined;
const line = (i: number) => ({
  t: new Date().toISOString().replace('Z', '000000Z'),
  service: services[i % 4] as string,
  stream: (i % 13 === 0 ? 'stderr' : 'stdout') as 'stderr' | 'stdout',
  text: `${texts[i % texts.length]} #${i}`,
});
const api = {
  invoke: async (name: string) => {
    if (name === 'logs.follow') {
      const streamId = `s${Math.random()}`;
      clearInterval(timer);
      timer = setInterval(() => {
        const lines = Array.from({ length: Math.round((w.rate * 20) / 1000) }, () => line(n++));
        if (lines.length) listeners.forEach((l) => l({ type: 'logs.lines', streamId, lines }));
      }, 20);
      return { ok: true, value: { streamId, services } };
    }
    if (name === 'logs.stop') clearInterval(timer);
    return { ok: true, value: { id: 'x', stopped: true } };
  },
  onEvent: (l: (e: AppEvent) => void) => {
    listeners.add(l);
    return () => listeners.delete(l);
  },
} as unknown as TrufflesApi;
setApi(api);
initI18n('en');
createRoot(document.getElementById('root') as HTMLElement).render(
  <LogPane host="sb" slug="acme" services={services} />,
);
