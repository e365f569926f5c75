/**
 * The Electron shell: window, IPC binding, OS keychain, notifications. Nothing else lives here;
 * every capability is in ../core, which never imports electron.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, session, shell } from 'electron';
import { Core } from '../core/core';
import { trufflesHome } from '../core/paths';
import { bindIpc } from './ipc';
import { SafeStorageProvider } from './keychain';
import { notifyOn } from './notifications';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

app.enableSandbox();

const devUrl = process.env.ELECTRON_RENDERER_URL;
const rendererRoot = pathToFileURL(join(import.meta.dirname, '../renderer/')).href;
/** A URL of our own renderer (the built files, or the dev server under `npm run dev`). */
const trusted = (url: string): boolean => (devUrl ? url.startsWith(devUrl) : url.startsWith(rendererRoot));

async function createWindow(): Promise<void> {
  const core = new Core({ home: trufflesHome(), secrets: new SafeStorageProvider(), mode: 'electron' });
  core.startBackground();
  const rendererIndex = join(import.meta.dirname, '../renderer/index.html');

  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  // Every permission is refused but notifications, and only to our own renderer: the Inbox's
  // escalations and the Alerts screen's notices are shown by the system while the window is hidden.
  session.defaultSession.setPermissionRequestHandler((wc, permission, cb) =>
    cb(permission === 'notifications' && trusted(wc.getURL())),
  );
  session.defaultSession.setPermissionCheckHandler(
    (wc, permission) => permission === 'notifications' && wc !== null && trusted(wc.getURL()),
  );

  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 640,
    show: false,
    title: 'Truffles Console',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  const unbind = bindIpc(core, win, trusted);
  const offNotify = core.onEvent(notifyOn);
  // Alerts reach the desktop while the app is open: the shell holds a subscription to them, so
  // the live feed (the agents' notices, the console's unreachable rule) runs with no screen on it.
  const detachShell = core.hub.attach('shell:notifications', { send: () => undefined, ready: () => true });
  core.hub.subscribe('shell:notifications', ['alerts.changed']);
  win.on('closed', () => {
    unbind();
    offNotify();
    detachShell();
    void core.close();
  });
  win.once('ready-to-show', () => win.show());
  if (devUrl) await win.loadURL(devUrl);
  else await win.loadFile(rendererIndex);
}

// For every web contents: no navigation away from our own files, no new windows (https links
// open in the system browser), no <webview>.
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (ev, url) => {
    if (!trusted(url)) ev.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (ev) => ev.preventDefault());
});

app.whenReady().then(createWindow, (err: unknown) => {
  console.error(err);
  app.exit(1);
});
app.on('window-all-closed', () => app.quit());
