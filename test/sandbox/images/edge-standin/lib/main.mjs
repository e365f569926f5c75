// The `traefik` command of the stand-in image: `traefik [flags]` runs the edge, `traefik healthcheck
// --ping` is the real image's healthcheck, `traefik version` says what this is. It is NOT Traefik.

import http from 'node:http';
import { configureLog, log } from './log.mjs';
import { loadStaticConfig } from './static-config.mjs';
import { buildRuntime } from './runtime.mjs';
import { runDockerProvider } from './docker.mjs';
import { Edge } from './server.mjs';
import { acmeCertificates, defaultCertificate, checkAcmeStorage } from './tls.mjs';
import { VERSION, CODENAME, BANNER } from './version.mjs';

const USAGE = `traefik (truffles stand-in ${VERSION}, NOT Traefik)

Usage: traefik [command] [flags] [arguments]

Commands:
    healthcheck   Calls Traefik /ping endpoint (disabled by default) to check the health of Traefik.
    version       Shows the current Traefik version.

Flags: Traefik's static configuration, e.g.
    --entrypoints.web.address=:80 --providers.docker=true --providers.docker.exposedbydefault=false
    --ping=true --api.insecure=true --log.level=DEBUG --accesslog=true
See README.md of test/sandbox/images/edge-standin for the flags and labels the stand-in implements.
`;

function version() {
  process.stdout.write(
    `Version:      ${VERSION}\n` +
      `Codename:     ${CODENAME} (NOT Traefik: a test stand-in in Node.js)\n` +
      `Go version:   none (Node.js ${process.version})\n` +
      `Built:        I don't know\n` +
      `OS/Arch:      ${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}\n`,
  );
}

/** `traefik healthcheck --ping`: HEAD http://<ping entry point>/ping, exit 0 when 200. @param {string[]} args */
async function healthcheck(args) {
  let sc;
  try {
    sc = loadStaticConfig(args, process.env);
  } catch (e) {
    process.stdout.write(`Error calling healthcheck: ${/** @type {Error} */ (e).message}\n`);
    return 1;
  }
  if (!sc.ping.enabled) {
    process.stdout.write('Error calling healthcheck: please enable `ping` to use health check\n');
    return 1;
  }
  const ep = sc.entryPoints.get(sc.ping.entryPoint);
  if (!ep) {
    process.stdout.write(`Error calling healthcheck: ping: missing ${sc.ping.entryPoint} entry point\n`);
    return 1;
  }
  const shown = `http://${ep.address.replace(/\/tcp$/i, '')}/ping`;
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: ep.host && ep.host !== '0.0.0.0' && ep.host !== '::' ? ep.host : '127.0.0.1',
        port: ep.port,
        path: '/ping',
        method: 'HEAD',
        timeout: 5000,
      },
      (res) => {
        res.resume();
        if (res.statusCode === 200) {
          process.stdout.write(`OK: ${shown}\n`);
          resolve(0);
        } else {
          process.stdout.write(`Bad healthcheck status: ${res.statusCode} ${res.statusMessage}\n`);
          resolve(1);
        }
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new Error(
          `Head "${shown}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        ),
      ),
    );
    req.on('error', (e) => {
      process.stdout.write(`Error calling healthcheck: ${e.message}\n`);
      resolve(1);
    });
    req.end();
  });
}

/** Runs the edge until SIGTERM / SIGINT. @param {string[]} args */
async function run(args) {
  let sc;
  try {
    sc = loadStaticConfig(args, process.env);
  } catch (e) {
    process.stderr.write(`error: ${/** @type {Error} */ (e).message}\n`);
    return 1;
  }
  configureLog(sc.log.level, sc.log.format);
  process.stdout.write(`${BANNER}\n`);
  log.info(`Traefik version ${VERSION} built on I don't know`, { version: VERSION, 'stand-in': true });
  for (const n of sc.notices) log.standin(n);
  for (const [name, r] of sc.resolvers) {
    log.standin(
      `certificate resolver ${name}: ACME (Let's Encrypt) is not run by the stand-in; certificates put into its storage are served by SNI, other names get the default self-signed certificate`,
      {
        email: r.email,
        storage: r.storage,
      },
    );
    const err = checkAcmeStorage(name, r.storage);
    if (err) log.error(`The ACME resolver "${name}" is skipped from the resolvers list because: ${err}`);
  }
  if (!sc.docker.enabled) log.standin('no docker provider configured: only internal routers are served');

  let cert;
  try {
    cert = defaultCertificate();
  } catch (e) {
    process.stderr.write(
      `error: cannot generate the default certificate with openssl: ${/** @type {Error} */ (e).message}\n`,
    );
    return 1;
  }
  const edge = new Edge(sc, cert.context, acmeCertificates([...sc.resolvers.values()].map((r) => r.storage)));
  edge.setRuntime(buildRuntime(sc, { routers: {}, services: {}, middlewares: {} }));
  try {
    await edge.start();
  } catch (e) {
    log.error(`Error while starting server: ${/** @type {Error} */ (e).message}`);
    cert.cleanup();
    return 1;
  }

  const warnedResolvers = new Set();
  let lastSummary = '';
  const provider = sc.docker.enabled
    ? runDockerProvider(sc.docker, (conf) => {
        const rt = buildRuntime(sc, conf);
        edge.setRuntime(rt);
        const docker = [...rt.routers.values()].filter((r) => r.provider === 'docker');
        const summary =
          `${docker.length} router(s): ` +
          (docker.map((r) => `${r.name} ${r.status} ${r.conf.rule}`).join('; ') || 'none');
        if (summary !== lastSummary)
          log.info(`Configuration received from docker: ${summary}`, { providerName: 'docker' });
        lastSummary = summary;
        for (const r of docker) {
          const res = r.conf.tls?.certResolver;
          if (r.tls && res && !warnedResolvers.has(`${r.name}/${res}`)) {
            warnedResolvers.add(`${r.name}/${res}`);
            log.standin(
              `router ${r.name}: certificate resolver "${res}" not run (no ACME in the stand-in): serving the default self-signed certificate`,
            );
          }
        }
      })
    : { stop: () => {} };

  return new Promise((resolve) => {
    const shutdown = (/** @type {string} */ sig) => {
      log.info(`I have to go... ${sig}`);
      log.info('Stopping server gracefully');
      provider.stop();
      edge.stop().finally(() => {
        cert.cleanup();
        log.info('Shutting down');
        resolve(0);
      });
    };
    process.once('SIGTERM', () => shutdown('terminated'));
    process.once('SIGINT', () => shutdown('interrupt'));
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const sub = argv[0];
  if (sub === 'version') {
    version();
    return 0;
  }
  if (sub === 'healthcheck') {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(
        'Calls Traefik /ping endpoint (disabled by default) to check the health of Traefik.\n',
      );
      return 0;
    }
    return healthcheck(argv.slice(1));
  }
  if (sub !== undefined && !sub.startsWith('-')) {
    process.stderr.write(`Error: unknown command "${sub}" for "traefik" (stand-in)\n`);
    return 1;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  return run(argv);
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`fatal: ${e?.stack ?? e}\n`);
    process.exit(1);
  },
);
