import { describe, expect, it } from 'vitest';
import type { CommandOutput } from '../../src/shared/contract';
import {
  compareCounts,
  comparedTable,
  drillsDue,
  parseLifted,
  parseListing,
  parsePointCounts,
  parseRowCounts,
  parseRunResult,
  restoreJobs,
  snapshotCollections,
} from '../../src/main/core/backups/decisions';
import { drillCompose, drillName, DRILL_NAME, drillsDir } from '../../src/main/core/backups/drillstack';
import { parse as parseYaml } from 'yaml';

/** The pure choices of the backups feature (decisions.ts, drillstack.ts): no host. */

describe('which counts a restore must find again', () => {
  it('compares the application tables and n8n workflows and credentials, nothing else of n8n', () => {
    expect(comparedTable('public.orders')).toBe(true);
    expect(comparedTable('n8n.workflow_entity')).toBe(true);
    expect(comparedTable('n8n.credentials_entity')).toBe(true);
    expect(comparedTable('n8n.execution_entity')).toBe(false);
    expect(comparedTable('n8n.settings')).toBe(false);
  });

  it('counts every compared table and every collection, and names what differs', () => {
    const manifest = {
      counts: {
        tables: {
          'public.orders': 10,
          'public.gone': 3,
          'n8n.execution_entity': 99,
          'n8n.workflow_entity': 2,
        },
        points: { docs: 100, faq: 5 },
        workflows: 2,
      },
    };
    const now = {
      tables: { 'public.orders': 10, 'n8n.execution_entity': 0, 'n8n.workflow_entity': 1 },
      points: { docs: 100, faq: 4, extra: 7 },
    };
    expect(compareCounts(manifest, now)).toEqual({
      checked: 5,
      mismatches: [
        { what: 'rows public.gone', expected: 3, actual: null },
        { what: 'rows n8n.workflow_entity', expected: 2, actual: 1 },
        { what: 'points faq', expected: 5, actual: 4 },
      ],
    });
    expect(
      compareCounts(manifest, { tables: manifest.counts.tables, points: manifest.counts.points }),
    ).toEqual({
      checked: 5,
      mismatches: [],
    });
  });
});

describe('reading what the host printed', () => {
  it('row counts: table<TAB>rows', () => {
    expect(parseRowCounts('public.a\t3\nn8n.workflow_entity\t0\n\n')).toEqual({
      'public.a': 3,
      'n8n.workflow_entity': 0,
    });
  });

  it('point counts: a count that is not a number is left out', () => {
    expect(parsePointCounts('docs\t12\nfaq\tnull\nempty\t\n')).toEqual({ docs: 12 });
  });

  it('the collections a backup holds snapshots of', () => {
    expect(
      snapshotCollections({
        parts: [
          { name: 'postgres.dump', size: 1, sha256: 'x' },
          { name: 'qdrant/docs.snapshot', size: 1, sha256: 'x' },
          { name: 'qdrant/my.faq.snapshot', size: 1, sha256: 'x' },
          { name: 'qdrant/readme.txt', size: 1, sha256: 'x' },
        ],
      } as never),
    ).toEqual(['docs', 'my.faq']);
  });

  it('pg_restore jobs: the host CPUs, at least 1, at most 4', () => {
    expect(restoreJobs('2\n')).toBe(2);
    expect(restoreJobs('16')).toBe(4);
    expect(restoreJobs('')).toBe(1);
    expect(restoreJobs('0')).toBe(1);
    expect(restoreJobs('warning\n3')).toBe(3);
    expect(restoreJobs('x')).toBe(1);
  });

  it('a lifted CPU limit only with a container id and a numeric limit', () => {
    expect(parseLifted('0123456789abcdef 0.5 8\n')).toEqual({
      container: '0123456789abcdef',
      cpus: '0.5',
      n: '8',
    });
    expect(parseLifted('')).toBeNull();
    expect(parseLifted('not-an-id 0.5 8')).toBeNull();
    expect(parseLifted('0123456789abcdef $(x) 8')).toBeNull();
    expect(parseLifted('0123456789abcdef 0.5')).toBeNull();
  });

  it("the agent's first valid RESULT line", () => {
    const run = {
      at: 't',
      tenant: 'acme',
      kind: 'manual',
      ok: true,
      id: '20261125T030000Z-manual',
      error: null,
      seconds: 3,
    };
    expect(parseRunResult(`log\nRESULT {"nope":1}\nRESULT ${JSON.stringify(run)}\n`)).toEqual(run);
    expect(parseRunResult('no result')).toBeUndefined();
  });

  it('a listing: backups newest first, proven by their last successful restore; runs and restores newest first', () => {
    const sidecar = (id: string): string =>
      `B ${JSON.stringify({
        id,
        tenant: 'acme',
        kind: 'scheduled',
        createdAt: id,
        size: 10,
        sha256: 'ab',
        tools: {},
        counts: { tables: {}, points: {}, workflows: 0 },
        offsite: false,
      })}`;
    const report = (backupId: string, at: string, ok: boolean): string =>
      `D ${JSON.stringify({
        tenant: 'acme',
        host: 'web1',
        backupId,
        kind: 'drill',
        ok,
        at,
        safetyBackupId: null,
        target: 'x',
        seconds: 1,
        checked: 1,
        mismatches: [],
        detail: '',
      })}`;
    const run = (at: string): string =>
      `R ${JSON.stringify({ at, tenant: 'acme', kind: 'scheduled', ok: true, id: null, error: null, seconds: 1 })}`;
    const out = [
      sidecar('20261101T030000Z-scheduled'),
      sidecar('20261102T030000Z-scheduled'),
      'B {broken',
      run('1'),
      run('2'),
      report('20261101T030000Z-scheduled', '2026-11-03', true),
      report('20261101T030000Z-scheduled', '2026-11-05', true),
      report('20261101T030000Z-scheduled', '2026-11-06', false),
      report('20261102T030000Z-scheduled', '2026-11-04', false),
      '',
    ].join('\n');
    const l = parseListing(out, 'web1');
    expect(l.backups.map((b) => [b.id, b.host, b.provenAt])).toEqual([
      ['20261102T030000Z-scheduled', 'web1', null],
      ['20261101T030000Z-scheduled', 'web1', '2026-11-05'],
    ]);
    expect(l.runs.map((r) => r.at)).toEqual(['2', '1']);
    expect(l.restores.map((r) => r.at)).toEqual(['2026-11-04', '2026-11-06', '2026-11-05', '2026-11-03']);
    expect(parseListing('', 'web1')).toEqual({ backups: [], runs: [], restores: [] });
  });
});

describe('which drills are due', () => {
  type Row = CommandOutput<'backups.overview'>['tenants'][number];
  const now = new Date('2026-11-25T10:00:00Z');
  const row = (over: Partial<Row>): Row => ({
    host: 'web1',
    slug: 'acme',
    state: 'running',
    last: { id: 'x' } as Row['last'],
    lastRun: null,
    lastDrill: null,
    count: 1,
    bytes: 1,
    ...over,
  });
  const drilled = (at: string): Row['lastDrill'] => ({ at }) as Row['lastDrill'];

  it('running tenants of the host with a backup and no drill in the last six days', () => {
    expect(
      drillsDue(
        [
          row({ slug: 'never' }),
          row({ slug: 'old', lastDrill: drilled('2026-11-19T09:59:59Z') }),
          row({ slug: 'recent', lastDrill: drilled('2026-11-19T10:00:01Z') }),
          row({ slug: 'nobackup', last: null }),
          row({ slug: 'suspended', state: 'suspended' }),
          row({ slug: 'elsewhere', host: 'web2' }),
        ],
        'web1',
        now,
      ),
    ).toEqual(['never', 'old']);
  });
});

describe("a drill's throw-away stack", () => {
  it('has a name no tenant can have, outside tenants/', () => {
    const name = drillName();
    expect(name).toMatch(DRILL_NAME);
    expect(drillName()).not.toBe(name);
    expect(DRILL_NAME.test('drill-acme')).toBe(false);
    expect(drillsDir('/srv/truffles')).toBe('/srv/truffles/drills');
  });

  it('keeps only the data services, unrouted, on the given images, without the tenant label', () => {
    const compose = [
      'name: acme',
      'services:',
      '  n8n: { image: n8n:1, networks: [internal, web_gateway] }',
      '  postgres:',
      '    image: postgres:16',
      '    labels: ["traefik.enable=true", "org.truffles.tenant=acme", "keep=me"]',
      '    networks: { internal: {}, web_gateway: {} }',
      '    depends_on: [redis]',
      '  qdrant: { image: qdrant:1, labels: { org.truffles.tenant: acme } }',
      '  redis: { image: redis:7, networks: [internal, web_gateway] }',
      'networks: { internal: {}, web_gateway: { external: true } }',
      'volumes: { pg_data: {}, n8n_data: {} }',
    ].join('\n');
    const text = drillCompose(compose, 'drill--0123456789ab', { postgres: 'postgres:17' });
    expect(text.split('\n')[0]).toBe(
      "# A restore drill's throw-away stack (Truffles Console): unrouted, removed after the drill.",
    );
    expect(parseYaml(text)).toEqual({
      name: 'drill--0123456789ab',
      services: {
        postgres: {
          image: 'postgres:17',
          labels: { keep: 'me', 'org.truffles.drill': 'drill--0123456789ab' },
          networks: { internal: {} },
        },
        qdrant: { image: 'qdrant:1', labels: { 'org.truffles.drill': 'drill--0123456789ab' } },
        redis: {
          image: 'redis:7',
          networks: ['internal'],
          labels: { 'org.truffles.drill': 'drill--0123456789ab' },
        },
      },
      networks: { internal: {} },
      volumes: { pg_data: {} },
    });
  });
});
