/**
 * The preload: exposes exactly the typed TrufflesApi on `window.truffles` through contextBridge.
 * The renderer never sees ipcRenderer.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { AppEvent, TrufflesApi } from '../shared/contract';
import { IPC_EVENT, IPC_INVOKE } from '../shared/ipc';

const api: TrufflesApi = {
  invoke: (name, input) => ipcRenderer.invoke(IPC_INVOKE, name, input),
  onEvent: (listener) => {
    const wrapped = (_e: IpcRendererEvent, event: AppEvent): void => listener(event);
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('truffles', api);
