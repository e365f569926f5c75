import { QdrantClient } from '@qdrant/js-client-rest';
import type { HostTransport } from '../hosts/transport';
import { containerIp } from './container';

/**
 * A client of a tenant's Qdrant over the host transport's tunnel to its container's port 6333,
 * for `fn`; the tunnel is closed after it, whatever happens.
 */
export async function withTenantQdrant<T>(
  t: HostTransport,
  slug: string,
  apiKey: string | undefined,
  fn: (client: QdrantClient) => Promise<T>,
): Promise<T> {
  const ip = await containerIp(t, slug, 'qdrant');
  const tunnel = await t.tunnel(ip, 6333);
  try {
    const q = new QdrantClient({
      url: `http://127.0.0.1:${tunnel.localPort}`,
      // The key as a header: the client's `apiKey` warns on http, and this http never leaves the SSH tunnel.
      headers: { 'api-key': apiKey ?? '' },
      checkCompatibility: false,
    });
    return await fn(q);
  } finally {
    tunnel.close();
  }
}
