import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface Tunnel {
  /** Port on 127.0.0.1 on this machine. */
  localPort: number;
  close(): Promise<void>;
}

/**
 * A listener on 127.0.0.1 (random port) whose every connection is piped to a stream that
 * `openRemote` opens (an SSH forward, or a plain TCP connection on this machine). Closing the
 * tunnel, or its server, ends every connection through it.
 */
export async function serveTunnel(openRemote: () => Promise<Duplex>): Promise<Tunnel & { server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((local) => {
    sockets.add(local);
    local.on('close', () => sockets.delete(local));
    openRemote().then(
      (remote) => {
        local.pipe(remote).pipe(local);
        remote.on('error', () => local.destroy());
        remote.on('close', () => local.destroy());
        local.on('error', () => remote.destroy());
        local.on('close', () => remote.destroy());
      },
      () => local.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  const address = server.address();
  return {
    server,
    localPort: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
