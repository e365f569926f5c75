import { describe, expect, it } from 'vitest';
import { factsScript, parseFacts } from '../../src/main/core/hosts/facts';

const M = '@@truffles-fact@@';
const sample = (compose: string, compose1: string, dfUse = '1000000'): string =>
  [
    `${M}os`,
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    'ID=debian',
    'VERSION_ID="12"',
    `${M}kernel`,
    '6.1.0-18-amd64',
    `${M}arch`,
    'x86_64',
    `${M}cpus`,
    '4',
    `${M}meminfo`,
    'MemTotal:        8000000 kB',
    'MemAvailable:    6000000 kB',
    `${M}df`,
    'Filesystem     Type 1-blocks Used Available Capacity Mounted on',
    `/dev/vda1      ext4 2000000 ${dfUse} 1000000 50% /`,
    '/dev/vdb       xfs  4000 1000 3000 25% /srv/my data',
    `${M}loadavg`,
    '0.50 0.25 0.10 1/200 1234',
    `${M}uptime`,
    '3600.55 7000.00',
    `${M}compose`,
    compose,
    `${M}compose1`,
    compose1,
  ].join('\n');

describe('host facts', () => {
  it('parses what the probes print', () => {
    const f = parseFacts(sample('2.26.1', ''));
    expect(f.os).toEqual({ id: 'debian', name: 'Debian GNU/Linux 12 (bookworm)', version: '12' });
    expect(f.kernel).toBe('6.1.0-18-amd64');
    expect(f.cpus).toBe(4);
    expect(f.memoryBytes).toBe(8000000 * 1024);
    expect(f.disks.map((d) => d.mount)).toEqual(['/', '/srv/my data']);
    expect(f.load).toEqual([0.5, 0.25, 0.1]);
    expect(f.uptimeSeconds).toBe(3601);
    expect(f.compose).toEqual({ version: '2.26.1', v2: true });
  });

  it('tells Compose v1 from v2, and none', () => {
    expect(parseFacts(sample('', '1.29.2')).compose).toEqual({ version: '1.29.2', v2: false });
    expect(parseFacts(sample('v2.30.0', '1.29.2')).compose).toEqual({ version: '2.30.0', v2: true });
    expect(parseFacts(sample('', '')).compose).toBeNull();
  });

  it('builds one script whose every probe is a quoted argument array', () => {
    const s = factsScript();
    expect(s).toContain('docker compose version --short 2>/dev/null');
    expect(s).toContain(`echo ${M}os`);
  });
});
