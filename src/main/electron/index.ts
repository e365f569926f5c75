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

async function createWindow(): Promise<void> {
  const core = new Core({ home: trufflesHome(), secrets: new SafeStorageProvider(), mode: 'electron' });
  const rendererIndex = join(import.meta.dirname, '../renderer/index.html');
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  const rendererRoot = pathToFileURL(join(import.meta.dirname, '../renderer/')).href;
  const trusted = (url: string): boolean => (devUrl ? url.startsWith(devUrl) : url.startsWith(rendererRoot));

  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, cb) => cb(false));

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
  // No navigation away from our own files, no new windows; external links open in the browser.
  win.webContents.on('will-navigate', (e, url) => {
    if (!trusted(url)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-attach-webview', (e) => e.preventDefault());

  const unbind = bindIpc(core, win, trusted);
  const offNotify = core.onEvent(notifyOn);
  win.on('closed', () => {
    unbind();
    offNotify();
    void core.close();
  });
  win.once('ready-to-show', () => win.show());
  if (devUrl) await win.loadURL(devUrl);
  else await win.loadFile(rendererIndex);
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (ev, url) => {
    if (
      !url.startsWith('file://') &&
      !(process.env.ELECTRON_RENDERER_URL && url.startsWith(process.env.ELECTRON_RENDERER_URL))
    )
      ev.preventDefault();
  });
});

app.whenReady().then(createWindow, (err: unknown) => {
  console.error(err);
  app.exit(1);
});
app.on('window-all-closed', () => app.quit());
