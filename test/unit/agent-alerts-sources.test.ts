import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  readBackups,
  readCerts,
  readSecurity,
  readTenants,
  servedCertificate,
} from '../../src/agent/alerts/sources';
import { tempDir } from '../helpers/tmp';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function root(): {
  rootfs: string;
  procRoot: string;
  stateDir: string;
  put: (path: string, text: string) => void;
} {
  const t = tempDir('truffles-sources-');
  cleanups.push(t.cleanup);
  const rootfs = join(t.dir, 'root');
  const procRoot = join(t.dir, 'proc');
  const put = (path: string, text: string): void => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };
  return { rootfs, procRoot, stateDir: '/opt/truffles', put };
}

const line = (o: object): string => `${JSON.stringify(o)}\n`;

describe("the alert rules' side reads", () => {
  it('reads the tenants, their backup runs (skipped ones are neither), offsite copies and drills', async () => {
    const r = root();
    const T = join(r.rootfs, 'opt/truffles/tenants');
    r.put(
      join(T, 'acme/tenant.json'),
      JSON.stringify({
        slug: 'acme',
        domain: 'acme.example.kz',
        createdAt: '2026-11-01T00:00:00Z',
        state: 'running',
      }),
    );
    r.put(
      join(T, 'beta/tenant.json'),
      JSON.stringify({
        slug: 'beta',
        domain: 'beta.example.kz',
        createdAt: '2026-12-01T00:00:00Z',
        state: 'running',
      }),
    );
    r.put(join(T, 'gone/tenant.json'), JSON.stringify({ slug: 'gone', state: 'deleting' }));
    const tenants = await readTenants(r);
    expect(tenants.map((t) => t.slug)).toEqual(['acme', 'beta']);
    expect(tenants[0]).toMatchObject({
      domain: 'acme.example.kz',
      createdAt: Date.parse('2026-11-01T00:00:00Z'),
    });

    // No backup settings: backups were never set up here, nothing to judge.
    expect((await readBackups(r, tenants)).value).toBeNull();

    r.put(
      join(r.rootfs, 'opt/truffles/agent/backup.json'),
      JSON.stringify({ backupDir: '/srv/bk', offsite: { target: 'x' }, drillWeekday: 3 }),
    );
    const B = join(r.rootfs, 'srv/bk/acme');
    r.put(
      join(B, 'runs.jsonl'),
      line({ at: '2026-12-05T02:00:00Z', ok: true, offsite: { ok: true, error: null } }) +
        line({
          at: '2026-12-06T02:00:00Z',
          ok: false,
          error: 'disk full',
          offsite: { ok: false, error: 'refused' },
        }) +
        line({ at: '2026-12-06T03:00:00Z', ok: false, skipped: true, error: 'skipped: busy' }) +
        '{"at": "2026-12-06T04:00', // torn by a crash
    );
    r.put(
      join(B, 'restores.jsonl'),
      line({ kind: 'drill', ok: true, at: '2026-12-03T05:00:00Z' }) +
        line({ kind: 'restore', ok: false, at: '2026-12-04T05:00:00Z' }),
    );
    const b = (await readBackups(r, tenants)).value!;
    expect(b.find((x) => x.tenant === 'acme')).toEqual({
      tenant: 'acme',
      createdAt: Date.parse('2026-11-01T00:00:00Z'),
      lastSuccessAt: Date.parse('2026-12-05T02:00:00Z'),
      lastRun: { at: Date.parse('2026-12-06T02:00:00Z'), ok: false, error: 'disk full' },
      offsite: { at: Date.parse('2026-12-06T02:00:00Z'), ok: false, error: 'refused' },
      drill: { at: Date.parse('2026-12-03T05:00:00Z'), ok: true, error: null },
      drillsScheduled: true,
    });
    expect(b.find((x) => x.tenant === 'beta')).toMatchObject({
      lastSuccessAt: null,
      lastRun: null,
      drill: null,
    });
  });

  it('reads the posture from the host files and process names', async () => {
    const r = root();
    r.put(
      join(r.rootfs, 'etc/ssh/sshd_config'),
      'Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\n',
    );
    r.put(join(r.rootfs, 'etc/ssh/sshd_config.d/10-hard.conf'), 'PasswordAuthentication no\n');
    r.put(join(r.procRoot, '1/comm'), 'systemd\n');
    r.put(join(r.procRoot, '812/comm'), 'sshd\n');
    const s = (await readSecurity(r)).value!;
    expect(s.sshd).toEqual({ passwordAuthentication: false });
    expect(s.firewall).toMatchObject({ active: false, tool: 'none' });
    expect(s.fail2ban).toMatchObject({ running: false });
    r.put(join(r.procRoot, '900/comm'), 'fail2ban-server\n');
    expect((await readSecurity(r)).value!.fail2ban?.running).toBe(true);
  });

  it("reads the expiry of the certificate the edge serves for a domain, not the edge's default one", async () => {
    const t = tempDir('truffles-cert-');
    cleanups.push(t.cleanup);
    const make = (name: string, cn: string, days: number): { key: Buffer; cert: Buffer } => {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          String(days),
          '-keyout',
          join(t.dir, `${name}.key`),
          '-out',
          join(t.dir, `${name}.crt`),
          '-subj',
          `/CN=${cn}`,
          '-addext',
          `subjectAltName=DNS:${cn}`,
        ],
        { stdio: 'ignore' },
      );
      return {
        key: readFileSync(join(t.dir, `${name}.key`)),
        cert: readFileSync(join(t.dir, `${name}.crt`)),
      };
    };
    const def = make('default', 'TRAEFIK DEFAULT CERT', 365);
    const acme = make('acme', 'acme.example.kz', 10);
    const server = tls.createServer({
      ...def,
      SNICallback: (name, cb) =>
        cb(null, name === 'acme.example.kz' ? tls.createSecureContext(acme) : tls.createSecureContext(def)),
    });
    server.on('secureConnection', (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => server.close());
    const port = (server.address() as { port: number }).port;
    const got = await servedCertificate('acme.example.kz', { host: '127.0.0.1', port, timeoutMs: 3000 });
    const days = (got!.notAfter - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(9.9);
    expect(days).toBeLessThanOrEqual(10.01);
    expect(
      await servedCertificate('other.example.kz', { host: '127.0.0.1', port, timeoutMs: 3000 }),
    ).toBeNull();
    const certs = await readCerts(
      [
        { slug: 'acme', domain: 'acme.example.kz', createdAt: null },
        { slug: 'none', domain: null, createdAt: null },
      ],
      { host: '127.0.0.1', port },
    );
    expect(certs.value).toEqual([{ name: 'acme.example.kz', tenant: 'acme', notAfter: got!.notAfter }]);
    // Nothing listening: no certificate, no hang.
    expect(
      await servedCertificate('acme.example.kz', { host: '127.0.0.1', port: 1, timeoutMs: 1000 }),
    ).toBeNull();
  });
});
