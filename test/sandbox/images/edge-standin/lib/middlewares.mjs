// HTTP middlewares the stand-in implements, with Traefik's behaviour: basicAuth, stripPrefix,
// addPrefix, redirectScheme, redirectRegex, headers (custom request/response headers and the common
// security headers), ipAllowList, chain. Each works on an Exchange (one request on its way to a
// service) and either lets it go on (returns true) or answers it (returns false).

import { checkSecret } from './htpasswd.mjs';
import { readUsersFile } from './docker.mjs';
import { ipChecker } from './rules.mjs';

/**
 * One request being routed. `headers` are the headers that will go to the backend (lower-case keys);
 * `url` is the path + query that will go to the backend; `responseHeaders` are set (or, when null,
 * removed) on whatever response goes back to the client.
 * @typedef {{
 *   method: string, url: string, path: string, host: string, rawHost: string, tls: boolean, upgrade: boolean,
 *   clientIp: string, entryPoint: string, entryPointPort: number,
 *   headers: Record<string, string | string[] | undefined>,
 *   responseHeaders: Record<string, string | null>,
 *   router: string, user: string,
 *   respond: (status: number, headers: Record<string, string>, body: string) => void,
 * }} Exchange
 * @typedef {(ex: Exchange) => boolean} Middleware
 */

export const STATUS_TEXT = {
  200: 'OK',
  301: 'Moved Permanently',
  302: 'Found',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** @param {Exchange} ex @param {string} path */
function setPath(ex, path) {
  const q = ex.url.indexOf('?');
  ex.path = path;
  ex.url = path + (q >= 0 ? ex.url.slice(q) : '');
}

/** Traefik's redirect answer: 301/308 when permanent, 302/307 otherwise (307/308 for non-GET). */
function redirect(
  /** @type {Exchange} */ ex,
  /** @type {string} */ location,
  /** @type {boolean} */ permanent,
) {
  let status = ex.method === 'GET' ? 302 : 307;
  if (permanent) status = ex.method === 'GET' ? 301 : 308;
  ex.respond(status, { location }, STATUS_TEXT[/** @type {keyof typeof STATUS_TEXT} */ (status)]);
  return false;
}

/**
 * The URL as the client asked for it (scheme://host[:port]/uri), like Traefik's redirect middlewares.
 * @param {Exchange} ex
 */
export function clientRequestURL(ex) {
  const scheme = ex.tls ? 'https' : 'http';
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(ex.rawHost);
  const host = m?.[1] ?? ex.rawHost;
  let port = m?.[2] ? `:${m[2]}` : '';
  if ((scheme === 'http' && port === ':80') || (scheme === 'https' && port === ':443')) port = '';
  return { scheme, host, port, uri: ex.url, full: `${scheme}://${host}${port}${ex.url}` };
}

/**
 * @param {Record<string, any>} o
 * @returns {Middleware}
 */
function redirectScheme(o) {
  const scheme = String(o.scheme ?? '');
  if (!scheme) throw new Error('you must provide a target scheme');
  const portOpt = String(o.port ?? '');
  const port =
    portOpt && !((scheme === 'http' && portOpt === '80') || (scheme === 'https' && portOpt === '443'))
      ? `:${portOpt}`
      : '';
  const permanent = Boolean(o.permanent);
  return (ex) => {
    const u = clientRequestURL(ex);
    const target = `${scheme}://${u.host}${port}${u.uri}`;
    if (target === u.full) return true;
    return redirect(ex, target, permanent);
  };
}

/** Go-style replacement (`${1}`, `$1`, `${name}`). @param {RegExpExecArray} m @param {string} tpl */
function expand(m, tpl) {
  return tpl.replace(/\$\{(\w+)\}|\$(\d+)/g, (_s, a, b) => {
    const k = a ?? b;
    if (/^\d+$/.test(k)) return m[Number(k)] ?? '';
    return m.groups?.[k] ?? '';
  });
}

/** @param {Record<string, any>} o @returns {Middleware} */
function redirectRegex(o) {
  const re = new RegExp(String(o.regex ?? ''));
  const replacement = String(o.replacement ?? '');
  const permanent = Boolean(o.permanent);
  return (ex) => {
    const old = clientRequestURL(ex).full;
    const m = re.exec(old);
    if (!m) return true;
    const target = old.slice(0, m.index) + expand(m, replacement) + old.slice(m.index + m[0].length);
    if (target === old) return true;
    return redirect(ex, target, permanent);
  };
}

/** @param {Record<string, any>} o @param {string} name @returns {Middleware} */
function basicAuth(o, name) {
  /** @type {string[]} */
  let entries = [...(o.users ?? [])];
  if (o.usersFile) entries = entries.concat(readUsersFile(String(o.usersFile)));
  /** @type {Map<string, string>} */
  const users = new Map();
  for (const e of entries) {
    const i = e.indexOf(':');
    if (i < 0) throw new Error(`error parsing Authenticator user: ${e}`);
    users.set(e.slice(0, i), e.slice(i + 1));
  }
  const realm = String(o.realm || 'traefik');
  const removeHeader = Boolean(o.removeHeader);
  const headerField = String(o.headerField ?? '');
  void name;
  return (ex) => {
    const auth = ex.headers.authorization;
    const value = Array.isArray(auth) ? auth[0] : auth;
    const m = value ? /^Basic\s+(\S+)$/i.exec(value) : null;
    let ok = false;
    let user = '';
    if (m) {
      const decoded = Buffer.from(String(m[1]), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i >= 0) {
        user = decoded.slice(0, i);
        const hash = users.get(user);
        ok = hash !== undefined && checkSecret(decoded.slice(i + 1), hash);
      }
    }
    if (!ok) {
      ex.respond(
        401,
        { 'content-type': 'text/plain', 'www-authenticate': `Basic realm="${realm}"` },
        '401 Unauthorized\n',
      );
      return false;
    }
    ex.user = user;
    if (removeHeader) delete ex.headers.authorization;
    if (headerField) ex.headers[headerField.toLowerCase()] = user;
    return true;
  };
}

/** @param {Record<string, any>} o @returns {Middleware} */
function stripPrefix(o) {
  const prefixes = /** @type {string[]} */ (o.prefixes ?? []);
  return (ex) => {
    for (const prefix of prefixes) {
      if (!ex.path.startsWith(prefix)) continue;
      let p = ex.path.slice(prefix.length);
      if (!p.startsWith('/')) p = '/' + p;
      setPath(ex, p);
      const prev = ex.headers['x-forwarded-prefix'];
      ex.headers['x-forwarded-prefix'] = prev ? [...(Array.isArray(prev) ? prev : [prev]), prefix] : prefix;
      break;
    }
    return true;
  };
}

/** @param {Record<string, any>} o @returns {Middleware} */
function addPrefix(o) {
  const prefix = String(o.prefix ?? '');
  if (!prefix) throw new Error('prefix cannot be empty');
  return (ex) => {
    setPath(ex, prefix + ex.path);
    return true;
  };
}

/** @param {Record<string, any>} o @returns {Middleware} */
function headers(o) {
  const req = /** @type {Record<string, string>} */ (o.customRequestHeaders ?? {});
  const res = /** @type {Record<string, string>} */ (o.customResponseHeaders ?? {});
  /** @type {Record<string, string>} */
  const security = {};
  if (o.frameDeny) security['x-frame-options'] = 'DENY';
  if (o.customFrameOptionsValue) security['x-frame-options'] = String(o.customFrameOptionsValue);
  if (o.contentTypeNosniff) security['x-content-type-options'] = 'nosniff';
  if (o.browserXssFilter) security['x-xss-protection'] = '1; mode=block';
  if (o.referrerPolicy) security['referrer-policy'] = String(o.referrerPolicy);
  if (o.contentSecurityPolicy) security['content-security-policy'] = String(o.contentSecurityPolicy);
  if (o.permissionsPolicy) security['permissions-policy'] = String(o.permissionsPolicy);
  let sts = '';
  if (o.stsSeconds > 0) {
    sts = `max-age=${o.stsSeconds}`;
    if (o.stsIncludeSubdomains) sts += '; includeSubDomains';
    if (o.stsPreload) sts += '; preload';
  }
  return (ex) => {
    for (const [k, v] of Object.entries(req)) {
      if (v === '') delete ex.headers[k.toLowerCase()];
      else ex.headers[k.toLowerCase()] = v;
    }
    Object.assign(ex.responseHeaders, security);
    if (sts && (ex.tls || o.forceSTSHeader)) ex.responseHeaders['strict-transport-security'] = sts;
    for (const [k, v] of Object.entries(res)) ex.responseHeaders[k.toLowerCase()] = v === '' ? null : v;
    return true;
  };
}

/** @param {Record<string, any>} o @returns {Middleware} */
function ipAllowList(o) {
  const ranges = /** @type {string[]} */ (o.sourceRange ?? []);
  if (ranges.length === 0) throw new Error('sourceRange is empty, IPAllowLister not created');
  const check = ipChecker(ranges);
  return (ex) => {
    if (check(ex.clientIp)) return true;
    ex.respond(403, { 'content-type': 'text/plain; charset=utf-8' }, 'Forbidden');
    return false;
  };
}

/**
 * Builds a middleware from its configuration. `resolve` builds the members of a chain.
 * Throws when the configuration is invalid or not implemented (the routers using it are then disabled).
 * @param {{ type: string, options: Record<string, any>, unsupported?: string }} conf
 * @param {string} name
 * @param {(ref: string) => Middleware[]} resolveChain
 * @returns {Middleware[]}
 */
export function buildMiddleware(conf, name, resolveChain) {
  if (conf.unsupported) throw new Error(conf.unsupported);
  const o = conf.options;
  switch (conf.type) {
    case 'basicAuth':
      return [basicAuth(o, name)];
    case 'stripPrefix':
      return [stripPrefix(o)];
    case 'addPrefix':
      return [addPrefix(o)];
    case 'redirectScheme':
      return [redirectScheme(o)];
    case 'redirectRegex':
      return [redirectRegex(o)];
    case 'headers':
      return [headers(o)];
    case 'ipAllowList':
      return [ipAllowList(o)];
    case 'chain':
      return /** @type {string[]} */ (o.middlewares ?? []).flatMap((m) => resolveChain(m));
    default:
      throw new Error(`the ${conf.type} middleware is not implemented by the stand-in`);
  }
}
