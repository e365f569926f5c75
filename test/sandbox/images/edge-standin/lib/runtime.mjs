// The runtime configuration: Traefik's internal provider (api, dashboard, ping, entry-point
// redirections, ACME HTTP challenge) merged with the docker provider's configuration, checked the
// way Traefik checks it (router status enabled / warning / disabled with its errors), and turned
// into per-entry-point route tables (plain HTTP and TLS routers apart, highest priority first).

import { log } from './log.mjs';
import { compileRule } from './rules.mjs';
import { buildMiddleware } from './middlewares.mjs';
import { normalize } from './docker-labels.mjs';

const MAX_INT = 9223372036854775807n; // Go's math.MaxInt on 64-bit

/**
 * @typedef {import('./docker-labels.mjs').RouterConf} RouterConf
 * @typedef {import('./docker-labels.mjs').ServiceConf} ServiceConf
 * @typedef {import('./docker-labels.mjs').MiddlewareConf} MiddlewareConf
 * @typedef {import('./docker-labels.mjs').HTTPConf} HTTPConf
 * @typedef {import('./middlewares.mjs').Middleware} Middleware
 * @typedef {import('./static-config.mjs').StaticConfig} StaticConfig
 * @typedef {{ kind: 'lb', name: string, servers: { url: string, weight: number }[], passHostHeader: boolean, pick: () => string }
 *   | { kind: 'internal', name: string }} ServiceTarget
 * @typedef {{
 *   name: string, provider: string, conf: RouterConf & { priority?: number | bigint }, status: string, errors: string[],
 *   using: string[], tls: boolean, priority: bigint, matcher: import('./rules.mjs').Matcher | null,
 *   chain: Middleware[], target: ServiceTarget | null,
 * }} RuntimeRouter
 * @typedef {{ name: string, provider: string, conf: ServiceConf, status: string, errors: string[], usedBy: string[],
 *   target: ServiceTarget | null, internal: boolean }} RuntimeService
 * @typedef {{ name: string, provider: string, conf: MiddlewareConf, status: string, errors: string[], usedBy: string[],
 *   built: Middleware[] | null, error: string }} RuntimeMiddleware
 * @typedef {{ router: RuntimeRouter, priority: bigint }} Route
 * @typedef {{
 *   routers: Map<string, RuntimeRouter>, services: Map<string, RuntimeService>, middlewares: Map<string, RuntimeMiddleware>,
 *   tables: Map<string, { http: Route[], https: Route[] }>, generation: number,
 * }} Runtime
 */

/** @param {string} ref @param {string} provider */
export function qualify(ref, provider) {
  return ref.includes('@') ? ref : `${ref}@${provider}`;
}

/**
 * Traefik's internal provider, from the static configuration.
 * @param {StaticConfig} sc
 * @returns {HTTPConf & { routerPriorities: Record<string, bigint> }}
 */
export function internalConfiguration(sc) {
  /** @type {HTTPConf & { routerPriorities: Record<string, bigint> }} */
  const c = { routers: {}, services: {}, middlewares: {}, routerPriorities: {} };
  if (sc.api.enabled) {
    if (sc.api.insecure) {
      c.routers.api = {
        entryPoints: ['traefik'],
        service: 'api@internal',
        rule: 'PathPrefix(`/api`)',
        ruleSyntax: 'v3',
      };
      c.routerPriorities.api = MAX_INT - 1n;
      if (sc.api.dashboard) {
        c.routers.dashboard = {
          entryPoints: ['traefik'],
          service: 'dashboard@internal',
          rule: 'PathPrefix(`/`)',
          ruleSyntax: 'v3',
          middlewares: ['dashboard_redirect@internal', 'dashboard_stripprefix@internal'],
        };
        c.routerPriorities.dashboard = MAX_INT - 2n;
        c.middlewares.dashboard_redirect = {
          type: 'redirectRegex',
          options: {
            regex: '^(http:\\/\\/(\\[[\\w:.]+\\]|[\\w\\._-]+)(:\\d+)?)\\/$',
            replacement: '${1}/dashboard/',
            permanent: true,
          },
        };
        c.middlewares.dashboard_stripprefix = {
          type: 'stripPrefix',
          options: { prefixes: ['/dashboard/', '/dashboard'] },
        };
      }
    }
    c.services.api = {};
    if (sc.api.dashboard) c.services.dashboard = {};
  }
  if (sc.ping.enabled) {
    if (!sc.ping.manualRouting) {
      c.routers.ping = {
        entryPoints: [sc.ping.entryPoint],
        service: 'ping@internal',
        rule: 'PathPrefix(`/ping`)',
        ruleSyntax: 'v3',
      };
      c.routerPriorities.ping = MAX_INT;
    }
    c.services.ping = {};
  }
  for (const [name, ep] of sc.entryPoints) {
    if (!ep.redirect) continue;
    let port;
    const m = /^:(\d+)$/.exec(ep.redirect.to);
    if (m) port = String(m[1]);
    else {
      const dst = sc.entryPoints.get(ep.redirect.to);
      if (!dst) {
        log.error(`'to' entry point field references a non-existing entry point: ${ep.redirect.to}`, {
          entryPointName: name,
        });
        continue;
      }
      port = String(dst.port);
    }
    const rt = normalize(`${name}-to-${ep.redirect.to}`);
    c.routers[rt] = {
      rule: 'HostRegexp(`^.+$`)',
      ruleSyntax: 'v3',
      entryPoints: [name],
      middlewares: [`redirect-${rt}`],
      service: 'noop@internal',
      priority: ep.redirect.priority,
    };
    c.routerPriorities[rt] = BigInt(ep.redirect.priority);
    c.middlewares[`redirect-${rt}`] = {
      type: 'redirectScheme',
      options: { scheme: ep.redirect.scheme, port, permanent: ep.redirect.permanent },
    };
  }
  const acmeEps = [
    ...new Set([...sc.resolvers.values()].map((r) => r.httpChallengeEntryPoint).filter(Boolean)),
  ];
  if (acmeEps.length > 0) {
    c.routers['acme-http'] = {
      rule: 'PathPrefix(`/.well-known/acme-challenge/`)',
      ruleSyntax: 'v3',
      entryPoints: acmeEps,
      service: 'acme-http@internal',
    };
    c.routerPriorities['acme-http'] = MAX_INT;
    c.services['acme-http'] = {};
  }
  c.services.noop = {};
  return c;
}

/** Entry points used by routers that name none: asDefault ones, else all but `traefik`. @param {StaticConfig} sc */
export function defaultEntryPoints(sc) {
  const all = [...sc.entryPoints.values()];
  const marked = all.filter((e) => e.asDefault).map((e) => e.name);
  if (marked.length) return marked;
  return all.map((e) => e.name).filter((n) => n !== 'traefik');
}

/** Smooth weighted round robin over the servers. @param {{ url: string, weight: number }[]} servers */
function picker(servers) {
  const current = servers.map(() => 0);
  const total = servers.reduce((s, x) => s + x.weight, 0);
  return () => {
    let best = 0;
    for (let i = 0; i < servers.length; i++) {
      current[i] = /** @type {number} */ (current[i]) + /** @type {{ weight: number }} */ (servers[i]).weight;
      if (/** @type {number} */ (current[i]) > /** @type {number} */ (current[best])) best = i;
    }
    current[best] = /** @type {number} */ (current[best]) - total;
    return /** @type {{ url: string }} */ (servers[best]).url;
  };
}

let generation = 0;

/**
 * @param {StaticConfig} sc
 * @param {HTTPConf} docker
 * @returns {Runtime}
 */
export function buildRuntime(sc, docker) {
  const internal = internalConfiguration(sc);
  const defaults = defaultEntryPoints(sc);

  /** @type {Map<string, RuntimeService>} */
  const services = new Map();
  /** @type {Map<string, RuntimeMiddleware>} */
  const middlewares = new Map();
  /** @type {Map<string, RuntimeRouter>} */
  const routers = new Map();

  for (const [provider, conf] of /** @type {[string, HTTPConf][]} */ ([
    ['internal', internal],
    ['docker', docker],
  ])) {
    for (const [name, s] of Object.entries(conf.services)) {
      const qn = `${name}@${provider}`;
      /** @type {RuntimeService} */
      const rs = {
        name: qn,
        provider,
        conf: s,
        status: 'enabled',
        errors: [],
        usedBy: [],
        target: null,
        internal: provider === 'internal',
      };
      if (provider === 'internal') rs.target = { kind: 'internal', name };
      else if (s.unsupported) {
        rs.status = 'disabled';
        rs.errors.push(s.unsupported);
      } else if (!s.loadBalancer || s.loadBalancer.servers.length === 0) {
        rs.status = 'disabled';
        rs.errors.push('the service is missing servers');
      } else {
        const servers = s.loadBalancer.servers.map((x) => ({ url: String(x.url), weight: x.weight ?? 1 }));
        rs.target = {
          kind: 'lb',
          name: qn,
          servers,
          passHostHeader: s.loadBalancer.passHostHeader,
          pick: picker(servers),
        };
      }
      services.set(qn, rs);
    }
    for (const [name, m] of Object.entries(conf.middlewares)) {
      const qn = `${name}@${provider}`;
      middlewares.set(qn, {
        name: qn,
        provider,
        conf: m,
        status: 'enabled',
        errors: [],
        usedBy: [],
        built: null,
        error: '',
      });
    }
  }

  // Builds a middleware once; chains resolve their members relative to their own provider.
  /** @param {string} qn @param {string[]} stack @returns {Middleware[]} */
  const buildMw = (qn, stack) => {
    const m = middlewares.get(qn);
    if (!m) throw new Error(`middleware "${qn}" does not exist`);
    if (stack.includes(qn))
      throw new Error(
        `could not instantiate middleware ${qn}: recursion detected in ${[...stack, qn].join('->')}`,
      );
    if (m.built) return m.built;
    if (m.error) throw new Error(m.error);
    try {
      m.built = buildMiddleware(m.conf, qn, (ref) => buildMw(qualify(ref, m.provider), [...stack, qn]));
      return m.built;
    } catch (e) {
      m.error = /** @type {Error} */ (e).message;
      m.status = 'disabled';
      if (!m.errors.includes(m.error)) m.errors.push(m.error);
      throw e;
    }
  };

  // Routers: default entry points, then entry-point models (http.tls / http.middlewares), which
  // split a router with several entry points into `<ep>-<name>` routers, as Traefik does.
  for (const [
    provider,
    conf,
  ] of /** @type {[string, HTTPConf & { routerPriorities?: Record<string, bigint> }][]} */ ([
    ['internal', internal],
    ['docker', docker],
  ])) {
    for (const [name, r0] of Object.entries(conf.routers)) {
      const eps = r0.entryPoints && r0.entryPoints.length ? r0.entryPoints : defaults;
      /** @type {[string, RouterConf][]} */
      const split = [];
      /** @type {string[]} */
      const plain = [];
      for (const ep of eps) {
        const model = sc.entryPoints.get(ep);
        if (model && (model.tls || model.middlewares.length)) {
          /** @type {RouterConf} */
          const cp = { ...r0, entryPoints: [ep] };
          if (!cp.tls && model.tls) {
            cp.tls = {};
            if (model.tls.certResolver) cp.tls.certResolver = model.tls.certResolver;
            if (model.tls.options) cp.tls.options = model.tls.options;
          }
          cp.middlewares = [...model.middlewares, ...(r0.middlewares ?? [])];
          split.push([eps.length > 1 ? `${ep}-${name}` : name, cp]);
        } else plain.push(ep);
      }
      if (plain.length) split.push([name, { ...r0, entryPoints: plain }]);
      for (const [rname, r] of split) {
        const qn = `${rname}@${provider}`;
        const explicit = conf.routerPriorities?.[name];
        /** @type {RuntimeRouter} */
        const rr = {
          name: qn,
          provider,
          conf: r,
          status: 'enabled',
          errors: [],
          using: [],
          tls: Boolean(r.tls),
          priority: explicit ?? (r.priority ? BigInt(r.priority) : BigInt((r.rule ?? '').length)),
          matcher: null,
          chain: [],
          target: null,
        };
        if (explicit !== undefined) rr.conf = { ...r, priority: explicit };
        routers.set(qn, rr);
      }
    }
  }

  for (const rr of routers.values()) {
    const r = rr.conf;
    /** @param {string} msg @param {boolean} critical */
    const fail = (msg, critical) => {
      rr.errors.push(msg);
      if (critical) rr.status = 'disabled';
      else if (rr.status === 'enabled') rr.status = 'warning';
    };
    for (const ep of r.entryPoints ?? []) {
      if (sc.entryPoints.has(ep)) rr.using.push(ep);
      else fail(`entryPoint "${ep}" doesn't exist`, false);
    }
    if (rr.using.length === 0) fail('no valid entryPoint for this router', true);
    rr.using.sort();

    const sref = qualify(r.service ?? '', rr.provider);
    const svc = services.get(sref);
    if (!svc) fail(`the service "${sref}" does not exist`, true);
    else {
      svc.usedBy.push(rr.name);
      if (!svc.target) fail(`the service "${sref}" is not usable: ${svc.errors.join(', ')}`, true);
      else rr.target = svc.target;
    }

    for (const ref of r.middlewares ?? []) {
      const mq = qualify(ref, rr.provider);
      const m = middlewares.get(mq);
      if (m) m.usedBy.push(rr.name);
      try {
        rr.chain.push(...buildMw(mq, []));
      } catch (e) {
        fail(/** @type {Error} */ (e).message, true);
      }
    }

    try {
      rr.matcher = compileRule(r.rule ?? '', r.ruleSyntax || sc.defaultRuleSyntax);
    } catch (e) {
      fail(`error while adding rule ${r.rule ?? ''}: ${/** @type {Error} */ (e).message}`, true);
    }

    if (rr.tls && r.tls?.certResolver && !sc.resolvers.has(r.tls.certResolver)) {
      log.error('Router uses a nonexistent certificate resolver', {
        routerName: rr.name,
        certificateResolver: r.tls.certResolver,
      });
    }
    if (rr.status === 'disabled') {
      log.error(rr.errors.join('; '), {
        routerName: rr.name,
        entryPointName: (r.entryPoints ?? []).join(','),
      });
    }
  }
  for (const s of services.values()) s.usedBy.sort();
  for (const m of middlewares.values()) m.usedBy.sort();

  /** @type {Map<string, { http: Route[], https: Route[] }>} */
  const tables = new Map();
  for (const name of sc.entryPoints.keys()) tables.set(name, { http: [], https: [] });
  for (const rr of routers.values()) {
    if (rr.status === 'disabled' || !rr.matcher || !rr.target) continue;
    for (const ep of rr.using) {
      const t = tables.get(ep);
      if (t) (rr.tls ? t.https : t.http).push({ router: rr, priority: rr.priority });
    }
  }
  for (const t of tables.values()) {
    for (const list of [t.http, t.https]) {
      list.sort((a, b) =>
        a.priority === b.priority
          ? a.router.name < b.router.name
            ? -1
            : 1
          : a.priority > b.priority
            ? -1
            : 1,
      );
    }
  }
  return { routers, services, middlewares, tables, generation: ++generation };
}
