// The docker provider's Engine API client: plain HTTP over the mounted socket (or tcp://), no client
// library; GET requests, the /events stream, and a container inspected into what the provider needs.

import http from 'node:http';
import { log } from './log.mjs';

/**
 * @typedef {{
 *   id: string, name: string, labels: Record<string, string>, networkMode: string,
 *   networks: Record<string, { ip: string }>, ports: string[], health: string, running: boolean,
 * }} DockerData
 */

export class DockerClient {
  /** @param {string} endpoint unix:///var/run/docker.sock, tcp://host:2375 or http://host:2375 */
  constructor(endpoint) {
    this.endpoint = endpoint;
    /** @type {http.RequestOptions} */
    this.base = {};
    if (endpoint.startsWith('unix://')) this.base = { socketPath: endpoint.slice('unix://'.length) };
    else {
      const u = new URL(endpoint.replace(/^tcp:/, 'http:'));
      this.base = { host: u.hostname, port: Number(u.port || 2375) };
    }
  }

  /**
   * @param {string} path
   * @returns {Promise<any>}
   */
  get(path) {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { ...this.base, path, method: 'GET', headers: { Host: 'docker' }, timeout: 30000 },
        (res) => {
          /** @type {Buffer[]} */
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 300) {
              reject(
                Object.assign(new Error(`docker ${path}: HTTP ${res.statusCode}: ${body.trim()}`), {
                  status: res.statusCode,
                }),
              );
              return;
            }
            try {
              resolve(body ? JSON.parse(body) : null);
            } catch (e) {
              reject(e);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`docker ${path}: timeout`)));
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Follows /events for containers; calls onEvent for each. Resolves when the stream ends.
   * @param {(ev: { Type?: string, Action?: string, Actor?: { ID?: string, Attributes?: Record<string, string> } }) => void} onEvent
   * @param {() => void} onOpen
   * @returns {{ done: Promise<void>, close: () => void }}
   */
  events(onEvent, onOpen) {
    /** @type {http.ClientRequest | undefined} */
    let req;
    const done = new Promise((resolve, reject) => {
      const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
      req = http.request(
        { ...this.base, path: `/events?filters=${filters}`, method: 'GET', headers: { Host: 'docker' } },
        (res) => {
          if ((res.statusCode ?? 500) >= 300) {
            reject(new Error(`docker /events: HTTP ${res.statusCode}`));
            res.resume();
            return;
          }
          onOpen();
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            buf += chunk;
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (!line) continue;
              try {
                onEvent(JSON.parse(line));
              } catch (e) {
                log.debug('Unreadable docker event', { error: String(e) });
              }
            }
          });
          res.on('end', () => resolve(undefined));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
    return { done, close: () => req?.destroy() };
  }
}

/**
 * Inspects a container into what the provider needs (null when it is not running).
 * @param {DockerClient} client
 * @param {string} id
 * @returns {Promise<DockerData | null>}
 */
export async function inspect(client, id) {
  const c = await client.get(`/containers/${encodeURIComponent(id)}/json`);
  if (!c?.State?.Running) return null;
  /** @type {Record<string, { ip: string }>} */
  const networks = {};
  for (const [name, n] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
    const net = /** @type {{ IPAddress?: string, GlobalIPv6Address?: string }} */ (n);
    networks[name] = { ip: net.IPAddress || net.GlobalIPv6Address || '' };
  }
  return {
    id: c.Id,
    name: String(c.Name ?? '').replace(/^\//, ''),
    labels: c.Config?.Labels ?? {},
    networkMode: c.HostConfig?.NetworkMode ?? '',
    networks,
    ports: Object.keys(c.NetworkSettings?.Ports ?? c.Config?.ExposedPorts ?? {}),
    health: c.State?.Health?.Status ?? '',
    running: true,
  };
}
