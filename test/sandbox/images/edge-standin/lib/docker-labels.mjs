// Labels -> configuration, one container at a time, as Traefik's label decoder reads them: which
// labels exist (an unknown one rejects the whole container), the middlewares and options the stand-in
// implements, and the default-rule template.

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
 * @typedef {import('./docker-client.mjs').DockerData} DockerData
 */

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
