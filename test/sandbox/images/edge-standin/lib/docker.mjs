// The docker provider: reads the Docker Engine API over the mounted socket (no client library),
// lists the running containers, follows /events (container start, die, health_status, as Traefik
// does) and turns labels into dynamic configuration the way Traefik's docker provider does:
//   - containers without `traefik.enable=true` are skipped when exposedByDefault=false;
//   - containers with a healthcheck that is not (yet) healthy are skipped;
//   - a label Traefik does not know makes the WHOLE container be skipped ("field not found");
//   - no service label: one service named after the container (compose: <service>-<project>);
//   - no router label: one router with the default rule Host(`<that name>`);
//   - a router without `service` uses the container's single service (error if several);
//   - the server is http://<IP on traefik.docker.network or --providers.docker.network>:<port>,
//     port = loadbalancer.server.port, else the container's lowest exposed port;
//   - routers, services and middlewares of the same name from several containers are merged
//     (services: their servers are pooled) or dropped when they differ.

import http from 'node:http';
import { readFileSync } from 'node:fs';
import { log } from './log.mjs';
import { parseBool, splitList } from './static-config.mjs';

/**
 * @typedef {{ certResolver?: string, options?: string, domains?: { main?: string, sans?: string[] }[] }} RouterTLS
 * @typedef {{ rule?: string, ruleSyntax?: string, entryPoints?: string[], middlewares?: string[], service?: string,
 *   priority?: number, tls?: RouterTLS, observability?: Record<string, boolean> }} RouterConf
 * @typedef {{ url?: string, port?: string, scheme?: string, weight?: number }} ServerConf
 * @typedef {{ servers: ServerConf[], passHostHeader: boolean, [k: string]: unknown }} LoadBalancerConf
 * @typedef {{ loadBalancer?: LoadBalancerConf, unsupported?: string }} ServiceConf
 * @typedef {{ type: string, options: Record<string, any>, unsupported?: string }} MiddlewareConf
 * @typedef {{ routers: Record<string, RouterConf>, services: Record<string, ServiceConf>,
 *   middlewares: Record<string, MiddlewareConf> }} HTTPConf
 * @typedef {{
 *   id: string, name: string, labels: Record<string, string>, networkMode: string,
 *   networks: Record<string, { ip: string }>, ports: string[], health: string, running: boolean,
 * }} DockerData
 */

// ---------------------------------------------------------------------------------------------
// Engine API client

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
async function inspect(client, id) {
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

// ---------------------------------------------------------------------------------------------
// Labels -> configuration

/** Traefik's provider.Normalize: runs of non-alphanumerics become '-'. @param {string} name */
export function normalize(name) {
  return name
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .join('-');
}

/** @param {DockerData} c */
export function serviceNameOf(c) {
  const service = c.labels['com.docker.compose.service'];
  const project = c.labels['com.docker.compose.project'];
  return normalize(service !== undefined && project !== undefined ? `${service}_${project}` : c.name);
}

// Middleware types Traefik knows (label spelling -> API spelling), and those the stand-in runs.
const MIDDLEWARE_TYPES = {
  addprefix: 'addPrefix',
  basicauth: 'basicAuth',
  buffering: 'buffering',
  chain: 'chain',
  circuitbreaker: 'circuitBreaker',
  compress: 'compress',
  contenttype: 'contentType',
  digestauth: 'digestAuth',
  errors: 'errors',
  forwardauth: 'forwardAuth',
  grpcweb: 'grpcWeb',
  headers: 'headers',
  ipallowlist: 'ipAllowList',
  ipwhitelist: 'ipWhiteList',
  inflightreq: 'inFlightReq',
  passtlsclientcert: 'passTLSClientCert',
  plugin: 'plugin',
  ratelimit: 'rateLimit',
  redirectregex: 'redirectRegex',
  redirectscheme: 'redirectScheme',
  replacepath: 'replacePath',
  replacepathregex: 'replacePathRegex',
  retry: 'retry',
  stripprefix: 'stripPrefix',
  stripprefixregex: 'stripPrefixRegex',
};
/** Options of the middlewares the stand-in implements (lower case -> API spelling; '*' = a map). */
const IMPLEMENTED = {
  basicAuth: {
    users: 'users',
    usersfile: 'usersFile',
    realm: 'realm',
    removeheader: 'removeHeader',
    headerfield: 'headerField',
  },
  stripPrefix: { prefixes: 'prefixes', forceslash: 'forceSlash' },
  addPrefix: { prefix: 'prefix' },
  redirectScheme: { scheme: 'scheme', port: 'port', permanent: 'permanent' },
  redirectRegex: { regex: 'regex', replacement: 'replacement', permanent: 'permanent' },
  chain: { middlewares: 'middlewares' },
  ipAllowList: { sourcerange: 'sourceRange' },
  headers: {
    customrequestheaders: '*customRequestHeaders',
    customresponseheaders: '*customResponseHeaders',
    stsseconds: 'stsSeconds',
    stsincludesubdomains: 'stsIncludeSubdomains',
    stspreload: 'stsPreload',
    forcestsheader: 'forceSTSHeader',
    framedeny: 'frameDeny',
    customframeoptionsvalue: 'customFrameOptionsValue',
    contenttypenosniff: 'contentTypeNosniff',
    browserxssfilter: 'browserXssFilter',
    referrerpolicy: 'referrerPolicy',
    contentsecuritypolicy: 'contentSecurityPolicy',
    permissionspolicy: 'permissionsPolicy',
  },
};
const LIST_OPTIONS = new Set(['users', 'prefixes', 'middlewares', 'sourceRange']);
const BOOL_OPTIONS = new Set([
  'removeHeader',
  'forceSlash',
  'permanent',
  'stsIncludeSubdomains',
  'stsPreload',
  'forceSTSHeader',
  'frameDeny',
  'contentTypeNosniff',
  'browserXssFilter',
]);

const ROUTER_FIELDS =
  /^(rule|rulesyntax|entrypoints|middlewares|service|priority|tls|tls\.certresolver|tls\.options|tls\.domains\[\d+\]\.(main|sans)|observability\.(accesslogs|metrics|tracing))$/;
const SERVICE_LB_FIELDS =
  /^loadbalancer\.(server\.(port|scheme|url|weight|preservepath)|passhostheader|serverstransport|responseforwarding\.flushinterval|strategy|healthcheck\..+|sticky\..+)$/;

class LabelError extends Error {}

/**
 * Decodes a container's traefik.* labels into HTTP configuration, like Traefik's label decoder.
 * Throws LabelError ("field not found") for a label Traefik would reject.
 * @param {Record<string, string>} labels
 * @returns {{ http: HTTPConf, tcpOrUdp: boolean, hasHttp: boolean, notices: string[] }}
 */
export function decodeLabels(labels) {
  /** @type {HTTPConf} */
  const conf = { routers: {}, services: {}, middlewares: {} };
  const notices = [];
  let tcpOrUdp = false;
  let hasHttp = false;
  for (const [key, value] of Object.entries(labels)) {
    const parts = key.split('.');
    const lower = parts.map((p) => p.toLowerCase());
    if (lower[0] !== 'traefik') continue;
    const l1 = lower[1];
    if (l1 === 'enable' && parts.length === 2) continue;
    if (l1 === 'docker' && (lower[2] === 'network' || lower[2] === 'lbswarm') && parts.length === 3) continue;
    if (l1 === 'tcp' || l1 === 'udp') {
      tcpOrUdp = true;
      notices.push(
        `label ${key} ignored: ${l1.toUpperCase()} routers and services are not implemented by the stand-in`,
      );
      continue;
    }
    if (l1 !== 'http' || parts.length < 5)
      throw new LabelError(`field not found, node: ${parts.slice(1).join('.')}`);
    const kind = lower[2];
    const name = /** @type {string} */ (parts[3]);
    const field = lower.slice(4).join('.');
    hasHttp = true;
    if (kind === 'routers') {
      if (!ROUTER_FIELDS.test(field))
        throw new LabelError(`field not found, node: ${parts.slice(4).join('.')}`);
      const r = (conf.routers[name] ??= {});
      if (field === 'rule') r.rule = value;
      else if (field === 'rulesyntax') r.ruleSyntax = value;
      else if (field === 'entrypoints') r.entryPoints = splitList(value);
      else if (field === 'middlewares') r.middlewares = splitList(value);
      else if (field === 'service') r.service = value;
      else if (field === 'priority') {
        if (!/^-?\d+$/.test(value)) throw new LabelError(`invalid priority ${value}`);
        r.priority = Number(value);
      } else if (field === 'tls') {
        if (parseBool(value, false)) r.tls ??= {};
      } else if (field === 'tls.certresolver') (r.tls ??= {}).certResolver = value;
      else if (field === 'tls.options') (r.tls ??= {}).options = value;
      else if (field.startsWith('tls.domains')) {
        const m = /\[(\d+)\]\.(main|sans)$/.exec(field);
        const t = (r.tls ??= {});
        const d = ((t.domains ??= [])[Number(m?.[1])] ??= {});
        if (m?.[2] === 'main') d.main = value;
        else d.sans = splitList(value);
      } else if (field.startsWith('observability.')) {
        (r.observability ??= {})[field.slice('observability.'.length)] = parseBool(value, true);
      }
    } else if (kind === 'services') {
      const s = (conf.services[name] ??= {});
      if (/^(weighted|mirroring|failover)\./.test(field)) {
        s.unsupported = `${lower[4]} services are not implemented by the stand-in`;
        continue;
      }
      if (!SERVICE_LB_FIELDS.test(field))
        throw new LabelError(`field not found, node: ${parts.slice(4).join('.')}`);
      const lb = (s.loadBalancer ??= { servers: [], passHostHeader: true });
      const server = (lb.servers[0] ??= {});
      if (field === 'loadbalancer.server.port') server.port = value;
      else if (field === 'loadbalancer.server.scheme') server.scheme = value;
      else if (field === 'loadbalancer.server.url') server.url = value;
      else if (field === 'loadbalancer.server.weight') server.weight = Number(value);
      else if (field === 'loadbalancer.passhostheader') lb.passHostHeader = parseBool(value, true);
      else if (field.startsWith('loadbalancer.healthcheck.') || field.startsWith('loadbalancer.sticky.')) {
        lb[field.slice('loadbalancer.'.length)] = value;
        notices.push(
          `label ${key}: not implemented by the stand-in (no health checks, no sticky sessions), ignored`,
        );
      } else lb[field.slice('loadbalancer.'.length)] = value;
    } else if (kind === 'middlewares') {
      const type = /** @type {keyof typeof MIDDLEWARE_TYPES} */ (lower[4]);
      const apiType = MIDDLEWARE_TYPES[type];
      if (!apiType) throw new LabelError(`field not found, node: ${parts.slice(4).join('.')}`);
      const existing = conf.middlewares[name];
      if (existing && existing.type !== apiType)
        throw new LabelError(`middleware ${name}: several types (${existing.type}, ${apiType})`);
      const mw = (conf.middlewares[name] ??= { type: apiType, options: {} });
      const optParts = parts.slice(5);
      const spec = /** @type {Record<string, string> | undefined} */ (
        IMPLEMENTED[/** @type {keyof typeof IMPLEMENTED} */ (apiType)]
      );
      if (!spec) {
        mw.unsupported = `the ${apiType} middleware is not implemented by the stand-in`;
        mw.options[optParts.join('.')] = value;
        continue;
      }
      if (optParts.length === 0) continue; // e.g. `traefik.http.middlewares.x.compress=true`
      const opt = spec[(optParts[0] ?? '').toLowerCase()];
      if (!opt) {
        mw.unsupported = `option ${optParts.join('.')} of the ${apiType} middleware is not implemented by the stand-in`;
        mw.options[optParts.join('.')] = value;
        continue;
      }
      if (opt.startsWith('*')) {
        const mapKey = optParts.slice(1).join('.');
        (mw.options[opt.slice(1)] ??= {})[mapKey] = value;
      } else if (LIST_OPTIONS.has(opt)) mw.options[opt] = splitList(value);
      else if (BOOL_OPTIONS.has(opt)) mw.options[opt] = parseBool(value, false);
      else if (opt === 'stsSeconds') mw.options[opt] = Number(value);
      else mw.options[opt] = value;
    } else if (kind === 'serverstransports') {
      notices.push(`label ${key} ignored: serversTransports are not implemented by the stand-in`);
    } else {
      throw new LabelError(`field not found, node: ${parts.slice(2).join('.')}`);
    }
  }
  return { http: conf, tcpOrUdp, hasHttp, notices };
}

/**
 * The default-rule template: `{{ normalize .Name }}`, `{{ .Name }}`, `{{ index .Labels "k" }}`.
 * @param {string} tpl
 * @param {{ Name: string, Labels: Record<string, string> }} model
 */
export function renderDefaultRule(tpl, model) {
  return tpl.replace(/\{\{\s*(.*?)\s*\}\}/g, (_m, expr) => {
    let e = String(expr).trim();
    let norm = false;
    const n = /^normalize\s+(.+)$/.exec(e);
    if (n) {
      norm = true;
      e = String(n[1]).trim();
    }
    let v;
    if (e === '.Name') v = model.Name;
    else {
      const idx = /^index\s+\.Labels\s+"([^"]+)"$/.exec(e);
      if (!idx) throw new Error(`default rule template: {{ ${expr} }} is not implemented by the stand-in`);
      v = model.Labels[String(idx[1])] ?? '';
    }
    return norm ? normalize(v) : v;
  });
}

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

// ---------------------------------------------------------------------------------------------
// The provider loop

/**
 * Runs the docker provider until stopped: initial listing, then live updates from /events,
 * reconnecting with exponential back-off (as Traefik does) when the Engine API is unreachable.
 * @param {import('./static-config.mjs').DockerProviderConfig} opts
 * @param {(conf: HTTPConf) => void} onConfiguration
 * @returns {{ stop: () => void }}
 */
export function runDockerProvider(opts, onConfiguration) {
  const client = new DockerClient(opts.endpoint);
  let stopped = false;
  /** @type {(() => void) | null} */
  let closeEvents = null;
  /** @type {NodeJS.Timeout | null} */
  let sleepTimer = null;

  async function listAndBuild() {
    const list = await client.get('/containers/json?all=1');
    /** @type {DockerData[]} */
    const all = [];
    for (const c of list ?? []) {
      try {
        const d = await inspect(client, c.Id);
        if (d) all.push(d);
      } catch (e) {
        // A container removed between the listing and its inspection.
        log.debug(`Failed to inspect container ${c.Id}: ${/** @type {Error} */ (e).message}`);
      }
    }
    const ids = new Map(all.map((d) => [d.id, d]));
    const byId = (/** @type {string} */ id) =>
      ids.get(id) ?? all.find((d) => d.id.startsWith(id) || d.name === id);
    onConfiguration(buildConfiguration(all, opts, byId));
  }

  // Refreshes run one at a time; events arriving meanwhile cause one more refresh afterwards.
  let running = false;
  let again = false;
  async function refresh() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await listAndBuild();
      } while (again && !stopped);
    } catch (e) {
      log.error(`Failed to list containers for docker: ${/** @type {Error} */ (e).message}`, {
        providerName: 'docker',
      });
    } finally {
      running = false;
    }
  }

  (async () => {
    let delay = 500;
    while (!stopped) {
      try {
        const version = await client.get('/version');
        log.debug(
          `Provider connection established with docker ${version?.Version} (API ${version?.ApiVersion})`,
          { providerName: 'docker' },
        );
        if (opts.watch) {
          const ev = client.events(
            (e) => {
              const action = String(e.Action ?? '');
              if (action === 'start' || action === 'die' || action.startsWith('health_status')) {
                log.debug(
                  `Provider event received ${action} ${e.Actor?.Attributes?.name ?? e.Actor?.ID ?? ''}`,
                  { providerName: 'docker' },
                );
                void refresh();
              }
            },
            () => void refresh(),
          );
          closeEvents = ev.close;
          await ev.done;
          closeEvents = null;
          if (!stopped) log.debug('Provider event stream closed', { providerName: 'docker' });
          delay = 500;
        } else {
          await listAndBuild();
          return;
        }
      } catch (e) {
        if (stopped) return;
        log.error(
          `Provider error, retrying in ${(delay / 1000).toFixed(1)}s: ${/** @type {Error} */ (e).message}`,
          { providerName: 'docker' },
        );
      }
      if (stopped) return;
      await new Promise((r) => (sleepTimer = setTimeout(r, delay)));
      delay = Math.min(delay * 2, 30000);
    }
  })();

  return {
    stop() {
      stopped = true;
      closeEvents?.();
      if (sleepTimer) clearTimeout(sleepTimer);
    },
  };
}

/**
 * Reads basicAuth users from a usersFile (one `user:hash` a line).
 * @param {string} path
 */
export function readUsersFile(path) {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
