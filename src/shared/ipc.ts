/** IPC channel names (Electron): the only two the preload uses. Kept free of imports so the sandboxed preload bundle stays tiny. */
export const IPC_INVOKE = 'truffles:invoke';
export const IPC_EVENT = 'truffles:event';
