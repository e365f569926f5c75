// Unit checks of the Traefik stand-in's parts (rules, flags, labels, htpasswd, runtime), with no
// Docker. Run by selftest.sh inside the image (`node /src/unit.mjs`); prints `ok - ...` /
// `not ok - ...` lines and exits 1 on a failure.

import { compileRule } from './lib/rules.mjs';
import { buildStaticConfig, parseFlags } from './lib/static-config.mjs';
import { buildConfiguration } from './lib/docker-config.mjs';
import { decodeLabels, normalize } from './lib/docker-labels.mjs';
import { checkSecret, md5crypt } from './lib/htpasswd.mjs';
import { buildRuntime } from './lib/runtime.mjs';
import { routerRepresentation } from './lib/api.mjs';

let failed = 0;
/** @param {string} name @param {() => unknown} fn */
function t(name, fn) {
  try {
    const r = fn();
    if (r === false) throw new Error('false');
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${/** @type {Error} */ (e).message}`);
  }
}
/** @param {unknown} a @param {unknown} b */
function eq(a, b) {
  if (JSON.stringify(a) !== JSON.stringify(b))
    throw new Error(`expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
}
/** @param {() => unknown} fn @param {string} part */
function throwsWith(fn, part) {
  try {
    fn();
  } catch (e) {
    if (String(/** @type {Error} */ (e).message).includes(part)) return;
    throw new Error(`threw "${/** @type {Error} */ (e).message}", expected "${part}"`, { cause: e });
  }
  throw new Error('did not throw');
}
/** @param {string} host @param {string} [path] */
const ctx = (host, path = '/', method = 'GET') => ({
  host,
  path,
  method,
  headers: { 'x-a': 'b' },
  query: new URLSearchParams('k=v'),
  clientIp: '10.1.2.3',
});

t('rules: Host is case-insensitive, exact', () => {
  const m = compileRule('Host(`A.example.com`)');
  eq([m(ctx('a.example.com')), m(ctx('b.example.com')), m(ctx('a.example.com.'))], [true, false, true]);
});
t('rules: || of Host, && PathPrefix, parentheses, !', () => {
  const m = compileRule('(Host(`a`) || Host("b")) && PathPrefix(`/api`) && !Path(`/api/no`)');
  eq(
    [
      m(ctx('a', '/api/x')),
      m(ctx('b', '/api')),
      m(ctx('a', '/x')),
      m(ctx('c', '/api')),
      m(ctx('a', '/api/no')),
    ],
    [true, true, false, false, false],
  );
});
t('rules: && binds tighter than ||', () => {
  const m = compileRule('Host(`a`) || Host(`b`) && PathPrefix(`/z`)');
  eq([m(ctx('a', '/x')), m(ctx('b', '/x')), m(ctx('b', '/z'))], [true, false, true]);
});
t('rules: v3 refuses Host with two arguments, like Traefik v3', () =>
  throwsWith(
    () => compileRule('Host(`a`, `b`)'),
    'unexpected number of parameters; got 2, expected one of [1]',
  ),
);
t('rules: v2 syntax accepts Host with several arguments', () => {
  const m = compileRule('Host(`a`, `b`)', 'v2');
  eq([m(ctx('a')), m(ctx('b')), m(ctx('c'))], [true, true, false]);
});
t('rules: Header, Query, Method, ClientIP, HostRegexp, PathRegexp', () => {
  eq(compileRule('Header(`X-A`, `b`) && Query(`k`, `v`) && Method(`get`)')(ctx('h')), true);
  eq(compileRule('ClientIP(`10.0.0.0/8`)')(ctx('h')), true);
  eq(compileRule('ClientIP(`192.168.0.0/16`)')(ctx('h')), false);
  eq(compileRule('HostRegexp(`^.+\\.example\\.com$`)')(ctx('x.example.com')), true);
  eq(compileRule('PathRegexp(`^/v[0-9]+/`)')(ctx('h', '/v2/x')), true);
});
t('rules: unknown matcher and bad syntax are errors', () => {
  throwsWith(() => compileRule('Hots(`a`)'), 'unsupported function: Hots');
  throwsWith(() => compileRule('Host(`a`'), 'expected )');
  throwsWith(() => compileRule('PathPrefix(`api`)'), "does not start with a '/'");
});

t('flags: --key=value, bare booleans, case-insensitive names, entry point names keep case', () => {
  const { flags } = parseFlags([
    '--entryPoints.webSecure.address=:443',
    '--api.insecure',
    '--log.level',
    'DEBUG',
  ]);
  eq(
    [...flags],
    [
      ['entrypoints.webSecure.address', ':443'],
      ['api.insecure', 'true'],
      ['log.level', 'DEBUG'],
    ],
  );
});
t('flags: defaults (traefik entry point :8080 for ping, redirect 301/308 permanent, docker defaults)', () => {
  const sc = buildStaticConfig(
    parseFlags([
      '--entrypoints.web.address=:80',
      '--entrypoints.web.http.redirections.entrypoint.to=websecure',
      '--entrypoints.websecure.address=:443',
      '--providers.docker.exposedbydefault=false',
      '--ping=true',
      '--frobnicate=1',
    ]).flags,
  );
  eq([...sc.entryPoints.keys()].sort(), ['traefik', 'web', 'websecure']);
  eq(sc.entryPoints.get('traefik')?.port, 8080);
  eq(sc.entryPoints.get('web')?.redirect, {
    to: 'websecure',
    scheme: 'https',
    permanent: true,
    priority: 2147483646,
  });
  eq(
    [sc.docker.enabled, sc.docker.exposedByDefault, sc.docker.endpoint],
    [true, false, 'unix:///var/run/docker.sock'],
  );
  eq([sc.api.enabled, sc.ping.enabled], [false, true]);
  eq(sc.notices, ['flag --frobnicate ignored: unknown to the stand-in']);
});
t('flags: no entry point at all gives :80 "http"', () => {
  eq([...buildStaticConfig(new Map()).entryPoints.keys()], ['http']);
});

t('labels: a label Traefik does not know is an error (container skipped)', () =>
  throwsWith(
    () => decodeLabels({ 'traefik.http.routers.r.entrypoint': 'web' }),
    'field not found, node: entrypoint',
  ),
);
t('labels: names keep case, fields are case-insensitive', () => {
  const d = decodeLabels({
    'traefik.http.routers.MyR.Rule': 'Host(`a`)',
    'traefik.http.routers.MyR.entryPoints': 'web, websecure',
    'traefik.http.Services.S.loadBalancer.server.port': '5678',
    'traefik.http.middlewares.Auth.basicAuth.users': 'u:$apr1$x$y,v:{SHA}z',
  });
  eq(d.http.routers.MyR, { rule: 'Host(`a`)', entryPoints: ['web', 'websecure'] });
  eq(d.http.services.S?.loadBalancer?.servers, [{ port: '5678' }]);
  eq(d.http.middlewares.Auth, { type: 'basicAuth', options: { users: ['u:$apr1$x$y', 'v:{SHA}z'] } });
});
t('labels: normalize like Traefik', () => eq(normalize('n8n_tenant-a.x'), 'n8n-tenant-a-x'));

const dockerOpts = {
  enabled: true,
  exposedByDefault: false,
  network: 'web_gateway',
  endpoint: '',
  watch: true,
  defaultRule: 'Host(`{{ normalize .Name }}`)',
  constraints: '',
  allowEmptyServices: false,
};
/** @param {Record<string, string>} labels @param {Partial<import('./lib/docker-client.mjs').DockerData>} [more] */
const container = (labels, more = {}) => ({
  id: 'c1',
  name: 'proj-n8n-1',
  labels: { 'com.docker.compose.service': 'n8n', 'com.docker.compose.project': 'tenant1', ...labels },
  networkMode: 'tenant1_default',
  networks: { tenant1_default: { ip: '172.20.0.5' }, web_gateway: { ip: '172.30.0.7' } },
  ports: ['5678/tcp', '9999/tcp'],
  health: '',
  running: true,
  ...more,
});
t('docker: exposedByDefault=false skips containers without traefik.enable=true', () => {
  eq(buildConfiguration([container({})], dockerOpts, () => undefined).routers, {});
});
t('docker: default service/router names, default rule, lowest port, the provider network', () => {
  const c = buildConfiguration([container({ 'traefik.enable': 'true' })], dockerOpts, () => undefined);
  eq(c.routers, { 'n8n-tenant1': { rule: 'Host(`n8n-tenant1`)', service: 'n8n-tenant1' } });
  eq(c.services['n8n-tenant1']?.loadBalancer?.servers, [{ url: 'http://172.30.0.7:5678' }]);
});
t('docker: the router without service uses the single service; the label network wins', () => {
  const c = buildConfiguration(
    [
      container({
        'traefik.enable': 'true',
        'traefik.docker.network': 'tenant1_default',
        'traefik.http.routers.r.rule': 'Host(`n.example.com`)',
        'traefik.http.services.s.loadbalancer.server.port': '9999',
      }),
    ],
    dockerOpts,
    () => undefined,
  );
  eq(c.routers.r?.service, 's');
  eq(c.services.s?.loadBalancer?.servers, [{ url: 'http://172.20.0.5:9999' }]);
});
t('docker: a router without service and two services is dropped; unhealthy containers are skipped', () => {
  const two = buildConfiguration(
    [
      container({
        'traefik.enable': 'true',
        'traefik.http.routers.r.rule': 'Host(`x`)',
        'traefik.http.services.s1.loadbalancer.server.port': '1',
        'traefik.http.services.s2.loadbalancer.server.port': '2',
      }),
    ],
    dockerOpts,
    () => undefined,
  );
  eq(Object.keys(two.routers), []);
  eq(
    Object.keys(
      buildConfiguration(
        [container({ 'traefik.enable': 'true' }, { health: 'starting' })],
        dockerOpts,
        () => undefined,
      ).routers,
    ),
    [],
  );
});
t('docker: same service from two containers pools its servers', () => {
  const l = {
    'traefik.enable': 'true',
    'traefik.http.services.s.loadbalancer.server.port': '80',
    'traefik.http.routers.r.rule': 'Host(`x`)',
  };
  const c = buildConfiguration(
    [container(l), container(l, { id: 'c2', networks: { web_gateway: { ip: '172.30.0.8' } } })],
    dockerOpts,
    () => undefined,
  );
  eq(c.services.s?.loadBalancer?.servers, [{ url: 'http://172.30.0.7:80' }, { url: 'http://172.30.0.8:80' }]);
});

t('htpasswd: apr1, $1$, {SHA} (vectors from openssl)', () => {
  eq(md5crypt(Buffer.from('s3cret'), 'abcdefgh', '$apr1$'), '$apr1$abcdefgh$M2T3erDstkD7SsE2QQnfH0');
  eq(checkSecret('s3cret', '$apr1$abcdefgh$M2T3erDstkD7SsE2QQnfH0'), true);
  eq(checkSecret('s3cret!', '$apr1$abcdefgh$M2T3erDstkD7SsE2QQnfH0'), false);
  eq(checkSecret('pa:ss word', '$1$A4G7K31r$l7GSWeIQLvs4ekQ50anYb/'), true);
  eq(checkSecret('s3cret', '{SHA}/vNB+F2HQ559kaLUZbmHHvZrXpg='), true);
});
t('htpasswd: bcrypt $2y$ (vectors from htpasswd -B), plain text refused', () => {
  eq(checkSecret('carol-b-secret', '$2y$10$147aRWq5HiE779QYiKzQwuCqHPIPPn0oOZn4AovUtscSjNPr7JyFy'), true);
  eq(checkSecret('carol-b-secreT', '$2y$10$147aRWq5HiE779QYiKzQwuCqHPIPPn0oOZn4AovUtscSjNPr7JyFy'), false);
  eq(checkSecret('pässwörd', '$2y$05$e7cBf2vcSShD3K6aBvlwNeeCvVxKsovO7LPmmcxXPy.CiBRJwW70O'), true);
  eq(checkSecret('plain', 'plain'), false);
});

t("runtime: a router with a missing middleware is disabled with Traefik's error; the API shape", () => {
  const sc = buildStaticConfig(
    parseFlags(['--entrypoints.websecure.address=:443', '--providers.docker=true']).flags,
  );
  const rt = buildRuntime(sc, {
    routers: {
      ok: {
        rule: 'Host(`a`)',
        service: 's',
        entryPoints: ['websecure', 'nope'],
        tls: { certResolver: 'le' },
      },
      bad: { rule: 'Host(`b`)', service: 's', middlewares: ['missing'] },
    },
    services: { s: { loadBalancer: { servers: [{ url: 'http://10.0.0.1:80' }], passHostHeader: true } } },
    middlewares: {},
  });
  const ok = rt.routers.get('ok@docker');
  const bad = rt.routers.get('bad@docker');
  eq(
    [ok?.status, ok?.errors, bad?.status, bad?.errors],
    [
      'warning',
      ['entryPoint "nope" doesn\'t exist'],
      'disabled',
      ['middleware "missing@docker" does not exist'],
    ],
  );
  eq(routerRepresentation(/** @type {any} */ (ok)), {
    entryPoints: ['websecure', 'nope'],
    service: 's',
    rule: 'Host(`a`)',
    tls: { options: 'default', certResolver: 'le' },
    error: ['entryPoint "nope" doesn\'t exist'],
    status: 'warning',
    using: ['websecure'],
    name: 'ok@docker',
    provider: 'docker',
  });
  eq(
    rt.tables.get('websecure')?.https.map((r) => r.router.name),
    ['ok@docker'],
  );
});
t('runtime: entrypoint http.tls makes its routers TLS and splits multi-entry-point routers', () => {
  const sc = buildStaticConfig(
    parseFlags([
      '--entrypoints.web.address=:80',
      '--entrypoints.websecure.address=:443',
      '--entrypoints.websecure.http.tls=true',
    ]).flags,
  );
  const rt = buildRuntime(sc, {
    routers: { r: { rule: 'Host(`a`)', service: 's' } },
    services: { s: { loadBalancer: { servers: [{ url: 'http://10.0.0.1:80' }], passHostHeader: true } } },
    middlewares: {},
  });
  eq([...rt.routers.keys()].filter((n) => n.endsWith('@docker')).sort(), ['r@docker', 'websecure-r@docker']);
  eq([rt.routers.get('r@docker')?.tls, rt.routers.get('websecure-r@docker')?.tls], [false, true]);
});

console.log(failed ? `${failed} unit check(s) failed` : 'all unit checks passed');
process.exit(failed ? 1 : 0);
