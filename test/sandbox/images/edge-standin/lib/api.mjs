// api@internal: Traefik's HTTP API, same paths and field names: /api/http/routers[/{name}],
// /api/http/services[/{name}], /api/http/middlewares[/{name}], /api/rawdata, /api/overview,
// /api/entrypoints[/{name}], /api/version, and empty lists for /api/tcp/* and /api/udp/*.
// Lists are sorted by name and paginated (page, per_page, X-Next-Page) and filtered (search,
// status, serviceName, middlewareName) as Traefik's are.

import { VERSION, CODENAME } from './version.mjs';

/** JSON with big integers (Traefik's priorities) written exactly. @param {unknown} v */
export function toJSON(v) {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `__bigint__${x}__` : x)).replace(
    /"__bigint__(-?\d+)__"/g,
    '$1',
  );
}

/** @param {string} name */
const providerOf = (name) => name.slice(name.lastIndexOf('@') + 1);

/** @param {import('./runtime.mjs').RuntimeRouter} r */
export function routerRepresentation(r) {
  const c = r.conf;
  /** @type {Record<string, unknown>} */
  const out = {
    entryPoints: c.entryPoints ?? [],
    ...(c.middlewares && c.middlewares.length ? { middlewares: c.middlewares } : {}),
    service: c.service ?? '',
    rule: c.rule ?? '',
    ...(c.ruleSyntax ? { ruleSyntax: c.ruleSyntax } : {}),
    ...(c.priority ? { priority: c.priority } : {}),
    ...(c.tls
      ? {
          tls: {
            options: c.tls.options || 'default',
            ...(c.tls.certResolver ? { certResolver: c.tls.certResolver } : {}),
            ...(c.tls.domains ? { domains: c.tls.domains } : {}),
          },
        }
      : {}),
    ...(r.errors.length ? { error: r.errors } : {}),
    status: r.status,
    ...(r.using.length ? { using: r.using } : {}),
    name: r.name,
    provider: providerOf(r.name),
  };
  return out;
}

/** @param {import('./runtime.mjs').RuntimeService} s */
export function serviceRepresentation(s) {
  /** @type {Record<string, unknown>} */
  const out = {};
  const lb = s.conf.loadBalancer;
  if (lb) {
    const { servers, passHostHeader, ...rest } = lb;
    out.loadBalancer = {
      servers: servers.map((x) => ({ url: x.url, ...(x.weight !== undefined ? { weight: x.weight } : {}) })),
      passHostHeader,
      responseForwarding: { flushInterval: '100ms' },
      ...rest,
    };
  }
  if (s.errors.length) out.error = s.errors;
  out.status = s.status;
  if (s.usedBy.length) out.usedBy = s.usedBy;
  if (lb && s.status !== 'disabled')
    out.serverStatus = Object.fromEntries(lb.servers.map((x) => [String(x.url), 'UP']));
  out.name = s.name;
  out.provider = s.provider;
  if (lb) out.type = 'loadbalancer';
  return out;
}

/** @param {import('./runtime.mjs').RuntimeMiddleware} m */
export function middlewareRepresentation(m) {
  /** @type {Record<string, unknown>} */
  const out = { [m.conf.type]: m.conf.options };
  if (m.errors.length) out.error = m.errors;
  out.status = m.status;
  if (m.usedBy.length) out.usedBy = m.usedBy;
  out.name = m.name;
  out.provider = m.provider;
  out.type = m.conf.type.toLowerCase();
  return out;
}

/** @param {import('./static-config.mjs').EntryPoint} ep */
function entryPointRepresentation(ep) {
  /** @type {Record<string, unknown>} */
  const http = {};
  if (ep.redirect)
    http.redirections = {
      entryPoint: {
        to: ep.redirect.to,
        scheme: ep.redirect.scheme,
        permanent: ep.redirect.permanent,
        priority: ep.redirect.priority,
      },
    };
  if (ep.tls)
    http.tls = {
      ...(ep.tls.options ? { options: ep.tls.options } : {}),
      ...(ep.tls.certResolver ? { certResolver: ep.tls.certResolver } : {}),
    };
  if (ep.middlewares.length) http.middlewares = ep.middlewares;
  return {
    address: ep.address,
    transport: {
      lifeCycle: { graceTimeOut: '10s' },
      respondingTimeouts: {
        readTimeout: `${ep.readTimeoutMs / 1000}s`,
        idleTimeout: `${ep.idleTimeoutMs / 1000}s`,
      },
    },
    forwardedHeaders: {
      ...(ep.forwardedHeaders.insecure ? { insecure: true } : {}),
      ...(ep.forwardedHeaders.trustedIPs.length ? { trustedIPs: ep.forwardedHeaders.trustedIPs } : {}),
    },
    http,
    ...(ep.asDefault ? { asDefault: true } : {}),
    name: ep.name,
  };
}

/**
 * @param {string} status
 * @param {string[]} errors
 */
const counts = (/** @type {{ status: string }[]} */ items) => ({
  total: items.length,
  warnings: items.filter((i) => i.status === 'warning').length,
  errors: items.filter((i) => i.status === 'disabled').length,
});

/**
 * Answers an API request. Returns [status, headers, body].
 * @param {string} path path without query, e.g. /api/http/routers
 * @param {URLSearchParams} query
 * @param {import('./runtime.mjs').Runtime} rt
 * @param {import('./static-config.mjs').StaticConfig} sc
 * @param {Date} startDate
 * @returns {[number, Record<string, string>, string]}
 */
export function handleApi(path, query, rt, sc, startDate) {
  const json = (/** @type {unknown} */ v, status = 200, extra = {}) =>
    /** @type {[number, Record<string, string>, string]} */ ([
      status,
      { 'content-type': 'application/json', ...extra },
      toJSON(v) + '\n',
    ]);
  const notFound = (/** @type {string} */ msg) => json({ message: msg }, 404);

  /**
   * @template T
   * @param {[string, T][]} items
   * @param {(v: T) => Record<string, unknown>} repr
   * @param {(name: string, v: Record<string, unknown>) => boolean} keep
   */
  const list = (items, repr, keep) => {
    let out = items
      .map(([n, v]) => /** @type {[string, Record<string, unknown>]} */ ([n, repr(v)]))
      .filter(([n, v]) => keep(n, v));
    const sortBy = query.get('sortBy') || 'name';
    const dir = query.get('direction') === 'desc' ? -1 : 1;
    out.sort((a, b) => {
      const x = String(a[1][sortBy] ?? a[0]);
      const y = String(b[1][sortBy] ?? b[0]);
      return (x < y ? -1 : x > y ? 1 : a[0] < b[0] ? -1 : 1) * dir;
    });
    const perPage = Number(query.get('per_page') || 100);
    const page = Number(query.get('page') || 1);
    if (!(perPage > 0) || !(page > 0)) return json({ message: 'invalid request: page or per_page' }, 400);
    const start = (page - 1) * perPage;
    if (start >= out.length && out.length > 0)
      return json({ message: `invalid request: page: ${page}, per_page: ${perPage}` }, 400);
    const next = start + perPage < out.length ? page + 1 : 1;
    out = out.slice(start, start + perPage);
    return json(
      out.map(([, v]) => v),
      200,
      { 'x-next-page': String(next) },
    );
  };
  const search = (query.get('search') ?? '').toLowerCase();
  const statusFilter = query.get('status') ?? '';
  const basicKeep = (
    /** @type {string} */ name,
    /** @type {Record<string, unknown>} */ v,
    /** @type {string[]} */ extra = [],
  ) =>
    (!statusFilter || v.status === statusFilter) &&
    (!search || [name, ...extra].some((s) => s.toLowerCase().includes(search)));

  let m;
  if (path === '/api/http/routers') {
    const svc = query.get('serviceName') ?? '';
    const mw = query.get('middlewareName') ?? '';
    return list(
      [...rt.routers],
      routerRepresentation,
      (n, v) =>
        basicKeep(n, v, [String(v.rule)]) &&
        (!svc || v.service === svc) &&
        (!mw || /** @type {string[]} */ (v.middlewares ?? []).includes(mw)),
    );
  }
  if ((m = /^\/api\/http\/routers\/(.+)$/.exec(path))) {
    const r = rt.routers.get(decodeURIComponent(String(m[1])));
    return r ? json(routerRepresentation(r)) : notFound(`router not found: ${m[1]}`);
  }
  if (path === '/api/http/services')
    return list([...rt.services], serviceRepresentation, (n, v) => basicKeep(n, v));
  if ((m = /^\/api\/http\/services\/(.+)$/.exec(path))) {
    const s = rt.services.get(decodeURIComponent(String(m[1])));
    return s ? json(serviceRepresentation(s)) : notFound(`service not found: ${m[1]}`);
  }
  if (path === '/api/http/middlewares')
    return list([...rt.middlewares], middlewareRepresentation, (n, v) => basicKeep(n, v));
  if ((m = /^\/api\/http\/middlewares\/(.+)$/.exec(path))) {
    const x = rt.middlewares.get(decodeURIComponent(String(m[1])));
    return x ? json(middlewareRepresentation(x)) : notFound(`middleware not found: ${m[1]}`);
  }
  if (/^\/api\/(tcp\/(routers|services|middlewares)|udp\/(routers|services))$/.test(path))
    return json([], 200, { 'x-next-page': '1' });
  if ((m = /^\/api\/(tcp|udp)\/(routers|services|middlewares)\/(.+)$/.exec(path)))
    return notFound(`${m[2]?.slice(0, -1)} not found: ${m[3]}`);
  if (path === '/api/entrypoints') {
    return list([...sc.entryPoints], entryPointRepresentation, () => true);
  }
  if ((m = /^\/api\/entrypoints\/(.+)$/.exec(path))) {
    const ep = sc.entryPoints.get(decodeURIComponent(String(m[1])));
    return ep ? json(entryPointRepresentation(ep)) : notFound(`entry point not found: ${m[1]}`);
  }
  if (path === '/api/rawdata') {
    const strip = (/** @type {Record<string, unknown>} */ v) => {
      const { name: _n, provider: _p, type: _t, ...rest } = v;
      return rest;
    };
    return json({
      routers: Object.fromEntries([...rt.routers].map(([n, r]) => [n, strip(routerRepresentation(r))])),
      middlewares: Object.fromEntries(
        [...rt.middlewares].map(([n, x]) => [n, strip(middlewareRepresentation(x))]),
      ),
      services: Object.fromEntries([...rt.services].map(([n, s]) => [n, strip(serviceRepresentation(s))])),
    });
  }
  if (path === '/api/overview') {
    const zero = { total: 0, warnings: 0, errors: 0 };
    return json({
      http: {
        routers: counts([...rt.routers.values()]),
        services: counts([...rt.services.values()]),
        middlewares: counts([...rt.middlewares.values()]),
      },
      tcp: { routers: zero, services: zero, middlewares: zero },
      udp: { routers: zero, services: zero },
      features: { tracing: '', metrics: '', accessLog: sc.accessLog.enabled },
      providers: sc.docker.enabled ? ['Docker'] : [],
    });
  }
  if (path === '/api/version') {
    return json({
      Version: VERSION,
      Codename: CODENAME,
      startDate: startDate.toISOString(),
      'stand-in': true,
    });
  }
  return [
    404,
    { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
    '404 page not found\n',
  ];
}
