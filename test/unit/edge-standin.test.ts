import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The Traefik STAND-IN (test/sandbox/images/edge-standin) without Docker: its own unit checks
 * (unit.mjs: rules, flags, labels, htpasswd, runtime; until now run only inside the image by
 * selftest.sh), and the header handling of its reverse proxy (lib/proxy-headers.mjs), which decides
 * what a backend and a client see.
 */

const EDGE = new URL('../sandbox/images/edge-standin/', import.meta.url);

interface ProxyHeaders {
  HOP_BY_HOP: string[];
  stripHopByHop(headers: Record<string, string | string[] | undefined>): void;
  responseHeaderList(raw: string[], overlay: Record<string, string | null>): string[];
  canonicalHost(raw: string): string;
  joinPath(a: string, b: string): string;
  statusFromError(err: Error & { code?: string }): number;
  statusText(status: number): string;
  clfTime(d: Date): string;
}
const h = (await import(/* @vite-ignore */ new URL('lib/proxy-headers.mjs', EDGE).href)) as ProxyHeaders;

describe('Traefik stand-in: unit.mjs', () => {
  it('passes all its checks in plain Node', async () => {
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [fileURLToPath(new URL('unit.mjs', EDGE))],
        { encoding: 'utf8' },
        (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
    expect(out.stdout).not.toContain('not ok');
    expect(out.stdout).toContain('all unit checks passed');
    expect(out.code).toBe(0);
  });
});

describe('Traefik stand-in: proxy headers', () => {
  it('drops hop-by-hop headers and those the Connection header names', () => {
    const headers: Record<string, string | string[] | undefined> = {
      connection: 'close, X-Private',
      'x-private': 'secret',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      host: 'app.test',
      'x-kept': '1',
    };
    h.stripHopByHop(headers);
    expect(headers).toEqual({ host: 'app.test', 'x-kept': '1' });
  });

  it("lists a backend's response headers without hop-by-hop ones, the middlewares' overlay applied", () => {
    const raw = ['Content-Type', 'text/plain', 'Connection', 'x-gone', 'X-Gone', '1', 'Set-Cookie', 'a=1'];
    raw.push('Set-Cookie', 'b=2', 'X-Edge', 'backend', 'Server', 'app');
    expect(h.responseHeaderList(raw, { 'x-edge': 'standin', server: null })).toEqual([
      'Content-Type',
      'text/plain',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
      'x-edge',
      'standin',
    ]);
  });

  it('canonicalises hosts (lower case, no port, IPv6 brackets kept) and joins server and request paths', () => {
    expect(h.canonicalHost('App.Test:8443')).toBe('app.test');
    expect(h.canonicalHost('[::1]:80')).toBe('[::1]');
    expect(h.canonicalHost('EXAMPLE.org')).toBe('example.org');
    expect(h.joinPath('', '/a?b=1')).toBe('/a?b=1');
    expect(h.joinPath('/', '/a')).toBe('/a');
    expect(h.joinPath('/base/', '/a')).toBe('/base/a');
    expect(h.joinPath('/base', 'a')).toBe('/base/a');
  });

  it("answers a backend's timeout with 504 and any other failure with 502, in Traefik's words", () => {
    expect(h.statusFromError(Object.assign(new Error('dial tcp: i/o timeout'), { code: 'ETIMEDOUT' }))).toBe(
      504,
    );
    expect(h.statusFromError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(502);
    expect(h.statusText(502)).toBe('Bad Gateway');
    expect(h.statusText(404)).toBe('Not Found');
  });

  it('writes access-log times in Common Log Format, in UTC', () => {
    expect(h.clfTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('02/Jan/2026:03:04:05 +0000');
  });
});
