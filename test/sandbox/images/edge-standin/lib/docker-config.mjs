// The docker provider's dynamic configuration from all inspected containers (Traefik's logic):
// enabled and healthy containers only, a default service and router where labels name none, the
// server address from the container's network, and same-name parts of several containers merged.

import { log } from './log.mjs';
import { parseBool } from './static-config.mjs';
import { decodeLabels, renderDefaultRule, serviceNameOf } from './docker-labels.mjs';

/**
 * @typedef {import('./docker-client.mjs').DockerData} DockerData
 * @typedef {import('./docker-labels.mjs').HTTPConf} HTTPConf
 */

/**
 * @typedef {{ configuration: HTTPConf, containers: number, skipped: string[] }} ProviderResult
 */

/**
 * Builds the docker provider's dynamic configuration from inspected containers (Traefik's logic).
 * @param {DockerData[]} containers
 * @param {import('./static-config.mjs').DockerProviderConfig} opts
 * @param {(id: string) => DockerData | undefined} byId for network_mode container:<id>
 * @returns {HTTPConf}
 */
export function buildConfiguration(containers, opts, byId) {
  /** @type {Map<string, HTTPConf>} */
  const configurations = new Map();
  for (const c of containers) {
    const serviceName = serviceNameOf(c);
    const containerName = `${serviceName}-${c.id}`;
    const enable = parseBool(labelCI(c.labels, 'traefik.enable'), opts.exposedByDefault);
    if (!enable) {
      log.debug('Filtering disabled container', { container: containerName });
      continue;
    }
    if (c.health !== '' && c.health !== 'healthy') {
      log.debug('Filtering unhealthy or starting container', { container: containerName });
      continue;
    }
    let decoded;
    try {
      decoded = decodeLabels(c.labels);
    } catch (e) {
      log.error(String(/** @type {Error} */ (e).message), {
        providerName: 'docker',
        container: containerName,
      });
      continue;
    }
    for (const n of decoded.notices) log.standin(n, { container: containerName });
    if (decoded.tcpOrUdp && !decoded.hasHttp) continue;
    const conf = decoded.http;
    const network = labelCI(c.labels, 'traefik.docker.network') ?? opts.network;

    if (Object.keys(conf.services).length === 0) {
      conf.services[serviceName] = { loadBalancer: { servers: [], passHostHeader: true } };
    }
    let failed = false;
    for (const [name, svc] of Object.entries(conf.services)) {
      if (!svc.loadBalancer) continue;
      const lb = svc.loadBalancer;
      const server = lb.servers[0] ?? {};
      if (server.url) {
        lb.servers = [{ url: server.url, ...(server.weight !== undefined ? { weight: server.weight } : {}) }];
        continue;
      }
      const ip = ipAddress(c, network, byId, containerName);
      const port = server.port || lowestPort(c);
      if (!ip) {
        log.error(
          `service "${name}" error: unable to find the IP address for the container "/${c.name}": the server is ignored`,
          { container: containerName },
        );
        failed = true;
        break;
      }
      if (!port) {
        log.error(`service "${name}" error: port is missing`, { container: containerName });
        failed = true;
        break;
      }
      const host = ip.includes(':') ? `[${ip}]` : ip;
      lb.servers = [
        {
          url: `${server.scheme || 'http'}://${host}:${port}`,
          ...(server.weight !== undefined ? { weight: server.weight } : {}),
        },
      ];
    }
    if (failed) continue;

    const serviceNames = Object.keys(conf.services);
    if (Object.keys(conf.routers).length === 0) {
      if (serviceNames.length > 1)
        log.info('Could not create a router for the container: too many services', {
          container: containerName,
        });
      else conf.routers[serviceName] = {};
    }
    for (const [rname, r] of Object.entries(conf.routers)) {
      if (!r.rule) {
        try {
          r.rule = renderDefaultRule(opts.defaultRule, { Name: serviceName, Labels: c.labels });
        } catch (e) {
          log.error(`Error while parsing default rule: ${/** @type {Error} */ (e).message}`, {
            routerName: rname,
          });
          delete conf.routers[rname];
          continue;
        }
        if (!r.rule) {
          log.error('Undefined rule', { routerName: rname });
          delete conf.routers[rname];
          continue;
        }
      }
      if (!r.service) {
        if (serviceNames.length > 1) {
          log.error('Could not define the service name for the router: too many services', {
            routerName: rname,
            container: containerName,
          });
          delete conf.routers[rname];
          continue;
        }
        r.service = serviceNames[0];
      }
    }
    configurations.set(containerName, conf);
  }
  return merge(configurations);
}

/** @param {Record<string, string>} labels @param {string} key */
function labelCI(labels, key) {
  if (key in labels) return labels[key];
  const k = Object.keys(labels).find((x) => x.toLowerCase() === key);
  return k === undefined ? undefined : labels[k];
}

/** @param {DockerData} c */
function lowestPort(c) {
  const ports = c.ports.map((p) => Number(p.split('/')[0])).filter((n) => Number.isFinite(n) && n > 0);
  ports.sort((a, b) => a - b);
  return ports.length ? String(ports[0]) : '';
}

/**
 * @param {DockerData} c
 * @param {string} network
 * @param {(id: string) => DockerData | undefined} byId
 * @param {string} containerName
 * @returns {string}
 */
function ipAddress(c, network, byId, containerName) {
  if (network) {
    const n = c.networks[network];
    if (n) return n.ip;
    log.warn(
      `Could not find network named "${network}" for container "/${c.name}". Maybe you're missing the project's prefix in the label?`,
      { container: containerName },
    );
  }
  if (c.networkMode === 'host') return '127.0.0.1';
  if (c.networkMode.startsWith('container:')) {
    const other = byId(c.networkMode.slice('container:'.length));
    if (!other) {
      log.warn(`Unable to get IP address for container /${c.name}: its network container is not running`, {
        container: containerName,
      });
      return '';
    }
    const otherNet = labelCI(other.labels, 'traefik.docker.network') ?? network;
    return ipAddress(
      { ...other, networkMode: other.networkMode.startsWith('container:') ? '' : other.networkMode },
      otherNet,
      byId,
      containerName,
    );
  }
  const first = Object.entries(c.networks)[0];
  if (first) {
    if (network)
      log.warn(`Defaulting to first available network ("${first[0]}") for container "/${c.name}".`, {
        container: containerName,
      });
    return first[1].ip;
  }
  log.warn('Unable to find the IP address.', { container: containerName });
  return '';
}

/** Deep equality of plain JSON values. @param {unknown} a @param {unknown} b */
function deepEqual(a, b) {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
/** @param {unknown} v @returns {unknown} */
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys(/** @type {Record<string, unknown>} */ (v)[k])]),
    );
  }
  return v;
}

/**
 * Traefik's provider.Merge for HTTP: same-name routers/middlewares must be identical, same-name services
 * must have the same load-balancer settings and get their servers pooled; otherwise they are dropped.
 * @param {Map<string, HTTPConf>} configurations
 * @returns {HTTPConf}
 */
function merge(configurations) {
  /** @type {HTTPConf} */
  const out = { routers: {}, services: {}, middlewares: {} };
  const badServices = new Set();
  const badRouters = new Set();
  const badMiddlewares = new Set();
  for (const key of [...configurations.keys()].sort()) {
    const conf = /** @type {HTTPConf} */ (configurations.get(key));
    for (const [name, svc] of Object.entries(conf.services)) {
      const have = out.services[name];
      if (!have) {
        out.services[name] = svc;
        continue;
      }
      const { servers: s1, ...lb1 } = have.loadBalancer ?? { servers: [] };
      const { servers: s2, ...lb2 } = svc.loadBalancer ?? { servers: [] };
      if (
        !have.loadBalancer ||
        !svc.loadBalancer ||
        !deepEqual(lb1, lb2) ||
        have.unsupported !== svc.unsupported
      ) {
        badServices.add(name);
        continue;
      }
      for (const s of s2) if (!s1.some((x) => x.url === s.url)) s1.push(s);
    }
    for (const [name, r] of Object.entries(conf.routers)) {
      if (!out.routers[name]) out.routers[name] = r;
      else if (!deepEqual(out.routers[name], r)) badRouters.add(name);
    }
    for (const [name, m] of Object.entries(conf.middlewares)) {
      if (!out.middlewares[name]) out.middlewares[name] = m;
      else if (!deepEqual(out.middlewares[name], m)) badMiddlewares.add(name);
    }
  }
  for (const n of badServices) {
    log.error('Service defined multiple times with different configurations', { serviceName: n });
    delete out.services[n];
  }
  for (const n of badRouters) {
    log.error('Router defined multiple times with different configurations', { routerName: n });
    delete out.routers[n];
  }
  for (const n of badMiddlewares) {
    log.error('Middleware defined multiple times with different configurations', { middlewareName: n });
    delete out.middlewares[n];
  }
  return out;
}
