import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { IPC_EVENT, IPC_INVOKE, type Result } from '../../shared/contract';
import type { Core } from '../core/core';

/**
 * The IPC binding: one invoke channel into `core.dispatch` (which validates every input against
 * the contract) and one event channel out. Calls from any frame other than our own window's
 * top frame, loaded from our own files, are refused.
 */
export function bindIpc(core: Core, window: BrowserWindow, trustedUrl: (url: string) => boolean): () => void {
  /** The window's owner id: its page's subscriptions belong to it. */
  const owner = `window:${window.webContents.id}`;
  const handler = async (
    event: IpcMainInvokeEvent,
    name: unknown,
    input: unknown,
  ): Promise<Result<unknown>> => {
    const frame = event.senderFrame;
    if (
      event.sender.id !== window.webContents.id ||
      !frame ||
      frame.parent !== null ||
      !trustedUrl(frame.url)
    ) {
      return {
        ok: false,
        error: { code: 'ipc.untrusted-sender', message: 'Refused a command from an untrusted frame.' },
      };
    }
    return core.dispatch(name, input, { owner });
  };
  ipcMain.handle(IPC_INVOKE, handler);
  // Events reach the window only through the subscriptions its page makes; they end when the
  // page goes (a reload or navigation makes a new page, which subscribes again) or the window closes.
  const detach = core.hub.attach(owner, {
    send: (e) => {
      if (!window.isDestroyed()) window.webContents.send(IPC_EVENT, e);
    },
    ready: () => !window.isDestroyed(),
  });
  const endPage = (): void => void core.hub.endSubscriptions(owner);
  window.webContents.on('did-start-navigation', (_e, _url, isInPlace, isMainFrame) => {
    // A new document (not a hash or history change of the same page).
    if (isMainFrame && !isInPlace) endPage();
  });
  window.webContents.on('render-process-gone', endPage);
  window.on('closed', detach);
  return () => {
    ipcMain.removeHandler(IPC_INVOKE);
    detach();
  };
}
