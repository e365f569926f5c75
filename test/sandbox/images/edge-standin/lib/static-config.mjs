// Traefik's static configuration, read from command-line flags the way the real `traefik` binary
// reads them (`--entrypoints.web.address=:80`, `--providers.docker.exposedbydefault=false`, ...),
// with Traefik's defaults. Field names are case-insensitive (`--entryPoints.web.address` works);
// entry point and resolver names keep their case. Flags the stand-in does not know are logged and
// ignored, so the production command line runs unchanged. When no flag is given, TRAEFIK_* environment
// variables are read instead (as Traefik does: the sources are exclusive).

import { existsSync } from 'node:fs';

/**
 * @typedef {{ to: string, scheme: string, permanent: boolean, priority: number }} EntryPointRedirect
 * @typedef {{ certResolver: string, options: string }} EntryPointTLS
 * @typedef {{
 *   name: string, address: string, host: string, port: number, asDefault: boolean,
 *   redirect: EntryPointRedirect | null, tls: EntryPointTLS | null, middlewares: string[],
 *   forwardedHeaders: { insecure: boolean, trustedIPs: string[] },
 *   idleTimeoutMs: number, readTimeoutMs: number,
 * }} EntryPoint
 * @typedef {{
 *   enabled: boolean, exposedByDefault: boolean, network: string, endpoint: string, watch: boolean,
 *   defaultRule: string, constraints: string, allowEmptyServices: boolean,
 * }} DockerProviderConfig
 * @typedef {{ email: string, storage: string, httpChallengeEntryPoint: string, tlsChallenge: boolean }} AcmeConfig
 * @typedef {{
 *   entryPoints: Map<string, EntryPoint>,
 *   docker: DockerProviderConfig,
 *   api: { enabled: boolean, insecure: boolean, dashboard: boolean, debug: boolean },
 *   ping: { enabled: boolean, entryPoint: string, manualRouting: boolean, terminatingStatusCode: number },
 *   log: { level: string, format: string },
 *   accessLog: { enabled: boolean, format: string },
 *   resolvers: Map<string, AcmeConfig>,
 *   defaultRuleSyntax: string,
 *   serversTransport: { insecureSkipVerify: boolean },
 *   notices: string[],
 *   flags: Map<string, string>,
 * }} StaticConfig
 */

export const DEFAULT_RULE = 'Host(`{{ normalize .Name }}`)';
const MAX_INT32 = 2147483647;

// Flags the stand-in understands (canonical: lower case, NAME = an entry point / resolver name).
const KNOWN = [
  /^entrypoints\.[^.]+\.(address|asdefault)$/,
  /^entrypoints\.[^.]+\.http\.redirections\.entrypoint\.(to|scheme|permanent|priority)$/,
  /^entrypoints\.[^.]+\.http\.tls(\.(certresolver|options))?$/,
  /^entrypoints\.[^.]+\.http\.middlewares$/,
  /^entrypoints\.[^.]+\.forwardedheaders\.(insecure|trustedips)$/,
  /^entrypoints\.[^.]+\.transport\.respondingtimeouts\.(readtimeout|idletimeout|writetimeout)$/,
  /^providers\.docker(\.(exposedbydefault|network|endpoint|watch|defaultrule|allowemptyservices))?$/,
  /^providers\.providersthrottleduration$/,
  /^api(\.(dashboard|insecure|debug|disabledashboardad))?$/,
  /^ping(\.(entrypoint|manualrouting|terminatingstatuscode))?$/,
  /^log(\.(level|format|nocolor))?$/,
  /^accesslog(\.(format|bufferingsize))?$/,
  /^certificatesresolvers\.[^.]+\.acme\.(email|storage|httpchallenge|httpchallenge\.entrypoint|tlschallenge|caserver|keytype|certificatesduration)$/,
  /^global\.(checknewversion|sendanonymoususage)$/,
  /^core\.defaultrulesyntax$/,
  /^serverstransport\.insecureskipverify$/,
];
// Real Traefik options that change behaviour but that the stand-in does not reproduce.
const KNOWN_NOT_IMPLEMENTED = [
  [/^entrypoints\.[^.]+\.proxyprotocol\./, 'PROXY protocol'],
  [/^entrypoints\.[^.]+\.http3/, 'HTTP/3'],
  [/^entrypoints\.[^.]+\.http2\./, 'HTTP/2 (the stand-in speaks HTTP/1.1 only)'],
  [/^entrypoints\.[^.]+\.http\.tls\.domains/, 'TLS domains on entry points'],
  [/^entrypoints\.[^.]+\.udp\./, 'UDP entry points'],
  [/^providers\.docker\.constraints$/, 'docker provider constraints (ALL enabled containers are considered)'],
  [
    /^providers\.docker\.(usebindportip|tls\.|httpclienttimeout|username|password)/,
    'this docker provider option',
  ],
  [/^providers\.(file|swarm|kubernetes|rest|http|redis|consul|etcd|zookeeper|ecs|nomad)/, 'this provider'],
  [/^certificatesresolvers\.[^.]+\.acme\.dnschallenge/, 'ACME DNS challenge'],
  [
    /^(metrics|tracing|experimental|hub|pilot|hostresolver|serverstransport\.|tcpserverstransport)/,
    'this option',
  ],
  [/^accesslog\.(filepath|filters|fields)/, 'this access-log option (access log goes to stdout)'],
  [/^log\.(filepath|maxsize|maxage|maxbackups|compress)/, 'this log option (logs go to stdout/stderr)'],
  [/^api\.basepath$/, 'api.basePath'],
];

/** Go's strconv.ParseBool. @param {string | undefined} v @param {boolean} def */
export function parseBool(v, def) {
  if (v === undefined) return def;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  return def;
}

/** A Go duration ("60s", "1m30s", "500ms") or bare seconds, in milliseconds. @param {string | undefined} v @param {number} defMs */
export function parseDuration(v, defMs) {
  if (v === undefined || v === '') return defMs;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const units = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let m;
  let consumed = 0;
  while ((m = re.exec(v))) {
    total += Number(m[1]) * units[/** @type {keyof typeof units} */ (m[2])];
    consumed += m[0].length;
  }
  return consumed === v.length ? total : defMs;
}

/**
 * The canonical form of a flag name: lower case, except the names of entry points and resolvers.
 * @param {string} raw
 */
export function canonicalKey(raw) {
  const parts = raw.split('.');
  return parts
    .map((p, i) => {
      const section = (parts[0] ?? '').toLowerCase();
      if (i === 1 && (section === 'entrypoints' || section === 'certificatesresolvers')) return p;
      return p.toLowerCase();
    })
    .join('.');
}

/**
 * Reads `--a.b=c`, `--a.b c` (for non-boolean leaves) and bare boolean flags (`--api.insecure`).
 * @param {string[]} argv
 * @returns {{ flags: Map<string, string>, rest: string[] }}
 */
export function parseFlags(argv) {
  /** @type {Map<string, string>} */
  const flags = new Map();
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = /** @type {string} */ (argv[i]);
    if (!a.startsWith('-') || a === '-' || a === '--') {
      rest.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    if (eq >= 0) {
      flags.set(canonicalKey(body.slice(0, eq)), body.slice(eq + 1));
      continue;
    }
    const key = canonicalKey(body);
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('-') && takesValue(key)) {
      flags.set(key, next);
      i++;
    } else {
      flags.set(key, 'true');
    }
  }
  return { flags, rest };
}

/** Is this flag a non-boolean leaf (so `--key value` means key=value)? @param {string} key */
function takesValue(key) {
  return /(\.address|\.to|\.scheme|\.priority|\.certresolver|\.options|\.middlewares|\.trustedips|timeout|\.network|\.endpoint|\.defaultrule|\.constraints|\.level|\.format|\.email|\.storage|\.entrypoint|\.caserver|\.keytype|\.terminatingstatuscode|\.defaultrulesyntax|configfile)$/.test(
    key,
  );
}

/** TRAEFIK_LOG_LEVEL=DEBUG -> log.level=DEBUG. @param {NodeJS.ProcessEnv} env */
export function flagsFromEnv(env) {
  /** @type {Map<string, string>} */
  const flags = new Map();
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('TRAEFIK_') || v === undefined) continue;
    flags.set(canonicalKey(k.slice('TRAEFIK_'.length).replace(/_/g, '.')), v);
  }
  return flags;
}

/**
 * `[host]:port[/tcp|/udp]`
 * @param {string} address
 */
export function parseAddress(address) {
  const m = /^(.*):(\d+)(?:\/(tcp|udp))?$/i.exec(address.trim());
  if (!m) return null;
  let host = m[1] ?? '';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(m[2]), proto: (m[3] ?? 'tcp').toLowerCase() };
}

/**
 * Builds the effective static configuration (Traefik's defaults applied).
 * @param {Map<string, string>} flags
 * @returns {StaticConfig}
 */
export function buildStaticConfig(flags) {
  /** @type {string[]} */
  const notices = [];
  const get = (/** @type {string} */ k) => flags.get(k);
  // A section is on when set to true or when any of its options is set (as in Traefik).
  const section = (/** @type {string} */ k) => {
    if (flags.has(k)) return parseBool(flags.get(k), true);
    for (const key of flags.keys()) if (key.startsWith(k + '.')) return true;
    return false;
  };

  for (const key of flags.keys()) {
    if (key === 'configfile') {
      throw new Error(
        'the stand-in reads its configuration from command-line flags (or TRAEFIK_* variables) only, not from --configFile',
      );
    }
    if (KNOWN.some((re) => re.test(key))) continue;
    const ni = KNOWN_NOT_IMPLEMENTED.find(([re]) => /** @type {RegExp} */ (re).test(key));
    if (ni) notices.push(`flag --${key} ignored: ${ni[1]} is not implemented by the stand-in`);
    else notices.push(`flag --${key} ignored: unknown to the stand-in`);
  }

  /** @type {Map<string, EntryPoint>} */
  const entryPoints = new Map();
  const epNames = new Set();
  for (const key of flags.keys()) {
    const m = /^entrypoints\.([^.]+)\./.exec(key);
    if (m && m[1]) epNames.add(m[1]);
  }
  for (const name of epNames) {
    const p = `entrypoints.${name}.`;
    const address = get(p + 'address');
    if (!address) {
      notices.push(`entry point ${name} has no address: ignored`);
      continue;
    }
    const parsed = parseAddress(address);
    if (!parsed) {
      notices.push(`entry point ${name}: invalid address ${address}: ignored`);
      continue;
    }
    if (parsed.proto === 'udp') {
      notices.push(`entry point ${name} (${address}) is UDP: not implemented by the stand-in, ignored`);
      continue;
    }
    const to = get(p + 'http.redirections.entrypoint.to');
    const tlsOn =
      section(p.slice(0, -1) + '.http.tls') ||
      get(p + 'http.tls.certresolver') !== undefined ||
      get(p + 'http.tls.options') !== undefined;
    entryPoints.set(name, {
      name,
      address,
      host: parsed.host,
      port: parsed.port,
      asDefault: parseBool(get(p + 'asdefault'), false),
      redirect: to
        ? {
            to,
            scheme: get(p + 'http.redirections.entrypoint.scheme') || 'https',
            permanent: parseBool(get(p + 'http.redirections.entrypoint.permanent'), true),
            priority: Number(get(p + 'http.redirections.entrypoint.priority') ?? MAX_INT32 - 1),
          }
        : null,
      tls: tlsOn
        ? { certResolver: get(p + 'http.tls.certresolver') ?? '', options: get(p + 'http.tls.options') ?? '' }
        : null,
      middlewares: splitList(get(p + 'http.middlewares')),
      forwardedHeaders: {
        insecure: parseBool(get(p + 'forwardedheaders.insecure'), false),
        trustedIPs: splitList(get(p + 'forwardedheaders.trustedips')),
      },
      idleTimeoutMs: parseDuration(get(p + 'transport.respondingtimeouts.idletimeout'), 180000),
      readTimeoutMs: parseDuration(get(p + 'transport.respondingtimeouts.readtimeout'), 60000),
    });
  }
  // No entry point at all: Traefik listens on :80 as "http".
  if (entryPoints.size === 0) entryPoints.set('http', defaultEntryPoint('http', ':80'));

  const api = {
    enabled: section('api'),
    insecure: parseBool(get('api.insecure'), false),
    dashboard: parseBool(get('api.dashboard'), true),
    debug: parseBool(get('api.debug'), false),
  };
  const ping = {
    enabled: section('ping'),
    entryPoint: get('ping.entrypoint') || 'traefik',
    manualRouting: parseBool(get('ping.manualrouting'), false),
    terminatingStatusCode: Number(get('ping.terminatingstatuscode') ?? 503),
  };
  // The "traefik" entry point (:8080) is created when something internal needs it.
  if (
    !entryPoints.has('traefik') &&
    ((api.enabled && api.insecure) || (ping.enabled && !ping.manualRouting && ping.entryPoint === 'traefik'))
  ) {
    entryPoints.set('traefik', defaultEntryPoint('traefik', ':8080'));
  }

  /** @type {Map<string, AcmeConfig>} */
  const resolvers = new Map();
  for (const key of flags.keys()) {
    const m = /^certificatesresolvers\.([^.]+)\./.exec(key);
    if (!m || !m[1] || resolvers.has(m[1])) continue;
    const p = `certificatesresolvers.${m[1]}.acme.`;
    resolvers.set(m[1], {
      email: get(p + 'email') ?? '',
      storage: get(p + 'storage') ?? 'acme.json',
      httpChallengeEntryPoint: get(p + 'httpchallenge.entrypoint') ?? '',
      tlsChallenge: section(p + 'tlschallenge'),
    });
  }

  return {
    entryPoints,
    docker: {
      enabled: section('providers.docker'),
      exposedByDefault: parseBool(get('providers.docker.exposedbydefault'), true),
      network: get('providers.docker.network') ?? '',
      endpoint: get('providers.docker.endpoint') || 'unix:///var/run/docker.sock',
      watch: parseBool(get('providers.docker.watch'), true),
      defaultRule: get('providers.docker.defaultrule') || DEFAULT_RULE,
      constraints: get('providers.docker.constraints') ?? '',
      allowEmptyServices: parseBool(get('providers.docker.allowemptyservices'), false),
    },
    api,
    ping,
    log: { level: get('log.level') || 'ERROR', format: get('log.format') || 'common' },
    accessLog: { enabled: section('accesslog'), format: get('accesslog.format') || 'common' },
    resolvers,
    defaultRuleSyntax: get('core.defaultrulesyntax') || 'v3',
    serversTransport: { insecureSkipVerify: parseBool(get('serverstransport.insecureskipverify'), false) },
    notices,
    flags,
  };
}

/** @param {string} name @param {string} address @returns {EntryPoint} */
function defaultEntryPoint(name, address) {
  const parsed = /** @type {{ host: string, port: number }} */ (parseAddress(address));
  return {
    name,
    address,
    host: parsed.host,
    port: parsed.port,
    asDefault: false,
    redirect: null,
    tls: null,
    middlewares: [],
    forwardedHeaders: { insecure: false, trustedIPs: [] },
    idleTimeoutMs: 180000,
    readTimeoutMs: 60000,
  };
}

/** Comma-separated list, as Traefik's flag and label parser splits it. @param {string | undefined} v */
export function splitList(v) {
  if (v === undefined) return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Reads the static configuration the way the `traefik` binary does: flags if any, else TRAEFIK_*.
 * @param {string[]} argv
 * @param {NodeJS.ProcessEnv} env
 */
export function loadStaticConfig(argv, env) {
  const { flags } = parseFlags(argv);
  if (flags.size > 0) return buildStaticConfig(flags);
  const fromEnv = flagsFromEnv(env);
  if (fromEnv.size === 0) {
    for (const f of ['/etc/traefik/traefik.yml', '/etc/traefik/traefik.yaml', '/etc/traefik/traefik.toml']) {
      if (existsSync(f)) {
        throw new Error(`${f} exists, but the stand-in reads flags or TRAEFIK_* variables only, not a file`);
      }
    }
  }
  return buildStaticConfig(fromEnv);
}
